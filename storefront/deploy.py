"""`flask check-deploy`: refuse settings that are unsafe for production, like Django's
`check --deploy`. Lists every problem and exits 1, or says the configuration is fine."""

import math
import os
import re
import string
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from .gunicorn_settings import default_workers
from .mail.transport import MailUrlError, parse_mail_url
from .money import known as known_currency

MIN_SECRET_BITS = 128
# Each word-like run of letters counts as one pick from the few hundred words that fit
# there, however many letters it has: that is how sentences and passphrases are guessed.
WORD_BITS = 8
_HEX = set(string.hexdigits)
_URL_SYMBOLS = set("-_+/=.")
_VOWELS = set("aeiouyAEIOUY")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _alphabet_size(text):
    """The size of the smallest usual alphabet (hex, base64, printable ...) holding `text`."""
    if text.isdigit() and text.isascii():
        return 10
    if set(text) <= _HEX and (text == text.lower() or text == text.upper()):
        return 16
    size = 0
    for chars, count in ((string.ascii_lowercase, 26), (string.ascii_uppercase, 26),
                         (string.digits, 10)):
        if any(c in chars for c in text):
            size += count
    others = {c for c in text if not (c.isascii() and c.isalnum())}
    if others:
        size += 4 if others <= _URL_SYMBOLS else 33
    if any(not c.isascii() for c in text):
        size += 100
    return size


def _period(text):
    """The length of the shortest piece that repeated makes up `text` (len(text) if none)."""
    for length in range(1, len(text) // 2 + 1):
        if all(text[i] == text[i % length] for i in range(len(text))):
            return length
    return len(text)


def _word_like(run):
    # A word or a name: 3 to 12 letters, one case (or Capitalised), vowels as in speech.
    if not 3 <= len(run) <= 12 or not (run.islower() or run.isupper() or run.istitle()):
        return False
    return 0.2 <= sum(c in _VOWELS for c in run) / len(run) <= 0.7


def _sequence_chars(text):
    """Characters inside runs like abcde or 98765 (five or more, one step apart): such a
    run is worth about one character."""
    inside, start = 0, 0
    for i in range(1, len(text) + 1):
        step = ord(text[i]) - ord(text[i - 1]) if i < len(text) else 0
        first = ord(text[start + 1]) - ord(text[start]) if start + 1 < len(text) else 0
        if i == len(text) or abs(step) != 1 or step != first:
            if i - start >= 5:
                inside += i - start - 1
            start = i if i == len(text) or abs(step) != 1 else i - 1
    return inside


def secret_key_bits(secret):
    """A cautious estimate of how many bits of randomness `secret` holds.

    Characters count log2 of the smallest usual alphabet that holds them all (16 for
    hex, 64 for base64, ...). A key made of one piece repeated counts that piece once.
    Except in a hex string, runs like abcde count about one character, each word between
    spaces or punctuation counts WORD_BITS and each space one bit. Random keys lose little;
    sentences, passwords and patterns lose most of their length."""
    if not secret:
        return 0.0
    unit = secret[:_period(secret)]
    per_char = math.log2(_alphabet_size(unit))
    if set(unit) <= _HEX and _alphabet_size(unit) <= 16:
        return len(unit) * per_char
    # Words are what stands between spaces or punctuation; letters amid digits are not.
    words = [token for token in _SEPARATORS.split(unit) if token.isalpha() and _word_like(token)]
    spaces = sum(c.isspace() for c in unit)
    chars = len(unit) - sum(len(w) for w in words) - _sequence_chars(unit) - spaces
    return (max(chars, 0) * per_char + spaces
            + sum(min(WORD_BITS, per_char * len(w)) for w in words))


def find_problems(config, environ=os.environ):
    """Every unsafe production setting in `config`, as Problems (empty when all is well)."""
    problems = []
    if config.get("DEBUG") or environ.get("FLASK_DEBUG") in ("1", "true", "True"):
        problems.append(Problem("D001", "Debug mode is on: tracebacks and the debugger "
                                        "would be shown to anyone. Unset FLASK_DEBUG."))
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        problems.append(Problem("S001", "SECRET_KEY is not set."))
    elif len(secret) < 32 or secret_key_bits(secret) < MIN_SECRET_BITS:
        problems.append(Problem(
            "S002", f"SECRET_KEY is weak: it needs at least 32 characters holding "
                    f"{MIN_SECRET_BITS} bits of randomness (this one holds about "
                    f"{secret_key_bits(secret):.0f}): no words, sentences or repeated "
                    "patterns. Make one with python -c 'import secrets; "
                    "print(secrets.token_hex(32))'."))
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite":
        problems.append(Problem("B001", "DATABASE_URL points at SQLite; production needs "
                                        "PostgreSQL (postgresql+psycopg://...) so several "
                                        "workers and hosts share one stock promise."))
    currency = config.get("SHOP_CURRENCY", "USD")
    if not known_currency(currency):
        problems.append(Problem("C001", f"SHOP_CURRENCY={currency!r} is not an ISO 4217 "
                                        "currency code this shop knows (USD, EUR, JPY, KWD "
                                        "...): prices could not be shown or charged right."))
    tax_mode = config.get("TAX_MODE", "rates")
    if tax_mode not in ("rates", "stripe"):
        problems.append(Problem("T001", f"TAX_MODE={tax_mode!r} is neither 'rates' (the rate "
                                        "table at /staff/taxes) nor 'stripe' (Stripe Tax): no "
                                        "tax would be charged."))
    elif tax_mode == "stripe" and not config.get("STRIPE_SECRET_KEY"):
        problems.append(Problem("T002", "TAX_MODE='stripe' needs Stripe: the demo payment "
                                        "page works out no tax, so orders would carry none."))
    elif tax_mode == "stripe" and not re.fullmatch(
            r"txcd_[0-9]{8}", config.get("STRIPE_TAX_CODE", "txcd_99999999") or ""):
        problems.append(Problem("T003", f"STRIPE_TAX_CODE={config.get('STRIPE_TAX_CODE')!r} "
                                        "is not a Stripe tax code (txcd_ and 8 digits, e.g. "
                                        "txcd_99999999)."))
    if not config.get("STRIPE_SECRET_KEY"):
        problems.append(Problem("P001", "STRIPE_SECRET_KEY is not set, so checkout would use "
                                        "the demo payment page, which takes no money."))
    elif not config.get("STRIPE_WEBHOOK_SECRET"):
        problems.append(Problem("P002", "STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks "
                                        "cannot be verified, so paid orders would wait for "
                                        "the shopper's return to the success page."))
    workers = int(environ.get("WEB_CONCURRENCY") or default_workers())
    if config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://") and workers > 1:
        problems.append(Problem("R001", f"Rate limits are kept in memory but {workers} workers "
                                        "will run: each would count separately. Set "
                                        "RATELIMIT_STORAGE_URI=redis://host:6379/0."))
    public_url = config.get("PUBLIC_URL") or ""
    if not public_url or "127.0.0.1" in public_url or "localhost" in public_url:
        problems.append(Problem("U001", "PUBLIC_URL is not set to the shop's public address; "
                                        "links in e-mails and feeds would be wrong."))
    elif not public_url.startswith("https://"):
        problems.append(Problem("U002", "PUBLIC_URL is not HTTPS: payments and logins must "
                                        "travel encrypted, and secure cookies need it."))
    mail_url = config.get("MAIL_URL")
    if mail_url:
        try:
            parse_mail_url(mail_url)
        except MailUrlError as error:
            problems.append(Problem("M002", str(error)))
    return problems


def find_warnings(config, demo_staff=(), static_built=True):
    """Settings that are safe but probably not what a live shop wants, as Problems.

    `demo_staff`: the e-mail addresses of demo staff accounts found in the database;
    `static_built`: whether STATIC_BUILD_DIR holds a build matching static/."""
    warnings = []
    if not static_built:
        warnings.append(Problem("F001", "Static files have no current build, so they are "
                                        "served under plain names, cached for a minute and "
                                        "uncompressed. Run flask --app wsgi assets build "
                                        "before starting the shop."))
    if (config.get("STRIPE_SECRET_KEY") or "").startswith(("sk_test_", "rk_test_")):
        warnings.append(Problem("P003", "STRIPE_SECRET_KEY is a test-mode key: checkout "
                                        "works but no card is charged. Use the live key "
                                        "(sk_live_...) to take payments."))
    public_url = config.get("PUBLIC_URL") or ""
    if public_url.startswith("https://") and not config.get("TRUSTED_PROXY_COUNT"):
        warnings.append(Problem("X001", "PUBLIC_URL is HTTPS but TRUSTED_PROXY_COUNT is 0: "
                                        "behind a load balancer that ends TLS the shop would "
                                        "see plain HTTP (no HSTS, wrong client addresses for "
                                        "rate limits). Set TRUSTED_PROXY_COUNT=1 for one "
                                        "proxy, or leave it 0 if gunicorn serves TLS itself."))
    if demo_staff:
        warnings.append(Problem("A001", "Demo staff accounts are still present ("
                                        + ", ".join(demo_staff) + "); their passwords "
                                        "follow from SECRET_KEY. Deactivate or delete them "
                                        "before the shop opens."))
    # A warning, not a problem: without MAIL_URL nothing unsafe happens and the shop still
    # sells; e-mail is kept in instance/outbox instead of reaching shoppers and staff.
    if not config.get("MAIL_URL"):
        warnings.append(Problem("M001", "MAIL_URL is not set: order confirmations and staff "
                                        "e-mail are saved to instance/outbox, not sent. Set "
                                        "MAIL_URL=smtp://user:password@host:587?tls=1."))
    return warnings


def _demo_staff_present():
    """The demo staff accounts that can still log in (none when the database cannot be
    read: the readiness check reports that)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .staff import demo, service

    try:
        return [email for email, _role, _name in demo.DEMO_STAFF
                if (user := service.find_staff(email)) is not None and user.active]
    except SQLAlchemyError:
        return []


@click.command("check-deploy")
@with_appcontext
def check_deploy():
    """Check the current settings for production; exit 1 listing every problem.

    Warnings are listed too but do not fail the check."""
    built = bool(current_app.extensions.get("static_manifest"))
    for warning in find_warnings(current_app.config, demo_staff=_demo_staff_present(),
                                 static_built=built):
        click.echo(f"{warning.code} (warning): {warning.message}", err=True)
    problems = find_problems(current_app.config)
    for problem in problems:
        click.echo(f"{problem.code}: {problem.message}", err=True)
    if problems:
        raise click.ClickException(
            f"{len(problems)} problem(s) found; fix them before deploying.")
    click.echo("No problems found: these settings are fit for production.")
