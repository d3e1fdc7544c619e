"""Staff accounts from the back office: invitations, roles, disabling, password resets by
e-mail link, and the audit log that records each of these.

Links (invitation or reset) are single use, expire, and only a hash of their token is
kept. A reset request says the same whether or not the address has an account. The
shop always keeps at least one active administrator.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..links import absolute_url
from ..mail import service as mail
from ..models import utcnow
from .models import ROLES, ApiToken, AuditEntry, StaffLink, StaffUser, new_session_nonce
from .service import StaffError, check_password, find_staff, normalise_email

INVITE_LIFETIME = timedelta(days=3)
RESET_LIFETIME = timedelta(hours=1)
# Reset links one account may be sent per hour, however often the form is sent.
RESETS_PER_HOUR = 3
AUDIT_PER_PAGE = 100
# The password hash of an invited account that has not chosen a password: matches none.
NO_PASSWORD = ""  # noqa: S105 (a marker, not a secret)  # nosec B105
ACTIONS = {
    "invited": "Invited",
    "invitation_accepted": "Accepted the invitation",
    "role_changed": "Changed role",
    "disabled": "Disabled",
    "enabled": "Re-enabled",
    "reset_requested": "Asked for a password reset",
    "password_reset": "Reset the password",  # a label, not a secret  # nosec B105
}


class UnknownAccount(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, user_id):
        super().__init__(f"There is no staff account number {user_id}.")


class LastAdmin(DomainError):
    status = 409
    code = "last_admin"

    def __init__(self, user):
        super().__init__(f"{user.email} is the only active administrator: make someone else "
                         "an administrator first, so the shop is never left without one.")


class InvalidLink(DomainError):
    status = 410
    code = "invalid_link"

    def __init__(self):
        super().__init__("This link has expired or was used already. Ask for a new one: an "
                         "administrator can invite you again, and “Forgot your password?” "
                         "on the login page sends a new reset link.")


@dataclass(frozen=True)
class Actor:
    """Who does an action and from where, as the audit log records it."""

    user_id: int | None
    email: str
    ip: str = ""


def _hash(token):
    # Tokens are 256 random bits, so a fast hash is enough: nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def _audit(actor, action, target="", detail=""):
    db.session.add(AuditEntry(actor_id=actor.user_id, actor=actor.email[:254], action=action,
                              target=target[:254], detail=detail[:500], ip=actor.ip[:64]))


def _new_link(user, purpose, lifetime):
    token = secrets.token_urlsafe(32)
    db.session.add(StaffLink(user_id=user.id, purpose=purpose, token_hash=_hash(token),
                             expires_at=utcnow() + lifetime))
    return token


def accounts():
    """Every staff account: active ones first, then invited, then disabled; by e-mail."""
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    order = {"active": 0, "invited": 1, "disabled": 2}
    return sorted(users, key=lambda u: order[u.status])


def _account(user_id, lock=False):
    user = db.session.get(StaffUser, user_id, with_for_update=lock, populate_existing=lock)
    if user is None:
        raise UnknownAccount(user_id)
    return user


def _check_admins_remain(user):
    """Raise LastAdmin when `user` is the only active administrator with a password."""
    # The other admins' rows are locked, so two admins demoting each other at once cannot
    # both pass (SQLite serialises writers anyway).
    others = db.session.scalars(
        select(StaffUser.id).where(
            StaffUser.role == "admin", StaffUser.active.is_(True),
            StaffUser.password_hash != NO_PASSWORD, StaffUser.id != user.id)
        .with_for_update()).all()
    if user.role == "admin" and user.status == "active" and not others:
        raise LastAdmin(user)


def _link_url(token):
    return absolute_url("staff.set_password", token=token)


@transactional
def invite(email, role, display_name, actor):
    """Create an account without a password and e-mail its owner a link to set one (valid
    for INVITE_LIFETIME). Returns the account. Raises StaffError."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or " " in email or email.startswith("@"):
        raise StaffError("Enter the e-mail address of the person to invite.")
    if role not in ROLES:
        raise StaffError(f"Choose a role: {', '.join(ROLES.values())}.")
    display_name = " ".join((display_name or "").split())[:120]
    if find_staff(email) is not None:
        raise StaffError(f"There is already a staff account for {email}.")
    user = StaffUser(email=email, password_hash=NO_PASSWORD, role=role, display_name=display_name,
                     active=True)
    db.session.add(user)
    db.session.flush()
    token = _new_link(user, "invite", INVITE_LIFETIME)
    mail.queue("staff_invite", email, "You are invited to the back office",
               context={"link": _link_url(token), "role": ROLES[role],
                        "inviter": actor.email, "days": INVITE_LIFETIME.days})
    _audit(actor, "invited", email, f"as {ROLES[role]}")
    return user


@transactional
def change_role(user_id, role, actor):
    """Give an account another role; returns it and the old role. Raises UnknownAccount,
    StaffError, or LastAdmin when it would leave no active administrator."""
    if role not in ROLES:
        raise StaffError(f"Choose a role: {', '.join(ROLES.values())}.")
    user = _account(user_id, lock=True)
    old = user.role
    if old == role:
        return user, old
    if old == "admin":
        _check_admins_remain(user)
    user.role = role
    _audit(actor, "role_changed", user.email, f"{ROLES[old]} → {ROLES[role]}")
    return user, old


@transactional
def disable(user_id, actor):
    """Disable an account: its sessions end and its API tokens are revoked at once. Returns
    the account and how many tokens were revoked. Raises UnknownAccount, StaffError for
    one's own account, or LastAdmin."""
    user = _account(user_id, lock=True)
    if user.id == actor.user_id:
        raise StaffError("You cannot disable your own account; ask another administrator.")
    if not user.active:
        return user, 0
    _check_admins_remain(user)
    user.active = False
    user.session_nonce = new_session_nonce()
    revoked = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount
    # Open invitation and reset links die with the account.
    db.session.execute(update(StaffLink).where(StaffLink.user_id == user.id,
                                               StaffLink.used_at.is_(None))
                       .values(used_at=utcnow()))
    _audit(actor, "disabled", user.email,
           f"sessions ended, {revoked} API token(s) revoked")
    return user, revoked


@transactional
def enable(user_id, actor):
    """Let a disabled account log in again (its old API tokens stay revoked); returns it."""
    user = _account(user_id, lock=True)
    if user.active:
        return user
    user.active = True
    _audit(actor, "enabled", user.email)
    return user


@transactional
def request_reset(email, ip):
    """E-mail a password-reset link (valid for RESET_LIFETIME) if `email` belongs to an
    active account that has a password; otherwise, or past RESETS_PER_HOUR, do nothing.
    Returns nothing either way, so the caller cannot tell which happened."""
    user = find_staff(email) if len(email or "") <= 254 else None
    if user is None or user.status != "active":
        return
    recent = db.session.scalar(select(func.count(StaffLink.id)).where(
        StaffLink.user_id == user.id, StaffLink.purpose == "reset",
        StaffLink.created_at > utcnow() - timedelta(hours=1)))
    if recent >= RESETS_PER_HOUR:
        return
    token = _new_link(user, "reset", RESET_LIFETIME)
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    mail.queue("staff_password_reset", user.email, "Reset your back-office password",
               context={"link": _link_url(token), "minutes": minutes, "ip": ip})
    _audit(Actor(user.id, user.email, ip), "reset_requested", user.email)


def _usable_link(token, lock=False):
    if not token or len(token) > 100:
        raise InvalidLink()
    query = select(StaffLink).where(StaffLink.token_hash == _hash(token),
                                    StaffLink.used_at.is_(None), StaffLink.expires_at > utcnow())
    if lock:
        query = query.with_for_update()
    link = db.session.scalars(query).first()
    if link is None or not link.user.active:
        raise InvalidLink()
    return link


def link_account(token):
    """The account and purpose ("invite" or "reset") of a usable link; raises InvalidLink."""
    link = _usable_link(token)
    return link.user, link.purpose


@transactional
def set_password(token, password, ip):
    """Set the password of the link's account and use the link up; every other open link of
    the account dies and its sessions end. Returns the account. Raises InvalidLink or
    StaffError (a password too short or long), with the link still usable."""
    link = _usable_link(token, lock=True)
    check_password(password or "")
    # Another request may have used the link between the read and the lock (SQLite).
    used = db.session.execute(
        update(StaffLink).where(StaffLink.id == link.id, StaffLink.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if not used:
        raise InvalidLink()
    user = link.user
    user.password_hash = generate_password_hash(password)
    user.session_nonce = new_session_nonce()
    db.session.execute(update(StaffLink).where(StaffLink.user_id == user.id,
                                               StaffLink.used_at.is_(None))
                       .values(used_at=utcnow()))
    action = "invitation_accepted" if link.purpose == "invite" else "password_reset"
    _audit(Actor(user.id, user.email, ip), action, user.email)
    return user


@dataclass(frozen=True)
class AuditPage:
    entries: list
    page: int
    has_next: bool


def audit_log(page=1, per_page=None):
    """One page of the audit log, newest first."""
    per_page = per_page or AUDIT_PER_PAGE
    rows = db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(per_page + 1)
        .offset((page - 1) * per_page)).all()
    return AuditPage(rows[:per_page], page, len(rows) > per_page)
