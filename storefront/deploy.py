"""`flask check-deploy`: refuse settings that are unsafe for production, like Django's
`check --deploy`. Lists every problem and exits 1, or says the configuration is fine."""

import math
import os
from collections import Counter
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from .gunicorn_settings import default_workers
from .mail.transport import MailUrlError, parse_mail_url

WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "x", "test", "development"}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _entropy_bits(value):
    counts = Counter(value)
    per_char = -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())
    return per_char * len(value)


def find_problems(config, environ=os.environ):
    """Every unsafe production setting in `config`, as Problems (empty when all is well)."""
    problems = []
    if config.get("DEBUG") or environ.get("FLASK_DEBUG") in ("1", "true", "True"):
        problems.append(Problem("D001", "Debug mode is on: tracebacks and the debugger "
                                        "would be shown to anyone. Unset FLASK_DEBUG."))
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        problems.append(Problem("S001", "SECRET_KEY is not set."))
    elif (len(secret) < 32 or secret.lower() in WEAK_SECRETS
          or _entropy_bits(secret) < 128):
        problems.append(Problem("S002", "SECRET_KEY is weak: use at least 32 random "
                                        "characters, e.g. python -c 'import secrets; "
                                        "print(secrets.token_urlsafe(48))'."))
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite":
        problems.append(Problem("B001", "DATABASE_URL points at SQLite; production needs "
                                        "PostgreSQL (postgresql+psycopg://...) so several "
                                        "workers and hosts share one stock promise."))
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


def find_warnings(config):
    """Settings that are safe but probably not what a live shop wants, as Problems."""
    warnings = []
    # A warning, not a problem: without MAIL_URL nothing unsafe happens and the shop still
    # sells; e-mail is kept in instance/outbox instead of reaching shoppers and staff.
    if not config.get("MAIL_URL"):
        warnings.append(Problem("M001", "MAIL_URL is not set: order confirmations and staff "
                                        "e-mail are saved to instance/outbox, not sent. Set "
                                        "MAIL_URL=smtp://user:password@host:587?tls=1."))
    return warnings


@click.command("check-deploy")
@with_appcontext
def check_deploy():
    """Check the current settings for production; exit 1 listing every problem.

    Warnings are listed too but do not fail the check."""
    for warning in find_warnings(current_app.config):
        click.echo(f"{warning.code} (warning): {warning.message}", err=True)
    problems = find_problems(current_app.config)
    for problem in problems:
        click.echo(f"{problem.code}: {problem.message}", err=True)
    if problems:
        raise click.ClickException(
            f"{len(problems)} problem(s) found; fix them before deploying.")
    click.echo("No problems found: these settings are fit for production.")
