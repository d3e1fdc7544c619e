"""A return of some lines of a shipped order, for a refund or an exchange."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..checkout.models import REFUND_ACTIVE_STATUSES
from ..extensions import db
from ..models import UTCDateTime, created_at_column

RETURN_STATUSES = {
    "requested": "Requested, waiting for the parcel",
    "received": "Received by the warehouse",
    "refunded": "Refunded",
    "exchanged": "Replacement sent",
    "closed": "Closed",
    "cancelled": "Cancelled",
}
# What a return can go through: (status, event) -> the status it leads to.
RETURN_TRANSITIONS = {
    ("requested", "receive"): "received",
    ("requested", "cancel"): "cancelled",
    ("received", "refund"): "refunded",
    ("received", "ship"): "exchanged",
    ("received", "close"): "closed",
}
OPEN_STATUSES = ("requested", "received")
RESOLUTIONS = {"refund": "Refund", "exchange": "Exchange"}
REASONS = {
    "too_small": "Too small",
    "too_big": "Too big",
    "too_narrow": "Too narrow",
    "too_wide": "Too wide",
    "brace": "Brace does not fit",
    "changed_mind": "Changed my mind",
    "faulty": "Faulty",
    "other": "Other",
}
CONDITIONS = {"restock": "Restocked", "damaged": "Damaged, not restocked"}
# The replacement held for an exchange: held, then committed at receipt and shipped,
# or given back when the return is cancelled or the hold runs out.
HOLD_STATUSES = {
    "held": "Held for you",
    "committed": "Set aside to ship",
    "shipped": "Shipped",
    "released": "Released",
    "expired": "Released: the hold ran out",
}
# The price difference of an exchange for a dearer or cheaper option.
DIFFERENCE_STATUSES = {
    "none": "No difference",
    "due": "To be paid",
    "paid": "Paid",
    "waived": "Waived by the shop",
    "to_refund": "To be refunded",
    "refunded": "Refunded",
}


def _known(column, values):
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})",
                           name=f"{column}_known")


class ShopReturn(db.Model):
    """A shopper's request to send lines of an order back; `number` is what goes on the parcel."""

    __tablename__ = "shop_return"
    __table_args__ = (
        _known("status", RETURN_STATUSES),
        _known("resolution", RESOLUTIONS),
        _known("reason", REASONS),
        _known("difference_status", DIFFERENCE_STATUSES),
        UniqueConstraint("order_id", "sequence"),
        Index("ix_shop_return_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    # The key of the form that asked for it, so a form sent twice makes one return.
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    resolution: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    hold_status: Mapped[str | None] = mapped_column(String(12))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Replacement prices minus returned prices, in the order's currency.
    difference_cents: Mapped[int] = mapped_column(Integer, default=0)
    difference_status: Mapped[str] = mapped_column(String(10), default="none")
    difference_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    refund_reference: Mapped[str | None] = mapped_column(String(255))
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(120), default="")
    created_at = created_at_column()
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # By class name: checkout's Order, whose package stands below this one.
    order = relationship("Order")
    lines: Mapped[list["ReturnLine"]] = relationship(
        back_populates="shop_return", order_by="ReturnLine.id", cascade="all, delete-orphan")

    @property
    def stock_reference(self):
        """How the inventory ledger and holds name this return."""
        return f"return:{self.number}"

    @property
    def status_label(self):
        return RETURN_STATUSES[self.status]

    @property
    def reason_label(self):
        return REASONS[self.reason]

    @property
    def resolution_label(self):
        return RESOLUTIONS[self.resolution]

    @property
    def hold_label(self):
        return HOLD_STATUSES.get(self.hold_status or "", "")

    @property
    def difference_label(self):
        return DIFFERENCE_STATUSES[self.difference_status]

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_exchange(self):
        return self.resolution == "exchange"

    def can(self, event):
        return (self.status, event) in RETURN_TRANSITIONS

    @property
    def replacement_lines(self):
        """{variant_id: units} of the replacements, for the inventory service."""
        lines = {}
        for line in self.lines:
            for variant_id in line.replacement_variant_ids:
                lines[variant_id] = lines.get(variant_id, 0) + line.quantity
        return lines

    @property
    def refund_note(self):
        """How this return's refunds are named on the order's payments."""
        return f"Return {self.number}"

    @property
    def failed_refunds(self):
        """This return's refunds that failed or were cancelled at the bank (gave nothing)."""
        return [p for p in self.order.refunds
                if p.note == self.refund_note and p.status not in REFUND_ACTIVE_STATUSES]

    @property
    def returned_cents(self):
        """What the shopper paid for the returned units (after the order's discount)."""
        return sum(line.order_line.paid_for(line.quantity) for line in self.lines)

    @property
    def unrefunded_cents(self):
        """What the returned units cost that no refund has given back yet: units staff
        refunded from the order page meanwhile are not owed twice."""
        return sum(line.order_line.paid_for(min(line.quantity,
                                                line.order_line.refundable_quantity))
                   for line in self.lines)


class ReturnLine(db.Model):
    """Units of one order line coming back, and the replacement asked for (exchanges)."""

    __tablename__ = "return_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_non_negative"),
        CheckConstraint("condition IS NULL OR condition IN ('restock', 'damaged')",
                        name="condition_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("shop_return.id", ondelete="CASCADE"),
                                           index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"),
                                               index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    # Copied from the order line: what the shopper paid per unit.
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    replacement_variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variant.id", ondelete="SET NULL"))
    # A mismatched pair as replacement: the variant above is the left shoe, this the right.
    replacement_right_variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variant.id", ondelete="SET NULL"))
    replacement_sku: Mapped[str] = mapped_column(String(140), default="")
    replacement_label: Mapped[str] = mapped_column(String(200), default="")
    replacement_unit_price_cents: Mapped[int | None] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(10))

    shop_return: Mapped[ShopReturn] = relationship(back_populates="lines")
    order_line = relationship("OrderLine")

    @property
    def replacement_variant_ids(self):
        ids = [self.replacement_variant_id]
        if self.replacement_right_variant_id is not None:
            ids.append(self.replacement_right_variant_id)
        return [i for i in ids if i is not None]

    @property
    def condition_label(self):
        return CONDITIONS.get(self.condition or "", "")
