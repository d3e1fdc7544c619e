"""Stock counters, holds and the append-only ledger.

Inventory knows variants by id only (a foreign key by table name), so it
imports nothing from the catalogue.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, created_at_column


class StockLevel(db.Model):
    """The three counters of one variant. `available` is derived, never stored."""

    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("committed >= 0", name="committed_non_negative"),
        CheckConstraint("reserved + committed <= on_hand", name="allocated_within_on_hand"),
    )

    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), primary_key=True
    )
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    # How many times the counters changed: a page that showed this variant's stock
    # is current while it is unchanged (storefront/pagecache.py).
    changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def available(self):
        return self.on_hand - self.reserved - self.committed


# What a hold is for. Checkout holds last minutes; exchange holds keep a replacement
# for a shopper's return (the return as reference) for days.
HOLD_KINDS = ("checkout", "exchange")


class StockHold(db.Model):
    """Units reserved for one reference (an open checkout, a return's exchange), until
    taken, released or expired."""

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("kind IN ('checkout', 'exchange')", name="kind_known"),
        UniqueConstraint("reference", "variant_id"),
        Index("ix_stock_hold_variant_active", "variant_id", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="active")
    kind: Mapped[str] = mapped_column(String(12), default="checkout", server_default="checkout")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at = created_at_column()
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StockMovement(db.Model):
    """One ledger row per change of a variant's counters; rows are never updated."""

    __table_args__ = (Index("ix_stock_movement_variant_id_id", "variant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    committed_delta: Mapped[int] = mapped_column(Integer, default=0)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reserved_after: Mapped[int] = mapped_column(Integer)
    committed_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200), default="system")
    reference: Mapped[str | None] = mapped_column(String(120), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at = created_at_column()

    @property
    def available_after(self):
        return self.on_hand_after - self.reserved_after - self.committed_after
