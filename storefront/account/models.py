"""Shopper accounts: the address that proves itself by e-mail link, its saved shipping
addresses and its fit profile (size and width per foot, brace side, closures)."""

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, created_at_column

BRACE_SIDES = {
    "none": "No brace",
    "left": "On the left foot",
    "right": "On the right foot",
    "both": "On both feet",
}
CLOSURES = {
    "zip": "Zip",
    "hook-and-loop": "Hook-and-loop strap",
    "magnetic": "Magnetic",
    "elastic-laces": "Elastic laces",
    "laces": "Laces",
    "slip-on": "Slip-on, no fastening",
}
LINK_PURPOSES = ("sign_in", "delete")


def new_session_nonce():
    return secrets.token_urlsafe(16)


class Shopper(db.Model):
    """A shopper who signed in by e-mail link at least once; orders placed with this
    address belong to the account.

    `session_nonce` is part of what the session cookie holds; a new one (at sign-out)
    ends every session of the account."""

    __tablename__ = "shopper"
    __table_args__ = (
        CheckConstraint("brace IN ('none', 'left', 'right', 'both')", name="brace_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    accepts_marketing: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    session_nonce: Mapped[str] = mapped_column(String(64), default=new_session_nonce)
    created_at = created_at_column()
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_size_id: Mapped[int | None] = mapped_column(ForeignKey("size.id", ondelete="SET NULL"))
    left_width_id: Mapped[int | None] = mapped_column(
        ForeignKey("width.id", ondelete="SET NULL"))
    right_size_id: Mapped[int | None] = mapped_column(
        ForeignKey("size.id", ondelete="SET NULL"))
    right_width_id: Mapped[int | None] = mapped_column(
        ForeignKey("width.id", ondelete="SET NULL"))
    brace: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    closures: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    # By class name: the catalogue stands below and never imports accounts.
    left_size = relationship("Size", foreign_keys=[left_size_id], lazy="joined")
    left_width = relationship("Width", foreign_keys=[left_width_id], lazy="joined")
    right_size = relationship("Size", foreign_keys=[right_size_id], lazy="joined")
    right_width = relationship("Width", foreign_keys=[right_width_id], lazy="joined")
    addresses: Mapped[list["ShopperAddress"]] = relationship(
        back_populates="shopper", order_by="ShopperAddress.id", cascade="all, delete-orphan")

    def session_id(self):
        return f"{self.id}:{self.session_nonce}"

    @property
    def has_fit(self):
        return None not in (self.left_size_id, self.left_width_id, self.right_size_id,
                            self.right_width_id)

    @property
    def brace_label(self):
        return BRACE_SIDES.get(self.brace, self.brace)

    @property
    def closure_labels(self):
        return [CLOSURES[c] for c in self.closures or () if c in CLOSURES]

    @property
    def default_address(self):
        return next((a for a in self.addresses if a.is_default), None)


class ShopperLink(db.Model):
    """A single-use e-mailed link: to sign in, or to confirm deleting the account.

    It names the address, not an account, so asking for a link creates nothing and the
    answer reads the same for every address. Only hashes of the token and of the asking
    browser's nonce are kept."""

    __tablename__ = "shopper_link"
    __table_args__ = (
        CheckConstraint("purpose IN ('sign_in', 'delete')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    browser_hash: Mapped[str] = mapped_column(String(128))
    created_at = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ShopperAddress(db.Model):
    """A shipping address the shopper saved; at most one is the default."""

    __tablename__ = "shopper_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("shopper.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(30))
    country: Mapped[str] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = created_at_column()

    shopper: Mapped[Shopper] = relationship(back_populates="addresses")

    FIELDS = ("name", "line1", "line2", "city", "state", "postal_code", "country")

    @property
    def lines(self):
        city = " ".join(p for p in (self.city, self.state, self.postal_code) if p)
        return [p for p in (self.name, self.line1, self.line2, city, self.country) if p]

    def as_dict(self):
        return {k: getattr(self, k) for k in self.FIELDS} | {"default": self.is_default}
