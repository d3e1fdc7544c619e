"""Staff accounts, their API tokens, invitation and password-reset links, the audit log."""

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, created_at_column

ROLES = {
    "admin": "Administrator",
    "warehouse": "Warehouse",
    "marketing": "Marketing",
}


def new_session_nonce():
    return secrets.token_urlsafe(16)


class StaffUser(db.Model):
    """A person who works in the back office; articles name one as their author.

    `session_nonce` is part of the id kept in the signed session cookie; changing
    it (at logout) makes every earlier cookie of this account worthless.
    """

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'warehouse', 'marketing')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # An author's public page is /blog/authors/<author_slug>, once they have one and
    # a published article; the photo is a path on the shop or an https:// address.
    author_slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    photo_url: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    created_at = created_at_column()

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user",
                                                    cascade="all, delete-orphan")

    # What Flask-Login asks of a user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_nonce}"

    @property
    def name(self):
        return self.display_name or self.email

    @property
    def status(self):
        """"disabled", "invited" (no password set yet) or "active"."""
        if not self.active:
            return "disabled"
        return "active" if self.password_hash else "invited"

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    def has_role(self, *roles):
        """Admins may do everything; others only what their role is listed for."""
        return self.role == "admin" or self.role in roles


class ApiToken(db.Model):
    """A bearer token for the JSON API; only a hash of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship(back_populates="tokens")


LINK_PURPOSES = ("invite", "reset")


class StaffLink(db.Model):
    """A single-use link that lets a person set their password: an invitation to a new
    account or a password reset. Only a hash of the link's token is stored."""

    __tablename__ = "staff_link"
    __table_args__ = (
        CheckConstraint("purpose IN ('invite', 'reset')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship()


class AuditEntry(db.Model):
    """Who did what to which account, when and from where; rows are never updated.

    The e-mail addresses are copied, so an entry still reads right after an account
    changes its address or is removed.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(254))  # an e-mail address, or "system"
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(254), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
