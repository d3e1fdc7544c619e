"""Staff accounts: creation, password login, sessions and API tokens."""

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import signals
from ..articles.service import photo_url_problem
from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inputs import parse_id
from ..links import slugify
from ..models import utcnow
from .models import ROLES, ApiToken, StaffUser, new_session_nonce

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase, short enough that hashing it is no denial of service.
MAX_PASSWORD_LENGTH = 256
TOKEN_PREFIX = "sft_"  # noqa: S105 (a marker, not a secret)  # nosec B105
# Checked when the e-mail is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000")


class StaffError(DomainError):
    status = 422
    code = "invalid_staff_account"


class InvalidLogin(DomainError):
    status = 401
    code = "invalid_login"

    def __init__(self):
        super().__init__("That e-mail address and password do not match an active staff account.")


class UnknownStaff(DomainError):
    status = 404
    code = "unknown_staff"

    def __init__(self, email):
        super().__init__(f"There is no staff account for {email}.")


def normalise_email(email):
    return (email or "").strip().lower()


def check_password(password):
    """Raise StaffError unless `password` is acceptable as a staff password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


@transactional
def create_staff(email, password, role, display_name=""):
    """Create an active staff account with a hashed password; raises StaffError."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or " " in email:
        raise StaffError(f"{email!r} is not an e-mail address.")
    if role not in ROLES:
        raise StaffError(f"Unknown role {role!r}; use one of: {', '.join(ROLES)}.")
    check_password(password)
    if find_staff(email) is not None:
        raise StaffError(f"There is already a staff account for {email}.")
    user = StaffUser(email=email, password_hash=generate_password_hash(password),
                     role=role, display_name=display_name, active=True)
    db.session.add(user)
    db.session.flush()
    return user


def find_staff(email):
    """The staff account with this e-mail address (any case), or None."""
    return db.session.scalars(
        select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email))
    ).first()


def authenticate(email, password):
    """The active account matching e-mail and password; raises InvalidLogin."""
    user = find_staff(email) if len(password or "") <= MAX_PASSWORD_LENGTH else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise InvalidLogin()
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        raise InvalidLogin()
    return user


def load_session_user(session_id):
    """The active account whose `get_id()` is `session_id`, or None if it was ended."""
    user_id, _, nonce = (session_id or "").partition(":")
    user_id = parse_id(user_id)
    if user_id is None or not nonce:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user


@transactional
def end_sessions(user_id):
    """Invalidate every session cookie issued to this account so far."""
    db.session.execute(
        update(StaffUser).where(StaffUser.id == user_id).values(session_nonce=new_session_nonce())
    )


@transactional
def set_password(email, password):
    """Replace an account's password and end its sessions; raises UnknownStaff, StaffError."""
    user = find_staff(email)
    if user is None:
        raise UnknownStaff(email)
    check_password(password)
    user.password_hash = generate_password_hash(password)
    user.session_nonce = new_session_nonce()
    return user


def _token_hash(token):
    # Tokens are 256 random bits, so a fast hash is enough: no guessing to slow down.
    return hashlib.sha256(token.encode()).hexdigest()


@transactional
def issue_token(email, name=""):
    """Create an API token for an active account; returns the token (only its hash is kept)."""
    user = find_staff(email)
    if user is None:
        raise UnknownStaff(email)
    if not user.active:
        raise StaffError(f"The account {user.email} is disabled.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token),
                            name=name or f"issued {utcnow():%Y-%m-%d}"))
    return token


@transactional
def user_for_token(token):
    """The active account owning an unrevoked API token, or None; records the token's use."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.execute(
        select(ApiToken, StaffUser)
        .join(ApiToken.user)
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row.StaffUser.active:
        return None
    row.ApiToken.last_used_at = utcnow()
    return row.StaffUser


@transactional
def revoke_tokens(email):
    """Revoke every API token of an account; returns how many were revoked."""
    user = find_staff(email)
    if user is None:
        raise UnknownStaff(email)
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


@transactional
def ensure_staff(email, password, role, display_name=""):
    """Create the account unless it exists; returns (user, created)."""
    existing = find_staff(email)
    if existing is not None:
        return existing, False
    return create_staff(email, password, role, display_name), True


# -- author profiles -------------------------------------------------------------------

AUTHOR_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class InvalidProfile(InvalidFields):
    """The author profile form has a problem; `errors` maps field names to messages."""

    code = "invalid_profile"


@dataclass
class ProfileInput:
    display_name: str
    author_slug: str
    bio: str
    photo_url: str


@transactional
def save_author_profile(user_id, data):
    """Set the name, public address, bio and photo that articles and the author page
    show; raises InvalidProfile naming each wrong field. Renews the cached pages."""
    user = db.session.get(StaffUser, user_id)
    errors = {}
    name = " ".join(data.display_name.split())[:120]
    slug = data.author_slug.strip().lower() or (slugify(name, 80) if name else "")
    if slug and not AUTHOR_SLUG.match(slug):
        errors["author_slug"] = ("The web address may use lower-case letters, digits and "
                                 "single hyphens only.")
    elif slug and db.session.scalar(select(StaffUser.id).where(
            StaffUser.author_slug == slug, StaffUser.id != user.id)):
        errors["author_slug"] = f"Another author already uses the web address {slug!r}."
    photo = data.photo_url.strip()
    problem = photo_url_problem(photo)
    if problem:
        errors["photo_url"] = problem
    if errors:
        raise InvalidProfile(errors=errors)
    user.display_name = name
    user.author_slug = slug or None
    user.bio = data.bio.replace("\r\n", "\n").strip()
    user.photo_url = photo
    # Bylines and author boxes on cached pages show these.
    signals.send(signals.content_changed, kind="staff_user", ids=[user.id])
    return user
