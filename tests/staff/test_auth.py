"""Staff login: passwords, sessions, safe redirects, rate limits and the account commands."""

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.staff import service
from storefront.staff.models import ApiToken, StaffUser
from tests.conftest import ShopClient
from tests.staff.helpers import PASSWORD, login, make_staff


def test_login_lands_on_the_page_asked_for_and_says_who_is_logged_in(client):
    user = make_staff("warehouse")
    response = client.get("/staff/inventory?q=boot")
    assert response.status_code == 302
    assert response.location == "/staff/login?next=/staff/inventory?q%3Dboot"

    response = login(client, user.email, next_url="/staff/inventory?q=boot")
    assert response.status_code == 302
    assert response.location == "/staff/inventory?q=boot"
    page = client.get(response.location).get_data(as_text=True)
    assert f"Logged in as {user.email} (Warehouse)" in page


def test_login_page_keeps_a_safe_next_in_the_form(client):
    page = client.get("/staff/login?next=/staff/inventory").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/staff/inventory"' in page
    page = client.get("/staff/login?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in page


@pytest.mark.parametrize("password", ["wrong password here", ""])
def test_a_wrong_password_or_unknown_email_gets_the_same_refusal(client, password):
    user = make_staff("admin")
    wrong = login(client, user.email, password=password)
    unknown = login(client, "nobody@staff.test", password=PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an active staff account" in unknown.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_a_disabled_account_cannot_log_in(client):
    user = make_staff("admin")
    user.active = False
    db.session.commit()
    assert login(client, user.email).status_code == 401


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "/%0d%0aLocation: https://evil.example",
    "/staff\r\nLocation: https://evil.example",
    "evil.example",
])
def test_next_never_leaves_the_site(client, target):
    user = make_staff("admin")
    response = login(client, user.email, next_url=target)
    assert response.status_code == 302
    location = response.location
    assert "evil" not in location.replace("%0d%0aLocation", "") or location.startswith("/")
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location and "\n" not in location
    if "%0d%0a" not in target:
        assert location == "/staff/"


def test_login_starts_a_fresh_session(client):
    user = make_staff("admin")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_logout_ends_the_session_even_for_a_copied_cookie(client):
    user = make_staff("warehouse")
    login(client, user.email)
    with client.session_transaction() as session:
        stolen = dict(session)
    response = client.submit("/staff/", "/staff/logout", {})
    assert response.status_code == 302 and response.location == "/staff/login"
    assert "You are logged out" in client.get("/staff/login").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302

    with client.session_transaction() as session:
        session.update(stolen)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.location.startswith("/staff/login")


def test_logout_is_a_post_with_csrf(client):
    user = make_staff("admin")
    login(client, user.email)
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_failed_logins_are_rate_limited(client):
    user = make_staff("admin")
    for _ in range(5):
        assert login(client, user.email, password="not the password!").status_code == 401
    blocked = login(client, user.email)
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_successful_logins_do_not_use_up_the_limit(app):
    user = make_staff("admin")
    for _ in range(7):
        browser = ShopClient(app.test_client())
        assert login(browser, user.email).status_code == 302


def test_passwords_are_hashed_and_need_twelve_characters(app):
    user = make_staff("admin")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    with pytest.raises(service.StaffError, match="at least 12"):
        service.create_staff("short@staff.test", "elevenchars", "admin")
    with pytest.raises(service.StaffError, match="Unknown role"):
        service.create_staff("x@staff.test", PASSWORD, "owner")


def test_staff_create_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(args=["staff", "create", "New@Staff.test", "--role", "warehouse"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created new@staff.test with role warehouse" in result.output
    assert PASSWORD not in result.output
    assert login(client, "new@staff.test").status_code == 302

    again = runner.invoke(args=["staff", "create", "new@staff.test", "--role", "admin"],
                          input=PASSWORD + "\n")
    assert again.exit_code == 1 and "already a staff account" in again.output
    short = runner.invoke(args=["staff", "create", "b@staff.test", "--role", "admin"],
                          input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    bad_role = runner.invoke(args=["staff", "create", "c@staff.test", "--role", "owner"],
                             input=PASSWORD + "\n")
    assert bad_role.exit_code == 2


def test_staff_token_prints_a_token_once_and_stores_only_its_hash(runner):
    user = make_staff("warehouse")
    result = runner.invoke(args=["staff", "token", user.email])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("sft_") and len(token) > 40
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]
    assert service.user_for_token(token).id == user.id
    assert runner.invoke(args=["staff", "token", "nobody@staff.test"]).exit_code == 1


def test_revoked_tokens_stop_working(runner):
    user = make_staff("warehouse")
    token = service.issue_token(user.email)
    result = runner.invoke(args=["staff", "revoke-tokens", user.email])
    assert "Revoked 1 token(s)" in result.output
    assert service.user_for_token(token) is None


def test_demo_load_creates_one_account_per_role_and_prints_their_logins(runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    roles = set(db.session.scalars(select(StaffUser.role)))
    assert roles == {"admin", "warehouse", "marketing"}
    result = runner.invoke(args=["staff", "demo-logins"])
    lines = [line.split() for line in result.output.splitlines()[1:]]
    assert {line[0] for line in lines} == roles
    role, email, password = lines[0]
    assert len(password) >= 12
    assert login(client, email, password=password).status_code == 302


def test_failed_logins_for_one_account_from_many_addresses_are_slowed(app):
    user = make_staff("admin")
    browser = ShopClient(app.test_client())
    for n in range(10):
        browser.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        assert login(browser, user.email.upper(),
                     password="not the password!").status_code == 401
    browser.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    blocked = login(browser, user.email)
    assert blocked.status_code == 429
    assert "this account" in blocked.get_data(as_text=True)
    # Another account from the same addresses is not affected.
    other = make_staff("warehouse")
    assert login(browser, other.email).status_code == 302


def test_an_idle_staff_session_ends_after_staff_idle_minutes(app, client):
    import time

    user = make_staff("warehouse")
    assert login(client, user.email).status_code == 302
    assert client.get("/staff/inventory").status_code == 200
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 29 * 60
    assert client.get("/staff/inventory").status_code == 200  # active again: renewed
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 31 * 60
    response = client.get("/staff/inventory")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "logged out after 30 minutes without activity" in page
    assert client.get("/staff/inventory").status_code == 302


def test_staff_idle_minutes_is_a_setting(app, client):
    import time

    app.config["STAFF_IDLE_MINUTES"] = 5
    user = make_staff("warehouse")
    assert login(client, user.email).status_code == 302
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 6 * 60
    assert client.get("/staff/inventory").status_code == 302
