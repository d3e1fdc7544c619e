"""Staff accounts from the back office: invitations, roles, disabling, the last-admin rule,
password resets by e-mail, the audit log, and who may open each page."""

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import g
from sqlalchemy import select, update

from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from storefront.models import utcnow
from storefront.staff import accounts, service
from storefront.staff.models import ApiToken, AuditEntry, StaffLink, StaffUser
from tests.conftest import Browser
from tests.staff.helpers import PASSWORD, login, make_staff
from tests.staff.test_products import flashes, text

UID = "{uid}"
ADMIN = {"admin": "ok", "marketing": 403, "warehouse": 403, None: "login"}
ROUTES = [
    ("GET", "/staff/accounts", None, ADMIN),
    ("POST", "/staff/accounts/invite", {"email": "new@staff.test", "role": "warehouse",
                                        "display_name": ""}, ADMIN),
    ("POST", f"/staff/accounts/{UID}/role", {"role": "marketing"}, ADMIN),
    ("POST", f"/staff/accounts/{UID}/disable", {}, ADMIN),
    ("POST", f"/staff/accounts/{UID}/enable", {}, ADMIN),
    ("GET", "/staff/audit", None, ADMIN),
]
# Pages anyone may open; test_the_public_password_pages_need_no_login covers them.
PUBLIC_ROUTES = ["/staff/password-reset", "/staff/password/<token>"]
NEW_PASSWORD = "a brand new passphrase here"




def mails(kind):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).all()


def link_in(message):
    match = re.search(r"http://shop\.test(/staff/password/[\w-]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def audit():
    db.session.expire_all()
    return [(e.actor, e.action, e.target, e.detail)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def post(client, action, data=None, **kwargs):
    g.pop("csrf_token", None)
    return client.submit("/staff/accounts", action, data or {}, **kwargs)


@pytest.mark.parametrize("role", ["admin", "warehouse", "marketing", None],
                         ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(("method", "path", "data", "expected"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_by_role(client, role, method, path, data, expected):
    target = make_staff("warehouse")
    make_staff("admin")  # so an admin's change never meets the last-admin rule
    if path.endswith("/enable"):
        db.session.execute(update(StaffUser).where(StaffUser.id == target.id)
                           .values(active=False))
        db.session.commit()
    if role:
        assert login(client, make_staff(role).email).status_code == 302
    path = path.replace(UID, str(target.id))
    if method == "GET":
        response = client.get(path)
    else:
        assert client.post(path, data=data).status_code == 400  # no CSRF token
        token = client.csrf_token("/staff/" if role else "/staff/login")
        response = client.post(path, data=dict(data, csrf_token=token))
    want = expected[role]
    if want == "login":
        assert response.status_code == 302
        assert response.location.startswith("/staff/login?next=")
    elif want == 403:
        assert response.status_code == 403
        assert "This page is for Administrator staff" in text(response)
    else:
        assert response.status_code == (200 if method == "GET" else 303)
    changed = want == "ok" and method == "POST"
    db.session.expire_all()
    user = db.session.get(StaffUser, target.id)
    if path.endswith("/role"):
        assert (user.role == "marketing") == changed
    if path.endswith("/disable"):
        assert user.active is not changed
    if path.endswith("/enable"):
        assert user.active is changed
    if path.endswith("/invite"):
        assert (service.find_staff("new@staff.test") is not None) == changed


def test_the_public_password_pages_need_no_login(client):
    assert client.get("/staff/password-reset").status_code == 200
    assert 'href="/staff/password-reset"' in text(client.get("/staff/login"))
    assert client.get("/staff/password/not-a-real-token").status_code == 410


# -- invitations ---------------------------------------------------------------------------


def test_an_invited_person_sets_a_password_from_the_e_mail_and_logs_in(app, client, login_as):
    admin = login_as("admin")
    response = post(client, "/staff/accounts/invite",
                    {"email": " Pat@Staff.Test ", "display_name": "Pat Lee", "role": "warehouse"},
                    follow_redirects=True)
    assert flashes(text(response)) == [
        "Invited pat@staff.test as Warehouse: they have an e-mail with a link to set their "
        "password, valid for 3 days."]
    assert "Invited, no password yet" in text(response)
    (invitation,) = mails("staff_invite")
    assert invitation.recipients == ["pat@staff.test"]
    assert f"{admin.email} has made you a back-office account" in invitation.text_body
    link = link_in(invitation)

    newcomer = Browser(app)
    # No password yet, so no login with any.
    for guess in ("", PASSWORD, NEW_PASSWORD):
        assert login(newcomer, "pat@staff.test", password=guess).status_code == 401
    page = newcomer.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "pat@staff.test" in text(page)
    short = newcomer.submit(link, link, {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert "Use 12 to 256 characters." in text(short)
    differ = newcomer.submit(link, link, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert "The two passwords differ." in text(differ)
    done = newcomer.submit(link, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                           follow_redirects=True)
    assert flashes(text(done)) == ["Your password is set. Log in as pat@staff.test with it."]
    assert login(newcomer, "pat@staff.test", password=NEW_PASSWORD).status_code == 302
    assert newcomer.get("/staff/inventory").status_code == 200

    again = Browser(app).get(link)
    assert again.status_code == 410  # single use
    assert "This link has expired or was used already." in unescape(text(again))
    assert audit() == [
        (admin.email, "invited", "pat@staff.test", "as Warehouse"),
        ("pat@staff.test", "invitation_accepted", "pat@staff.test", ""),
    ]


def test_an_invitation_expires(app, client):
    admin = make_staff("admin")
    actor = accounts.Actor(admin.id, admin.email, "127.0.0.1")
    accounts.invite("late@staff.test", "marketing", "", actor)
    link = link_in(mails("staff_invite")[0])
    db.session.execute(update(StaffLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    with pytest.raises(accounts.InvalidLink):
        accounts.set_password(link.rsplit("/", 1)[1], NEW_PASSWORD, "")


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "not-an-address", "role": "warehouse"},
     "Enter the e-mail address of the person to invite."),
    ({"email": "x@staff.test", "role": "owner"}, "Choose a role: Administrator, Warehouse, "
                                                 "Marketing."),
    ({"email": "{existing}", "role": "warehouse"}, "There is already a staff account for"),
])
def test_a_bad_invitation_is_refused_at_the_field(client, login_as, data, message):
    admin = login_as("admin")
    data = dict(data, email=data["email"].replace("{existing}", admin.email))
    response = post(client, "/staff/accounts/invite", data)
    assert response.status_code == 422
    errors = re.findall(r'<p class="field-error" id="invite-email-error">(.*?)</p>',
                        text(response))
    assert unescape(errors[0]).startswith(message) or message in unescape(text(response))
    assert mails("staff_invite") == [] and audit() == []


# -- roles, disabling and the last admin ---------------------------------------------------


def test_changing_a_role_says_so_and_is_audited(client, login_as):
    admin = login_as("admin")
    packer = make_staff("warehouse")
    response = post(client, f"/staff/accounts/{packer.id}/role", {"role": "marketing"},
                    follow_redirects=True)
    assert flashes(text(response)) == [f"{packer.email} is now Marketing (was Warehouse)."]
    assert audit() == [(admin.email, "role_changed", packer.email, "Warehouse → Marketing")]


def test_disabling_ends_sessions_and_api_tokens_at_once(app, client, login_as):
    admin = login_as("admin")
    packer = make_staff("warehouse")
    token = service.issue_token(packer.email)
    theirs = Browser(app)
    assert login(theirs, packer.email).status_code == 302
    assert theirs.get("/staff/inventory").status_code == 200
    api = {"Authorization": f"Bearer {token}"}
    assert theirs.get("/api/v1/inventory/NOPE", headers=api).status_code == 404

    response = post(client, f"/staff/accounts/{packer.id}/disable", follow_redirects=True)
    assert flashes(text(response)) == [
        f"Disabled {packer.email}: their sessions have ended and 1 API token(s) were revoked."]
    assert theirs.get("/staff/inventory").status_code == 302  # back to the login
    assert theirs.get("/api/v1/inventory/NOPE", headers=api).status_code == 401
    assert login(Browser(app), packer.email).status_code == 401

    response = post(client, f"/staff/accounts/{packer.id}/enable", follow_redirects=True)
    assert flashes(text(response)) == [
        f"{packer.email} can log in again. Their old API tokens stay revoked."]
    assert login(Browser(app), packer.email).status_code == 302
    assert Browser(app).get("/api/v1/inventory/NOPE",
                                             headers=api).status_code == 401
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    assert [a[1] for a in audit()] == ["disabled", "enabled"]
    assert audit()[0] == (admin.email, "disabled", packer.email,
                          "sessions ended, 1 API token(s) revoked")


def test_the_last_admin_cannot_be_demoted_or_disabled(app, client, login_as):
    admin = login_as("admin")
    response = post(client, f"/staff/accounts/{admin.id}/role", {"role": "warehouse"})
    assert response.status_code == 409
    assert (f"{admin.email} is the only active administrator: make someone else an "
            "administrator first") in text(response)
    db.session.expire_all()
    assert db.session.get(StaffUser, admin.id).role == "admin"
    response = post(client, f"/staff/accounts/{admin.id}/disable")
    assert response.status_code == 422
    assert "You cannot disable your own account" in text(response)

    # A second admin who never set a password does not count; one who did, does.
    other = make_staff("warehouse")
    actor = accounts.Actor(admin.id, admin.email)
    accounts.invite("pending@staff.test", "admin", "", actor)
    with pytest.raises(accounts.LastAdmin):
        accounts.change_role(admin.id, "marketing", actor)
    accounts.change_role(other.id, "admin", actor)
    other_actor = accounts.Actor(other.id, other.email)
    accounts.change_role(admin.id, "marketing", other_actor)
    with pytest.raises(accounts.LastAdmin):
        accounts.disable(other.id, accounts.Actor(None, "system"))
    assert audit() == [
        (admin.email, "invited", "pending@staff.test", "as Administrator"),
        (admin.email, "role_changed", other.email, "Warehouse → Administrator"),
        (other.email, "role_changed", admin.email, "Administrator → Marketing"),
    ]


def test_forged_account_ids_are_a_404(client, login_as):
    login_as("admin")
    response = post(client, "/staff/accounts/999999/role", {"role": "marketing"})
    assert response.status_code == 404
    assert "There is no staff account number 999999." in text(response)
    assert post(client, "/staff/accounts/999999/disable").status_code == 404


# -- password reset --------------------------------------------------------------------------


def reset(client, email, **kwargs):
    return client.submit("/staff/password-reset", "/staff/password-reset", {"email": email},
                         **kwargs)


def test_a_reset_link_works_once_ends_sessions_and_reads_the_same_for_strangers(app, client):
    user = make_staff("marketing")
    old_session = Browser(app)
    assert login(old_session, user.email).status_code == 302

    answers = []
    for email in (user.email, "nobody@staff.test"):
        response = reset(client, email, follow_redirects=True)
        assert response.status_code == 200
        answers.append(flashes(text(response))[0].replace(email, "EMAIL"))
    assert answers[0] == answers[1] == (
        "If EMAIL belongs to a staff account, it has an e-mail with a link to set a new "
        "password. The link works once, for 60 minutes.")
    (message,) = mails("staff_password_reset")
    assert message.recipients == [user.email]
    link = link_in(message)

    response = client.submit(link, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert old_session.get("/staff/").status_code == 302  # the old session has ended
    assert login(Browser(app), user.email).status_code == 401
    assert login(Browser(app), user.email,
                 password=NEW_PASSWORD).status_code == 302
    assert client.get(link).status_code == 410
    assert [(a[1], a[2]) for a in audit()] == [("reset_requested", user.email),
                                               ("password_reset", user.email)]


def test_reset_links_expire_and_die_with_a_newer_password(app, client):
    user = make_staff("warehouse")
    accounts.request_reset(user.email, "")
    accounts.request_reset(user.email, "")
    first, second = (link_in(m).rsplit("/", 1)[1] for m in mails("staff_password_reset"))
    accounts.set_password(second, NEW_PASSWORD, "")
    with pytest.raises(accounts.InvalidLink):
        accounts.set_password(first, "another long password", "")
    accounts.request_reset(user.email, "")
    third = link_in(mails("staff_password_reset")[-1])
    db.session.execute(update(StaffLink).where(StaffLink.used_at.is_(None))
                       .values(expires_at=StaffLink.created_at))
    db.session.commit()
    assert client.get(third).status_code == 410


def test_each_account_gets_a_few_reset_links_an_hour_and_disabled_ones_none(app):
    user = make_staff("warehouse")
    for _ in range(accounts.RESETS_PER_HOUR + 2):
        accounts.request_reset(user.email, "")
    assert len(mails("staff_password_reset")) == accounts.RESETS_PER_HOUR
    gone = make_staff("marketing")
    accounts.disable(gone.id, accounts.Actor(None, "system"))
    accounts.request_reset(gone.email, "")
    assert all(m.recipients != [gone.email] for m in mails("staff_password_reset"))


def test_reset_requests_are_rate_limited_per_address(client):
    for _ in range(5):
        assert reset(client, "someone@staff.test").status_code == 303
    blocked = reset(client, "someone@staff.test")
    assert blocked.status_code == 429


# -- the audit log ----------------------------------------------------------------------------


def test_the_audit_log_shows_who_did_what_to_whom_and_from_where(client, login_as,
                                                                  monkeypatch):
    client.client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    admin = login_as("admin")
    packer = make_staff("warehouse")
    post(client, f"/staff/accounts/{packer.id}/role", {"role": "marketing"})
    page = text(client.get("/staff/audit"))
    rows = re.findall(r"<tr>\s*<td>[^<]+</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)"
                      r"</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page)
    assert rows == [(admin.email, "Changed role", packer.email, "Warehouse → Marketing",
                     "203.0.113.9")]
    monkeypatch.setattr(accounts, "AUDIT_PER_PAGE", 1)
    post(client, f"/staff/accounts/{packer.id}/role", {"role": "warehouse"})
    first = text(client.get("/staff/audit"))
    assert "Marketing → Warehouse" in first and 'rel="next"' in first
    assert "Warehouse → Marketing" in text(client.get("/staff/audit?page=2"))


def test_the_password_is_hashed_and_checked_like_any_other(app):
    admin = make_staff("admin")
    accounts.invite("hash@staff.test", "marketing", "", accounts.Actor(admin.id, admin.email))
    token = link_in(mails("staff_invite")[0]).rsplit("/", 1)[1]
    assert db.session.scalar(select(StaffLink.token_hash)) != token
    accounts.set_password(token, NEW_PASSWORD, "")
    user = service.find_staff("hash@staff.test")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert service.authenticate("hash@staff.test", NEW_PASSWORD).id == user.id
