"""`flask check-deploy` refuses unsafe production settings and passes a sound one."""

import secrets
import string

import pytest

from storefront.deploy import find_problems, find_warnings, secret_key_bits

GOOD = {
    "DEBUG": False,
    "SECRET_KEY": "q3J9vXbT1m-8kPzR2wY7nL0cH5sF4dG6aE_uVbNxMiQoKtZrWy",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://shop@db/shop",
    "STRIPE_SECRET_KEY": "sk_live_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    "RATELIMIT_STORAGE_URI": "redis://cache:6379/0",
    "PUBLIC_URL": "https://shop.example",
    "TRUSTED_PROXY_COUNT": 1,
}


def codes(config, environ=None):
    return [p.code for p in find_problems(config, environ or {"WEB_CONCURRENCY": "4"})]


def test_a_sound_configuration_passes():
    assert codes(GOOD) == []


@pytest.mark.parametrize("change, code", [
    ({"DEBUG": True}, "D001"),
    ({"SECRET_KEY": None}, "S001"),
    ({"SECRET_KEY": "short"}, "S002"),
    ({"SECRET_KEY": "a" * 64}, "S002"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/shop.db"}, "B001"),
    ({"STRIPE_SECRET_KEY": None}, "P001"),
    ({"STRIPE_WEBHOOK_SECRET": None}, "P002"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "R001"),
    ({"PUBLIC_URL": ""}, "U001"),
    ({"PUBLIC_URL": "http://shop.example"}, "U002"),
    ({"MAIL_URL": "http://mail.example"}, "M002"),
    ({"SHOP_CURRENCY": "XYZ"}, "C001"),
    ({"SHOP_CURRENCY": "usd"}, "C001"),
    ({"SHOP_CURRENCY": ""}, "C001"),
    ({"TAX_MODE": "vat"}, "T001"),
    ({"TAX_MODE": "stripe", "STRIPE_TAX_CODE": "shoes"}, "T003"),
])
def test_each_unsafe_setting_is_reported(change, code):
    assert codes(GOOD | change) == [code]


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "EUR", "CHF"])
def test_any_iso_currency_passes(currency):
    assert codes(GOOD | {"SHOP_CURRENCY": currency}) == []


def test_memory_rate_limits_are_fine_with_one_worker():
    assert codes(GOOD | {"RATELIMIT_STORAGE_URI": "memory://"}, {"WEB_CONCURRENCY": "1"}) == []


def test_command_lists_every_problem_and_exits_1(app, runner):
    app.config.update(DEBUG=False, STRIPE_SECRET_KEY=None,
                      SQLALCHEMY_DATABASE_URI="sqlite:////tmp/shop.sqlite3")
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1
    assert "B001" in result.output and "P001" in result.output and "U00" in result.output


def test_command_passes_for_production_settings(app, runner, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    app.config.update(GOOD)
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output


def test_missing_mail_url_is_a_warning_not_a_problem():
    assert [w.code for w in find_warnings(GOOD)] == ["M001"]
    assert find_warnings(GOOD | {"MAIL_URL": "smtp://shop:pw@mail.example:587?tls=1"}) == []
    assert codes(GOOD | {"MAIL_URL": "smtp://shop:pw@mail.example:587?tls=1"}) == []


def test_static_files_without_a_current_build_are_a_warning(app, runner, monkeypatch):
    assert [w.code for w in find_warnings(GOOD, static_built=False)] == ["F001", "M001"]
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    app.config.update(GOOD | {"MAIL_URL": "smtp://shop:pw@mail.example:587?tls=1"})
    result = runner.invoke(args=["check-deploy"])  # the tests' app serves static/ as it is
    assert result.exit_code == 0, result.output
    assert "F001 (warning): Static files have no current build" in result.output


def test_command_shows_the_mail_warning_and_still_passes(app, runner, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    app.config.update(GOOD | {"MAIL_URL": None})
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "M001 (warning): MAIL_URL is not set" in result.output
    assert "No problems found" in result.output


@pytest.mark.parametrize("secret", [
    "password" * 6,
    "this is the long secret key of our little shoe shop",
    "Correct Horse Battery Staple Correct Horse Battery",
    "0123456789" * 4,
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "Password1!Password1!Password1!Password1!",
    "x" * 64,
    "changeme-changeme-changeme-changeme",
])
def test_a_guessable_secret_key_is_weak_however_long(secret):
    assert len(secret) >= 32
    assert codes(GOOD | {"SECRET_KEY": secret}) == ["S002"], secret_key_bits(secret)


@pytest.mark.parametrize("make", [
    lambda: secrets.token_hex(16),  # 32 random hex characters: 128 bits
    lambda: secrets.token_hex(32),
    lambda: secrets.token_urlsafe(32),
    lambda: secrets.token_urlsafe(48),
    lambda: __import__("base64").b64encode(secrets.token_bytes(32)).decode(),
    lambda: "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)),
    lambda: "".join(secrets.choice(string.printable[:94]) for _ in range(32)),
])
def test_random_secret_keys_pass_every_time(make):
    for _ in range(300):
        secret = make()
        assert codes(GOOD | {"SECRET_KEY": secret}) == [], (secret, secret_key_bits(secret))


def test_the_weak_key_message_states_the_rule():
    [problem] = [p for p in find_problems(GOOD | {"SECRET_KEY": "password" * 6},
                                          {"WEB_CONCURRENCY": "4"})]
    assert "128 bits" in problem.message and "token_hex(32)" in problem.message


def warning_codes(config, **kwargs):
    return [w.code for w in find_warnings(config, **kwargs)]


def test_a_stripe_test_key_in_production_is_a_warning():
    config = GOOD | {"MAIL_URL": "smtp://shop:pw@mail.example:587?tls=1"}
    assert warning_codes(config | {"STRIPE_SECRET_KEY": "sk_test_abc"}) == ["P003"]
    assert warning_codes(config | {"STRIPE_SECRET_KEY": "rk_test_abc"}) == ["P003"]


def test_https_without_a_trusted_proxy_is_a_warning():
    config = GOOD | {"MAIL_URL": "smtp://shop:pw@mail.example:587?tls=1"}
    assert warning_codes(config | {"TRUSTED_PROXY_COUNT": 0}) == ["X001"]
    assert warning_codes(config | {"TRUSTED_PROXY_COUNT": 0,
                                   "PUBLIC_URL": "http://127.0.0.1:8000"}) == []


def test_demo_staff_accounts_still_present_are_a_warning(app, runner, monkeypatch):
    from storefront.staff import demo

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setitem(app.extensions, "static_manifest", {"css/shop.css": "built"})
    app.config.update(GOOD | {"MAIL_URL": "smtp://shop:pw@mail.example:587?tls=1"})
    clean = runner.invoke(args=["check-deploy"])
    assert clean.exit_code == 0 and "warning" not in clean.output, clean.output
    demo.load()
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "A001 (warning)" in result.output
    assert "admin@demo.shop" in result.output and "warehouse@demo.shop" in result.output
