"""Payments: taking a payment exactly once (from the webhook, the success page
or the demo page's Pay button), the shopper giving up on the payment page, and
Stripe's webhook events.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...cart import discounts
from ...database import transactional
from ...extensions import db
from ...inventory import service as inventory
from ...models import utcnow
from ...templating import money
from .. import gateways
from ..gateways import GatewayError, GatewayObjectMissing, SessionState
from ..models import HELD_STATUSES, Order, Payment, WebhookEvent
from .disputes import record_dispute
from .errors import (
    BadSignature,
    OrderNotFound,
    PaymentPageExpired,
    PaymentUnavailable,
    RefundFailed,
    WebhooksNotConfigured,
)
from .orders import (
    actor_name,
    claim_event,
    clock_time,
    flag,
    get_order,
    has_payment,
    lock_order,
    move,
    order_for_shopper,
    queue_order_cancelled_email,
    queue_order_paid_email,
    record_event,
)
from .placing import clean_address, close_unpaid, shipping_countries
from .refunds import record_gateway_refunds, refund_owed

log = logging.getLogger(__name__)


WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class PaymentResult:
    order_id: int
    outcome: str  # paid | awaiting_payment | already_done | not_paid | mismatch | refund_due


def _copy_customer(order, state):
    """Fill in the shopper's e-mail and address the order lacks; True when any was missing."""
    copied = False
    if state.email and not order.email:
        order.email = state.email
        copied = True
    if state.shipping and not order.has_shipping_address:
        for key, value in state.shipping.items():
            setattr(order, f"shipping_{key}", value)
        copied = True
    return copied


def _await_payment(order, state, actor):
    """The payment page was completed with a bank debit: keep the units held for days."""
    _copy_customer(order, state)
    order.payment_reference = state.payment_reference or order.payment_reference
    days = current_app.config["DELAYED_PAYMENT_HOLD_DAYS"]
    until = utcnow() + timedelta(days=days)
    short = inventory.extend_hold(order.stock_reference, order.stock_lines, until,
                                  actor=actor_name(actor), note="Bank payment on its way.")
    order.hold_expires_at = until
    move(order, "await_payment",
         f"The shopper completed the payment page with a bank payment, which takes a few "
         f"days to arrive; the items stay held until {until:%d %b %Y}.", actor=actor)
    if short:
        flag(order, "A bank payment is on its way, but some items had already been released "
             "and sold: " + ", ".join(f"variant {v} ({q} unit(s))" for v, q in short.items())
             + ". If the payment arrives it is refunded automatically when the stock is "
             "still short.", actor)


def _record_gateway_tax(order, state, amount, actor):
    """The tax Stripe Tax charged becomes the order's (its total grows by it, unless the
    prices included it), shared over the lines as Stripe taxed each; what no line carries
    is shipping's."""
    lines = state.line_taxes or ()
    # The line items come back in the order they were sent: the order's lines first.
    if len(lines) >= len(order.lines) and sum(lines[:len(order.lines)]) <= amount:
        for line, line_tax in zip(order.lines, lines, strict=False):
            line.tax_cents = line_tax
    order.tax_cents, order.tax_label = amount, "Tax" if amount else ""
    order.total_cents = (order.subtotal_cents - order.discount_cents + order.shipping_cents
                         + order.tax_added_cents)
    if amount:
        how = "found" if order.prices_include_tax else "charged"
        record_event(order, "tax_recorded",
                     f"Stripe Tax {how} {money(amount, order.currency)} of tax; the order "
                     f"total is {money(order.total_cents, order.currency)}.", actor)


@transactional
def _take_payment(order_id, state, actor, event):
    claim_event(event, order_id)
    order = lock_order(order_id)
    if not order.can_pay:
        return "already_done"
    if not state.paid:
        if state.awaiting_payment and order.can("await_payment"):
            _await_payment(order, state, actor)
            return "awaiting_payment"
        return "already_done" if order.is_awaiting_payment else "not_paid"
    reference = state.payment_reference or state.session_id
    gateway_tax = (state.amount_tax or 0) if order.tax_mode == "stripe" else 0
    added = 0 if order.prices_include_tax else gateway_tax
    if (state.amount_total != order.total_cents + added
            or state.currency != order.currency):
        if not has_payment(order, "charge", reference):
            paid = money(state.amount_total or 0, state.currency or order.currency)
            order.payments.append(Payment(
                kind="charge", gateway=order.gateway, reference=reference,
                amount_cents=state.amount_total or 0,
                currency=state.currency or order.currency,
                note="Amount or currency differs from the order total."))
            flag(order, f"The gateway reports {paid} paid, but the order total is "
                  f"{money(order.total_cents, order.currency)}. Stock was not taken; "
                  "check the payment before doing anything else.", actor)
        return "mismatch"

    if order.tax_mode == "stripe":
        _record_gateway_tax(order, state, gateway_tax, actor)
    _copy_customer(order, state)
    order.payment_reference = reference
    order.payments.append(Payment(kind="charge", gateway=order.gateway, reference=reference,
                                  amount_cents=state.amount_total, currency=order.currency))
    held = order.status in HELD_STATUSES and utcnow() <= order.hold_expires_at
    late = "" if held else " after its hold had expired; the stock was still there"
    try:
        # A savepoint: confirm changes every line or, on OutOfStock, none of them.
        with db.session.begin_nested():
            inventory.confirm(order.stock_reference, order.stock_lines, actor=actor_name(actor))
    except inventory.OutOfStock as error:
        order.cancelled_at = utcnow()
        order.cancel_reason = ("Your payment arrived after the items were no longer held for "
                               "you, and they had sold out meanwhile. The full amount is "
                               "refunded.")
        short = ", ".join(f"variant {s.variant_id} ({s.requested} needed, {s.available} left)"
                          for s in error.shortages)
        move(order, "refuse_payment",
             f"Payment of {money(state.amount_total, order.currency)} received.",
             actor=actor, kind="payment_received")
        given_back = discounts.give_back(order.id)  # the refunded order used no code
        if given_back:
            record_event(order, "discount_given_back",
                         f"The use of code {given_back} was given back.", actor)
        flag(order, f"Paid after its hold had been released, and the stock was gone: "
              f"{short}. The payment is refunded automatically; tell the shopper.", actor)
        queue_order_cancelled_email(order, refund=state.amount_total)
        return "refund_due"
    order.paid_at = utcnow()
    move(order, "pay", f"Payment of {money(state.amount_total, order.currency)} received{late}.",
         actor=actor)
    queue_order_paid_email(order)
    return "paid"


def record_payment(order_id, state, *, actor, event=None):
    """Take a confirmed payment for an order: commit its stock, exactly once.

    Idempotent: the webhook, the success page and the demo Pay button may all
    call it, in any order and at the same time. A payment whose stock is gone
    is refunded and the order flagged for staff. Returns a PaymentResult.
    """
    outcome = _take_payment(order_id, state, actor, event)
    order = get_order(order_id)
    if order.refund_owed_cents:
        try:
            refund_owed(order_id, actor="system")
        except RefundFailed:
            log.warning("automatic refund of order %s failed; flagged for staff", order.number)
    return PaymentResult(order_id, outcome)


def abandon_checkout(token, *, actor="shopper"):
    """The shopper gave up paying: close the payment session and release the hold.

    If the gateway says the session was paid after all, the payment is taken
    instead. Returns the order. Raises OrderNotFound, PaymentUnavailable.
    """
    order = order_for_shopper(token)
    if not order.is_open:
        return order
    gateway = gateways.get(order.gateway)
    state = None
    if order.gateway_session_id:
        try:
            state = gateway.expire_session(order.gateway_session_id)
        except GatewayError as error:
            raise PaymentUnavailable(
                "We could not reach the payment service to cancel. Nothing more will be "
                f"charged; your items are released automatically at "
                f"{clock_time(order.hold_expires_at)}."
            ) from error
    if state is not None and (state.paid or state.awaiting_payment):
        record_payment(order.id, state, actor="payment gateway")
    else:
        close_unpaid(order.id, "expire", "Checkout cancelled by the shopper before paying.",
                      actor)
    return get_order(order.id)


@dataclass(frozen=True)
class SweptOrder:
    number: str
    outcome: str  # expired | paid | awaiting_payment | ... (record_payment's) | unreachable


def close_expired_orders(now=None):
    """Close the unpaid orders whose hold and payment page have both run out (the demo
    page left open, or a Stripe expiry event that never came), giving their code use
    back. A Stripe order's payment page is asked about first: one paid after all is
    recorded as paid instead. A gateway that does not answer leaves the order for the
    next pass. Returns a SweptOrder per order looked at.
    """
    now = now or utcnow()
    ids = db.session.scalars(
        select(Order.id).where(Order.status == "pending", Order.hold_expires_at < now,
                               (Order.payment_expires_at.is_(None))
                               | (Order.payment_expires_at < now))
        .order_by(Order.id)).all()
    swept = []
    for order_id in ids:
        order = get_order(order_id)
        state = None
        if order.gateway_session_id and order.gateway != "demo":
            try:
                state = gateways.get(order.gateway).retrieve_session(order.gateway_session_id)
            except GatewayError:
                log.warning("could not check the payment page of order %s; next pass",
                            order.number)
                swept.append(SweptOrder(order.number, "unreachable"))
                continue
        if state is not None and (state.paid or state.awaiting_payment):
            outcome = record_payment(order_id, state, actor="payment gateway").outcome
        else:
            outcome = close_unpaid(order_id, "expire",
                                   "The payment page expired before it was paid.", "system",
                                   release_reason="hold_expired")
        swept.append(SweptOrder(order.number, outcome))
    return swept


def confirm_return(session_id):
    """The shopper is back from the payment page: take the payment if the gateway says paid.

    Returns the order. Raises OrderNotFound. A gateway that does not answer
    is not an error here: the webhook finishes the job.
    """
    if not session_id or len(session_id) > 255:
        raise OrderNotFound("That payment session is unknown.")
    order = db.session.scalars(
        select(Order).where(Order.gateway_session_id == session_id)).first()
    if order is None:
        raise OrderNotFound("That payment session is unknown.")
    if order.can_pay:
        try:
            state = gateways.get(order.gateway).retrieve_session(session_id)
        except GatewayError:
            log.warning("could not check session %s on return; waiting for the webhook",
                        session_id)
            state = None
        if state is not None and state.session_id == session_id:
            record_payment(order.id, state, actor="shopper return")
    elif order.is_paid and not (order.email and order.has_shipping_address):
        # Paid by the webhook, but without the shopper's details: ask the gateway again.
        try:
            state = gateways.get(order.gateway).retrieve_session(session_id)
        except GatewayError:
            log.warning("could not read the details of session %s on return", session_id)
            state = None
        if state is not None and state.session_id == session_id:
            _repair_customer(order.id, state)
    elif order.refund_owed_cents:
        # A refund that failed earlier is retried (same idempotency key) on each visit.
        try:
            refund_owed(order.id, actor="system")
        except RefundFailed:
            log.warning("refund of order %s failed again; still flagged", order.number)
    return get_order(order.id)


@transactional
def _repair_customer(order_id, state):
    order = lock_order(order_id)
    if _copy_customer(order, state):
        record_event(order, "details_completed",
                     "The shopper's e-mail and address were completed from the payment page.",
                     "shopper return")


def demo_pay(token, data):
    """The demo page's Pay button: the same payment recording a real payment goes through.

    The amount paid is the order's own total; nothing in the form can change it.
    Raises OrderNotFound, InvalidDetails, PaymentPageExpired.
    """
    order = order_for_shopper(token)
    if order.gateway != "demo":
        raise OrderNotFound()
    if not order.is_open:
        return order
    if order.payment_expires_at and utcnow() > order.payment_expires_at:
        close_unpaid(order.id, "expire", "The payment page expired before it was paid.",
                      "demo gateway")
        raise PaymentPageExpired("This payment page has expired, so nothing was charged. "
                                 "Your cart is still here; check out again.")
    address, email = clean_address(data, shipping_countries(order),
                                   email_required=not order.email)
    state = SessionState(
        session_id=order.gateway_session_id or f"demo_{order.number}", status="complete",
        payment_status="paid", amount_total=order.total_cents, currency=order.currency,
        payment_reference=f"demo_pi_{order.number}", order_number=order.number,
        email=email, shipping=address,
    )
    record_payment(order.id, state, actor="demo gateway")
    return get_order(order.id)


def _verified_event(payload, signature):
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise WebhooksNotConfigured("Stripe webhooks are not configured on this shop.")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret,
                                              WEBHOOK_TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise BadSignature("The Stripe-Signature header is missing, wrong or too old.") \
            from error
    try:
        event = json.loads(text)
    except ValueError as error:
        raise BadSignature("The event is not valid JSON.") from error
    if not (isinstance(event, dict) and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
            and isinstance((event.get("data") or {}).get("object"), dict)):
        raise BadSignature("The event is missing its id, type or object.")
    return event


def _event_seen(event_id):
    return db.session.get(WebhookEvent, event_id) is not None


def _order_for_session(state):
    order = None
    if state.session_id:
        order = db.session.scalars(
            select(Order).where(Order.gateway_session_id == state.session_id)).first()
    if order is None and state.order_number:
        order = db.session.scalars(
            select(Order).where(Order.number == state.order_number)).first()
    return order


@transactional
def _record_ignored(event, order_id):
    claim_event(event, order_id)
    return "ignored"


# Every event type the shop acts on (README lists what each does); all others are
# answered 2xx and recorded as ignored.
SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                  "checkout.session.async_payment_failed", "checkout.session.expired")
REFUND_EVENTS = ("charge.refunded", "charge.refund.updated", "refund.created",
                 "refund.updated", "refund.failed")
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
                  "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")
SUBSCRIBED_EVENTS = SESSION_EVENTS + REFUND_EVENTS + DISPUTE_EVENTS


def _order_paid_by(reference):
    if not reference:
        return None
    order = db.session.scalars(select(Order).where(Order.payment_reference == reference)).first()
    if order is None:
        # A further charge recorded on an order (a return's price difference).
        order = db.session.scalars(
            select(Order).join(Payment).where(Payment.kind == "charge",
                                              Payment.reference == reference)).first()
    return order


_SESSION_HANDLERS = "storefront.checkout.session_handlers"


def handle_other_sessions(app, handler):
    """Let a package above checkout settle payment pages it opened itself (a return's
    price difference): `handler(kind, state, event)` is called for a Stripe session
    event that is no order's, and returns the outcome, or None when it is not its own.
    It claims the event (claim_event) in the transaction that records the payment."""
    handlers = app.extensions.setdefault(_SESSION_HANDLERS, [])
    if handler not in handlers:
        handlers.append(handler)


def _other_session(kind, state, record):
    for handler in current_app.extensions.get(_SESSION_HANDLERS, ()):
        outcome = handler(kind, state, record)
        if outcome is not None:
            return outcome
    return _record_ignored(record, None)


def _session_event(kind, obj, record):
    state = gateways.session_state(obj)
    order = _order_for_session(state)
    if order is None:
        return _other_session(kind, state, record)
    # The payload's shape depends on the endpoint's API version: act on the session
    # as Stripe reports it now, in the version the shop pins.
    state = gateways.get("stripe").retrieve_session(order.gateway_session_id or obj["id"])
    if state.paid or kind == "checkout.session.completed":
        return record_payment(order.id, state, actor="stripe", event=record).outcome
    if kind == "checkout.session.async_payment_failed":
        return close_unpaid(order.id, "fail", "The bank did not complete the payment.",
                            "stripe", event=record)
    if kind == "checkout.session.expired" and state.status == "expired":
        return close_unpaid(order.id, "expire", "The payment page expired before it was paid.",
                            "stripe", release_reason="hold_expired", event=record)
    return record_payment(order.id, state, actor="stripe", event=record).outcome


def _refund_event(kind, obj, record):
    gateway = gateways.get("stripe")
    what = "charge" if kind == "charge.refunded" else "refund"
    reference = gateway.payment_reference_of(what, obj["id"])
    order = _order_paid_by(reference)
    if order is None:
        return _record_ignored(record, None)
    return record_gateway_refunds(order.id, gateway.list_refunds(reference), "stripe", record)


def _dispute_event(kind, obj, record):
    gateway = gateways.get("stripe")
    dispute = gateway.retrieve_dispute(obj["id"])
    reference = dispute.payment_reference
    if reference is None and dispute.charge:
        reference = gateway.payment_reference_of("charge", dispute.charge)
    order = _order_paid_by(reference)
    if order is None:
        return _record_ignored(record, None)
    return record_dispute(order.id, dispute, "stripe", record)


def handle_stripe_webhook(payload, signature):
    """Verify and apply one Stripe event; a redelivered event changes nothing.

    The object an event names is read back from Stripe (so the order follows
    what Stripe says now, whatever order events arrive in). Returns what
    happened (paid, already_done, duplicate, ignored, ...). Raises BadSignature
    (nothing changed), WebhooksNotConfigured, or GatewayError when Stripe cannot
    be asked (nothing changed; Stripe delivers the event again).
    """
    event = _verified_event(payload, signature)
    if _event_seen(event["id"]):
        return "duplicate"
    kind = event["type"]
    obj = event["data"]["object"]
    record = {"id": event["id"], "type": kind, "gateway": "stripe"}
    try:
        if kind in SESSION_EVENTS:
            return _session_event(kind, obj, record)
        try:
            if kind in REFUND_EVENTS:
                return _refund_event(kind, obj, record)
            if kind in DISPUTE_EVENTS:
                return _dispute_event(kind, obj, record)
        except GatewayObjectMissing:
            # Not this account's object (or long gone): nothing of ours to change.
            return _record_ignored(record, None)
        return _record_ignored(record, None)
    except IntegrityError:
        # The same event, delivered twice at once: the other delivery committed it.
        db.session.rollback()
        if _event_seen(event["id"]):
            return "duplicate"
        raise
