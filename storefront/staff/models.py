"""Staff accounts and their API tokens."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import created_at_column

ROLES = {
    "admin": "Administrator",
    "warehouse": "Warehouse",
    "marketing": "Marketing",
}


class StaffUser(db.Model):
    """A person who works in the back office; articles name one as their author."""

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
    created_at = created_at_column()

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user",
                                                    cascade="all, delete-orphan")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only a hash of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[StaffUser] = relationship(back_populates="tokens")
