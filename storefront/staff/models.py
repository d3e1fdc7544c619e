"""Staff accounts and their API tokens."""

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
