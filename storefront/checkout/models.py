"""Orders, their lines, payment transactions, order history and processed webhook events."""

from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import money
from ..extensions import db
from ..models import UTCDateTime, created_at_column, utcnow

ORDER_STATUSES = {
    "pending": "Awaiting payment",
    # A bank debit (ACH, SEPA, Bacs) the shopper authorised; the bank takes days to settle it.
    "awaiting_payment": "Payment on its way",
    "paid": "Paid, being prepared",
    "shipped": "Shipped",
    "cancelled": "Cancelled",
    "expired": "Closed without payment",
    "failed": "Payment failed",
}
_STATUS_LIST = ", ".join(f"'{s}'" for s in ORDER_STATUSES)

# The order state machine: (status, event) -> the status the event leads to.
# An event missing for a status is refused (checkout.service.orders.move raises
# InvalidOrderTransition). A new status is a new key in ORDER_STATUSES (plus a
# migration for the CHECK below), its rows here, and a rule for each new event.
ORDER_TRANSITIONS = {
    ("pending", "pay"): "paid",
    ("pending", "expire"): "expired",
    ("pending", "fail"): "failed",
    # The payment arrived but the units were gone: cancelled, and refunded in full.
    ("pending", "refuse_payment"): "cancelled",
    # The payment page was completed with a delayed method: the stock stays held.
    ("pending", "await_payment"): "awaiting_payment",
    ("awaiting_payment", "pay"): "paid",
    ("awaiting_payment", "fail"): "failed",
    ("awaiting_payment", "refuse_payment"): "cancelled",
    # A payment may still arrive after the payment page closed or the bank declined.
    ("expired", "pay"): "paid",
    ("expired", "refuse_payment"): "cancelled",
    ("failed", "pay"): "paid",
    ("failed", "refuse_payment"): "cancelled",
    ("paid", "ship"): "shipped",
    ("paid", "cancel"): "cancelled",
}
# Why an event is refused, said to staff and shoppers after "Order SA-... is <status>: ".
ORDER_EVENT_RULES = {
    "pay": "a payment can only be taken for an order that is not paid, shipped or cancelled",
    "await_payment": "only an order awaiting its payment page can wait for a bank payment",
    "expire": "only an order awaiting payment can expire",
    "fail": "only an order awaiting payment can fail",
    "refuse_payment": "only an unpaid order can refuse a payment",
    "ship": "only paid orders can be shipped",
    "cancel": "only paid, unshipped orders can be cancelled",
}
# Statuses in which the shop keeps the shopper's money (and counts the sale).
PAID_STATUSES = ("paid", "shipped")
# Statuses in which the order's units are held for a payment still to come.
HELD_STATUSES = ("pending", "awaiting_payment")
# Refund statuses that keep (or will keep) money away from the shop; failed and
# canceled refunds gave nothing back.
REFUND_ACTIVE_STATUSES = ("pending", "requires_action", "succeeded")
REFUND_STATUSES = {
    "pending": "pending",
    "requires_action": "waiting for the shopper",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "cancelled",
}
# A dispute is closed once the card issuer has decided (or the inquiry ended).
DISPUTE_CLOSED_STATUSES = ("won", "lost", "warning_closed")
DISPUTE_STATUSES = {
    "warning_needs_response": "Inquiry, response needed",
    "warning_under_review": "Inquiry under review",
    "warning_closed": "Inquiry closed",
    "needs_response": "Response needed",
    "under_review": "Under review",
    "won": "Won",
    "lost": "Lost",
}
# Statuses an order ends in without being sent; the shopper sees why (cancel_reason).
CLOSED_STATUSES = ("cancelled", "expired", "failed")


class Order(db.Model):
    """One checkout: its lines copy what was sold; `token` is the shopper's secret link."""

    __tablename__ = "shop_order"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST})", name="status_known"),
        CheckConstraint("subtotal_cents >= 0", name="subtotal_non_negative"),
        CheckConstraint("shipping_cents >= 0", name="shipping_non_negative"),
        CheckConstraint("discount_cents >= 0 AND discount_cents <= subtotal_cents",
                        name="discount_within_subtotal"),
        CheckConstraint("tax_cents >= 0", name="tax_non_negative"),
        CheckConstraint("tax_mode IN ('rates', 'stripe')", name="tax_mode_known"),
        CheckConstraint("total_cents = subtotal_cents - discount_cents + shipping_cents"
                        " + CASE WHEN prices_include_tax THEN 0 ELSE tax_cents END",
                        name="total_adds_up"),
        Index("ix_shop_order_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    shipping_cents: Mapped[int] = mapped_column(Integer, default=0)
    # The discount code's saving (the sum of the lines' discounts) and the code as typed
    # into the shop's records at checkout; 0 and "" without a code.
    discount_cents: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    discount_code: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Sales tax and its label: from the staff's rate table at checkout (tax_mode "rates"),
    # or as Stripe Tax computed it on the payment page, recorded when paid ("stripe").
    tax_cents: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    tax_label: Mapped[str] = mapped_column(String(100), default="", server_default="")
    tax_mode: Mapped[str] = mapped_column(String(10), default="rates", server_default="rates")
    # The prices held the tax (PRICES_INCLUDE_TAX): the tax is part of them, not added.
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    # The shipping rate chosen at checkout, as it was named then ("" before rates existed).
    shipping_rate_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    total_cents: Mapped[int] = mapped_column(Integer)
    gateway: Mapped[str] = mapped_column(String(20))
    gateway_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_url: Mapped[str | None] = mapped_column(Text)
    payment_reference: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String(254))
    shipping_name: Mapped[str] = mapped_column(String(200), default="")
    shipping_line1: Mapped[str] = mapped_column(String(200), default="")
    shipping_line2: Mapped[str] = mapped_column(String(200), default="")
    shipping_city: Mapped[str] = mapped_column(String(120), default="")
    shipping_state: Mapped[str] = mapped_column(String(120), default="")
    shipping_postal_code: Mapped[str] = mapped_column(String(30), default="")
    shipping_country: Mapped[str] = mapped_column(String(2), default="")
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(120), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    attention_reason: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The article the shopper followed a product link from; kept as history, so
    # deleting the article only forgets the link, never the order.
    source_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("article.id", ondelete="SET NULL"), index=True
    )

    # By class name: the articles package sits below checkout and never imports it.
    source_article = relationship("Article")
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="order", order_by="Payment.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    disputes: Mapped[list["Dispute"]] = relationship(
        back_populates="order", order_by="Dispute.id", cascade="all, delete-orphan"
    )

    @property
    def stock_reference(self):
        """How the inventory ledger and holds name this order."""
        return f"order:{self.number}"

    @property
    def status_label(self):
        return ORDER_STATUSES.get(self.status, self.status)

    def next_status(self, event):
        """The status `event` moves this order to, or None when it is not allowed now."""
        return ORDER_TRANSITIONS.get((self.status, event))

    def can(self, event):
        return self.next_status(event) is not None

    @property
    def is_open(self):
        """Awaiting payment, its units held for the shopper."""
        return self.status == "pending"

    @property
    def is_awaiting_payment(self):
        """Checked out with a bank debit that has not settled yet; its units stay held."""
        return self.status == "awaiting_payment"

    @property
    def hold_lapsed(self):
        """The time the units were held for has passed (they may have been sold since)."""
        return utcnow() > self.hold_expires_at

    @property
    def open_disputes(self):
        return [d for d in self.disputes if d.is_open]

    @property
    def has_open_dispute(self):
        return bool(self.open_disputes)

    @property
    def lost_dispute_cents(self):
        """Money the card issuer took back after a dispute the shop lost."""
        return sum(d.amount_cents for d in self.disputes if d.status == "lost")

    @property
    def is_paid(self):
        """Paid and not cancelled: the shop keeps the money (shipped or not)."""
        return self.status in PAID_STATUSES

    @property
    def is_shipped(self):
        return self.status == "shipped"

    @property
    def is_closed(self):
        """Ended without being sent: cancelled, expired or failed."""
        return self.status in CLOSED_STATUSES

    @property
    def can_pay(self):
        return self.can("pay")

    @property
    def can_ship(self):
        """Paid, and no dispute open: a disputed parcel might never be paid for."""
        return self.can("ship") and not self.has_open_dispute

    @property
    def can_refund(self):
        """Staff may refund lines of it (before or after shipping)."""
        return self.is_paid and self.refundable_cents > 0

    @property
    def can_cancel(self):
        """Staff may cancel it (restock and refund)."""
        return self.can("cancel")

    @property
    def tax_added_cents(self):
        """What the tax adds to the total: all of it, or nothing when prices include it."""
        return 0 if self.prices_include_tax else self.tax_cents

    @property
    def item_count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def stock_lines(self):
        """{variant_id: quantity} for the inventory service; refunded units are left out."""
        return _stock_lines((line, line.quantity - line.refunded_quantity) for line in self.lines)

    @property
    def charged_cents(self):
        return sum(p.amount_cents for p in self.payments
                   if p.kind == "charge" and p.status == "succeeded")

    @property
    def refunds(self):
        return [p for p in self.payments if p.kind == "refund"]

    @property
    def refunded_cents(self):
        return sum(p.amount_cents for p in self.refunds if p.status == "succeeded")

    @property
    def refunding_cents(self):
        """Refunded, or on its way back: what no further refund may give again."""
        return sum(p.amount_cents for p in self.refunds if p.status in REFUND_ACTIVE_STATUSES)

    @property
    def pending_refund_cents(self):
        return self.refunding_cents - self.refunded_cents

    @property
    def refund_key(self):
        """The idempotency key of the next refund, from what was refunded (or failed) before.

        A retry after a network failure repeats the same key, so Stripe never refunds
        twice; after a refund failed at the bank the next attempt gets a new key.
        """
        failed = sum(1 for p in self.refunds if p.status not in REFUND_ACTIVE_STATUSES)
        return f"refund-{self.number}-{self.refunding_cents}" + (f"-{failed}" if failed else "")

    @property
    def refundable_cents(self):
        """Paid and not yet refunded (nor lost in a dispute)."""
        return max(self.charged_cents - self.refunding_cents - self.lost_dispute_cents, 0)

    @property
    def refund_owed_cents(self):
        """Money taken for an order that will not be sent and not yet given back."""
        if self.status != "cancelled":  # a paid or shipped order keeps its money
            return 0
        return self.refundable_cents

    @property
    def has_shipping_address(self):
        return bool(self.shipping_line1 or self.shipping_city)

    @property
    def shipping_address_lines(self):
        city = " ".join(p for p in (self.shipping_city, self.shipping_state,
                                    self.shipping_postal_code) if p)
        parts = (self.shipping_name, self.shipping_line1, self.shipping_line2, city,
                 self.shipping_country)
        return [p for p in parts if p]


def _stock_lines(pairs):
    lines = {}
    for line, quantity in pairs:
        if quantity <= 0:
            continue
        # One unit of each shoe per mismatched pair; both feet alike is 2 units of one.
        for variant_id in (line.variant_id, line.right_variant_id if line.is_pair else None):
            if variant_id is not None:
                lines[variant_id] = lines.get(variant_id, 0) + quantity
    return lines


class OrderLine(db.Model):
    """What was sold, copied at checkout so later catalogue edits never change an order."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_non_negative"),
        CheckConstraint("line_total_cents = unit_price_cents * quantity",
                        name="line_total_adds_up"),
        CheckConstraint("refunded_quantity BETWEEN 0 AND quantity",
                        name="refunded_within_quantity"),
        CheckConstraint("restocked_quantity BETWEEN 0 AND quantity",
                        name="restocked_within_quantity"),
        CheckConstraint("discount_cents >= 0 AND discount_cents <= line_total_cents",
                        name="discount_within_line_total"),
        CheckConstraint("tax_cents >= 0", name="line_tax_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          index=True)
    # Kept even if the variant is later deleted: the copied fields describe the sale.
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variant.id", ondelete="SET NULL"), index=True
    )
    product_slug: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(64))
    size: Mapped[str] = mapped_column(String(10))
    width: Mapped[str] = mapped_column(String(40))
    colour: Mapped[str] = mapped_column(String(40))
    # The variant's other options ("Material: Cork"), as its option_key was at checkout.
    details: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # A mismatched pair: the fields above are the left shoe, these the right one.
    right_variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variant.id", ondelete="SET NULL"), index=True
    )
    right_sku: Mapped[str | None] = mapped_column(String(64))
    right_size: Mapped[str | None] = mapped_column(String(10))
    right_width: Mapped[str | None] = mapped_column(String(40))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_cents: Mapped[int] = mapped_column(Integer)
    # Units refunded (their money given back) and units that came back and were restocked.
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    restocked_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # This line's share of the order's discount, rounded once, in minor units.
    discount_cents: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The sales tax on this line after its discount, rounded once; the order's tax is the
    # lines' taxes plus shipping's.
    tax_cents: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def refundable_quantity(self):
        return self.quantity - self.refunded_quantity

    @property
    def restockable_quantity(self):
        return self.quantity - self.restocked_quantity

    def stock_lines(self, quantity):
        """{variant_id: units} for `quantity` of this line (a mismatched pair is two shoes)."""
        return _stock_lines([(self, quantity)])

    @property
    def charged_cents(self):
        """What the shopper pays for this line after its discount."""
        return self.line_total_cents - self.discount_cents

    @property
    def paid_cents(self):
        """What the shopper paid for this line: after its discount, with its tax (which
        is inside that price when the order's prices include tax)."""
        if self.order is not None and self.order.prices_include_tax:
            return self.charged_cents
        return self.charged_cents + (self.tax_cents or 0)

    def paid_for(self, units, currency=None):
        """What the shopper paid for `units` of this line: its share after the discount,
        with its share of the line's tax, rounded down to an amount the currency can be
        charged in, so refunds of a line in parts never add up to more than it cost."""
        if not self.quantity:
            return 0
        if units >= self.quantity:
            return self.paid_cents
        share = Decimal(self.paid_cents * units) / self.quantity
        return money.round_to_step(share, currency or self.order.currency, ROUND_DOWN)

    @property
    def is_pair(self):
        return self.right_sku is not None

    @property
    def option_label(self):
        if self.is_pair:
            return (f"Left size {self.size}, {self.width}; right size {self.right_size}, "
                    f"{self.right_width}; {self.colour}")
        label = f"Size {self.size}, {self.width}, {self.colour}"
        return f"{label}, {self.details}" if self.details else label


class Payment(db.Model):
    """One money movement with the gateway (a charge or a refund).

    Amount and reference never change; a refund's status follows what the gateway
    reports (pending, then succeeded, failed or canceled).
    """

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("kind IN ('charge', 'refund')", name="kind_known"),
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        UniqueConstraint("gateway", "kind", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(10))
    gateway: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="succeeded")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at_column()

    order: Mapped[Order] = relationship(back_populates="payments")


class Dispute(db.Model):
    """A cardholder's dispute of an order's payment, as the gateway last reported it."""

    __tablename__ = "dispute"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        UniqueConstraint("gateway", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(255))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(40))
    evidence_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="disputes")

    @property
    def is_open(self):
        return self.status not in DISPUTE_CLOSED_STATUSES

    @property
    def status_label(self):
        return DISPUTE_STATUSES.get(self.status, self.status.replace("_", " "))

    @property
    def reason_label(self):
        return self.reason.replace("_", " ") or "no reason given"


class OrderEvent(db.Model):
    """One line of an order's history: who did what, and when."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200), default="system")
    created_at = created_at_column()

    order: Mapped[Order] = relationship(back_populates="events")


class WebhookEvent(db.Model):
    """A gateway event already handled; its id as primary key makes a redelivery a no-op."""

    __tablename__ = "webhook_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_order.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(40), default="")
    received_at = created_at_column()
