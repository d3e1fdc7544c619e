"""`flask check-deploy` refuses unsafe production settings and passes a sound one."""

import pytest

from storefront.deploy import find_problems, find_warnings

GOOD = {
    "DEBUG": False,
    "SECRET_KEY": "q3J9vXbT1m-8kPzR2wY7nL0cH5sF4dG6aE_uVbNxMiQoKtZrWy",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://shop@db/shop",
    "STRIPE_SECRET_KEY": "sk_live_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    "RATELIMIT_STORAGE_URI": "redis://cache:6379/0",
    "PUBLIC_URL": "https://shop.example",
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
])
def test_each_unsafe_setting_is_reported(change, code):
    assert codes(GOOD | change) == [code]


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


def test_command_shows_the_mail_warning_and_still_passes(app, runner, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    app.config.update(GOOD | {"MAIL_URL": None})
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "M001 (warning): MAIL_URL is not set" in result.output
    assert "No problems found" in result.output
