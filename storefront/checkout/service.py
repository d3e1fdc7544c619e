"""Checkout use cases: open an order and hold its stock, take payments exactly once,
close unpaid orders, refund, ship and cancel.

Stock moves only through the inventory service. Calls to the payment gateway
happen outside the database transactions, so a slow or failing gateway never
holds row locks and never leaves half a change behind. Every change to an
order locks its row first (SELECT ... FOR UPDATE), then the variants'
counters, always in that order, so concurrent deliveries queue up instead of
deadlocking, and the second one finds the work done.
"""

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

import stripe
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..articles.models import Article, ArticleClick
from ..cart import service as cart_service
from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..inputs import parse_id
from ..inventory import service as inventory
from ..links import absolute_url
from ..mail import service as mail
from ..models import utcnow
from ..templating import money
from . import gateways
from .gateways import GatewayError, SessionState
from .models import Order, OrderEvent, OrderLine, Payment, WebhookEvent

log = logging.getLogger(__name__)

# A payment finished in the last seconds of its session may be reported a little
# later; the hold outlives the payment page by this much so it still finds its units.
HOLD_GRACE = timedelta(minutes=5)
WEBHOOK_TOLERANCE_SECONDS = 300
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ADDRESS_FIELDS = {
    "name": ("Full name", 200, True),
    "line1": ("Address", 200, True),
    "line2": ("Apartment, suite (optional)", 200, False),
    "city": ("City", 120, True),
    "state": ("State or province", 120, False),
    "postal_code": ("ZIP or postal code", 30, True),
    "country": ("Country", 2, True),
}


class CheckoutError(DomainError):
    status = 409
    code = "checkout_refused"


class CartNotReady(CheckoutError):
    code = "cart_not_ready"


class StockShort(CheckoutError):
    """Some lines could not be held; nothing was held. `shortages` says what is left."""

    code = "out_of_stock"

    def __init__(self, message, shortages):
        super().__init__(message)
        self.shortages = shortages

    def to_dict(self):
        return super().to_dict() | {"shortages": self.shortages}


class OrderNotFound(DomainError):
    status = 404
    code = "order_not_found"

    def __init__(self, message="We could not find that order."):
        super().__init__(message)


class InvalidOrderState(CheckoutError):
    code = "invalid_order_state"


class InvalidDetails(DomainError):
    status = 422
    code = "invalid_details"

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.errors = errors or {}

    def to_dict(self):
        return super().to_dict() | {"errors": self.errors}


class PaymentUnavailable(DomainError):
    status = 503
    code = "payment_unavailable"


class PaymentPageExpired(CheckoutError):
    code = "payment_page_expired"


class RefundFailed(DomainError):
    status = 502
    code = "refund_failed"


class BadSignature(DomainError):
    status = 400
    code = "bad_signature"


class WebhooksNotConfigured(DomainError):
    status = 503
    code = "webhooks_not_configured"


# -- small helpers ------------------------------------------------------------------

def _actor(actor):
    """A readable actor name from a staff user (anything with .email) or a string."""
    return getattr(actor, "email", None) or str(actor or "system")


def _event(order, kind, message, actor="system"):
    db.session.add(OrderEvent(order=order, kind=kind, message=message, actor=_actor(actor)))


def _flag(order, reason, actor="system"):
    order.needs_attention = True
    order.attention_reason = reason
    _event(order, "flagged", reason, actor)


def _lock_order(order_id):
    """The order, re-read and locked until commit; raises OrderNotFound."""
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        raise OrderNotFound()
    return order


def _new_number():
    return "SA-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def _variant_name(variant):
    return f"{variant.product.title} ({variant.label})"


def _aware(moment):
    """SQLite hands back naive datetimes; every time the shop stores is UTC."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment):
    return _aware(moment).strftime("%H:%M UTC")


def queue_order_paid_email(order):
    """Queue the shopper's 'order paid' e-mail, inside the payment's transaction.

    The outbox row commits with the payment or not at all, so the message
    exists exactly when the order became paid.
    """
    _queue_mail(order, mail.queue_order_paid, lines=_mail_lines(order),
                subtotal=order.subtotal_cents, shipping=order.shipping_cents,
                total=order.total_cents, currency=order.currency)


def queue_order_shipped_email(order):
    """Queue the shipping notice (carrier, tracking), inside the shipping transaction."""
    _queue_mail(order, mail.queue_order_shipped, carrier=order.carrier,
                tracking_number=order.tracking_number, lines=_mail_lines(order))


def queue_order_cancelled_email(order, refund):
    """Queue the cancellation notice, saying `refund` cents go back, inside the cancelling one."""
    _queue_mail(order, mail.queue_order_cancelled, refund=refund, currency=order.currency,
                reason=order.cancel_reason)


def _mail_lines(order):
    return [mail.Line(line.title, line.quantity, line.unit_price_cents, line.line_total_cents,
                      detail=line.option_label, sku=line.sku) for line in order.lines]


def _queue_mail(order, queue, **values):
    # An odd or missing shopper address must never undo a payment, shipment or cancellation.
    if not order.email:
        log.warning("order %s has no e-mail address: no %s sent", order.number, queue.__name__)
        return
    try:
        queue(to=order.email, order_number=order.number,
              order_url=absolute_url("checkout.order_page", token=order.token),
              customer_name=order.shipping_name, **values)
    except mail.MailError as error:
        log.warning("order %s: no e-mail queued: %s", order.number, error.message)


# -- reading orders -------------------------------------------------------------------

def order_for_shopper(token):
    """The order behind a shopper's secret link; raises OrderNotFound."""
    if not token or len(token) > 64:
        raise OrderNotFound()
    order = db.session.scalars(select(Order).where(Order.token == token)).first()
    if order is None:
        raise OrderNotFound()
    return order


def get_order(order_id):
    """An order by id; raises OrderNotFound."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound()
    return order


def get_order_by_number(number):
    """An order by its number (e.g. SA-7K2M9QXR); raises OrderNotFound."""
    order = db.session.scalars(select(Order).where(Order.number == number)).first()
    if order is None:
        raise OrderNotFound(f"There is no order {number!r}.")
    return order


def list_orders(*, status=None, needs_attention=None, limit=50, offset=0):
    """Orders newest first, optionally only one status or only flagged ones."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if status:
        query = query.where(Order.status == status)
    if needs_attention is not None:
        query = query.where(Order.needs_attention.is_(needs_attention))
    return db.session.scalars(query.limit(limit).offset(offset)).all()


def order_history(order_id):
    """Every event of an order, oldest first: who did what, and when."""
    return db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    ).all()


# -- starting a checkout ------------------------------------------------------------

def _known_article_id(value):
    """`value` if it names an existing article, else None.

    It comes from the shopper's session, which may outlive the article; a stale
    or odd value must never stop a sale, so it is dropped rather than refused.
    """
    article_id = parse_id(value)
    if article_id is None:
        return None
    return db.session.scalar(select(Article.id).where(Article.id == article_id))


def _shortage_message(shortages, names):
    parts = []
    for s in shortages:
        name = names.get(s.variant_id, "An item")
        if s.available <= 0:
            parts.append(f"{name} is sold out.")
        else:
            parts.append(f"Only {s.available} of {name} left; you asked for {s.requested}.")
    return ("Sorry, someone got there first. " + " ".join(parts)
            + " Nothing was charged; change your cart and check out again.")


@transactional
def _open_order(cart, gateway_name, pay_by, source_article_id=None):
    """Create the pending order from the cart (prices from the database) and hold its stock."""
    view = cart_service.view(cart)
    if not view.lines:
        raise CartNotReady("Your cart is empty.")
    withdrawn = [line for line in view.lines if not line.orderable]
    if withdrawn:
        raise CartNotReady("Some items in your cart are no longer sold. Remove them to check out.")
    order = Order(
        number=_new_number(), token=secrets.token_urlsafe(32), status="pending",
        currency=view.currency, subtotal_cents=view.subtotal, shipping_cents=0,
        total_cents=view.subtotal, gateway=gateway_name,
        hold_expires_at=pay_by + HOLD_GRACE, payment_expires_at=pay_by,
        source_article_id=_known_article_id(source_article_id),
    )
    for line in view.lines:
        variant, right = line.variant, line.right_variant
        order.lines.append(OrderLine(
            variant_id=variant.id, product_slug=variant.product.slug,
            title=variant.product.title, sku=variant.sku, size=variant.size.label,
            width=variant.width.label, colour=variant.colour.name,
            right_variant_id=right.id if right else None, right_sku=right.sku if right else None,
            right_size=right.size.label if right else None,
            right_width=right.width.label if right else None,
            unit_price_cents=line.unit_price, quantity=line.quantity,
            line_total_cents=line.line_total,
        ))
    db.session.add(order)
    db.session.flush()
    try:
        inventory.hold(order.stock_reference, order.stock_lines, order.hold_expires_at,
                       actor="checkout")
    except inventory.OutOfStock as error:
        names = {}
        for line in view.lines:
            names.setdefault(line.variant_id, _variant_name(line.variant))
            if line.is_pair:  # either shoe of a mismatched pair can be the short one
                names.setdefault(line.right_variant_id, _variant_name(line.right_variant))
        raise StockShort(
            _shortage_message(error.shortages, names),
            [{"variant_id": s.variant_id, "requested": s.requested,
              "available": max(s.available, 0)} for s in error.shortages],
        ) from error
    _event(order, "created",
           f"Order placed for {money(order.total_cents, order.currency)}; "
           f"{order.item_count} item(s) held until {_when(order.hold_expires_at)}.",
           "shopper")
    return order.id


@transactional
def _attach_session(order_id, session):
    order = _lock_order(order_id)
    order.gateway_session_id = session.id
    order.payment_url = session.url
    order.payment_expires_at = session.expires_at
    _event(order, "payment_page_opened",
           f"Payment page opened ({order.gateway}), open until {_when(session.expires_at)}.")
    return order


def start_checkout(cart, urls_for, source_article_id=None):
    """Open a pending order holding the cart's stock, then its payment session.

    `urls_for(order)` gives the CheckoutUrls for that order; `source_article_id`
    is the article the shopper came from (an unknown one is ignored). Returns the
    order. Raises CartNotReady, StockShort (nothing held), PaymentUnavailable
    (hold released).
    """
    gateway = gateways.get()
    now = utcnow()
    pay_by = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    pay_by = gateway.session_expiry(pay_by, now)
    order_id = _open_order(cart, gateway.name, pay_by, source_article_id)
    order = get_order(order_id)
    try:
        session = gateway.create_session(order, urls_for(order), order.payment_expires_at)
    except GatewayError as error:
        _close_unpaid(order_id, "failed", f"The payment page could not be opened: "
                      f"{error.message}", "checkout", release_reason="hold_released")
        raise PaymentUnavailable(
            "We could not open the payment page just now. Nothing was charged and nothing "
            "is held; your cart is unchanged. Please try again in a minute."
        ) from error
    return _attach_session(order_id, session)


# -- closing unpaid orders ------------------------------------------------------------

def _claim_event(event, order_id):
    """Record a gateway event as handled; a second delivery fails here on the primary key."""
    if event is None:
        return
    db.session.add(WebhookEvent(id=event["id"], gateway=event.get("gateway", "stripe"),
                                type=event["type"], order_id=order_id,
                                outcome=event.get("outcome", "")))
    db.session.flush()


@transactional
def _close_unpaid(order_id, status, reason, actor, *, release_reason="hold_released",
                  event=None):
    _claim_event(event, order_id)
    order = _lock_order(order_id)
    if order.status != "pending":
        return "already_done"
    released = inventory.release(order.stock_reference, reason=release_reason,
                                 actor=_actor(actor), note=reason)
    order.status = status
    order.cancel_reason = reason
    order.cancelled_at = utcnow()
    units = sum(released.values())
    _event(order, status, f"{reason} {units} held unit(s) released." if units else reason,
           actor)
    return status


def abandon_checkout(token, *, actor="shopper"):
    """The shopper gave up paying: close the payment session and release the hold.

    If the gateway says the session was paid after all, the payment is taken
    instead. Returns the order. Raises OrderNotFound, PaymentUnavailable.
    """
    order = order_for_shopper(token)
    if order.status != "pending":
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
                f"{_when(order.hold_expires_at)}."
            ) from error
    if state is not None and state.paid:
        fulfil(order.id, state, actor="payment gateway")
    else:
        _close_unpaid(order.id, "expired", "Checkout cancelled by the shopper before paying.",
                      actor)
    return get_order(order.id)


# -- taking a payment -----------------------------------------------------------------

@dataclass(frozen=True)
class Fulfilment:
    order_id: int
    outcome: str  # paid | already_done | not_paid | mismatch | refund_due


def _copy_customer(order, state):
    if state.email and not order.email:
        order.email = state.email
    if state.shipping and not order.has_shipping_address:
        for key, value in state.shipping.items():
            setattr(order, f"shipping_{key}", value)


def _has_payment(order, kind, reference):
    return any(p.kind == kind and p.reference == reference and p.gateway == order.gateway
               for p in order.payments)


@transactional
def _record_payment(order_id, state, actor, event):
    _claim_event(event, order_id)
    order = _lock_order(order_id)
    if order.status not in ("pending", "expired", "failed"):
        return "already_done"
    if not state.paid:
        if event is not None:
            _event(order, "payment_processing",
                   "The shopper finished the payment page; the payment is still being "
                   "confirmed by the bank.", actor)
        return "not_paid"
    reference = state.payment_reference or state.session_id
    if state.amount_total != order.total_cents or state.currency != order.currency:
        if not _has_payment(order, "charge", reference):
            paid = money(state.amount_total or 0, state.currency or order.currency)
            order.payments.append(Payment(
                kind="charge", gateway=order.gateway, reference=reference,
                amount_cents=state.amount_total or 0,
                currency=state.currency or order.currency,
                note="Amount or currency differs from the order total."))
            _flag(order, f"The gateway reports {paid} paid, but the order total is "
                  f"{money(order.total_cents, order.currency)}. Stock was not taken; "
                  "check the payment before doing anything else.", actor)
        return "mismatch"

    _copy_customer(order, state)
    order.payment_reference = reference
    order.payments.append(Payment(kind="charge", gateway=order.gateway, reference=reference,
                                  amount_cents=state.amount_total, currency=order.currency))
    was = order.status
    try:
        # A savepoint: confirm changes every line or, on OutOfStock, none of them.
        with db.session.begin_nested():
            inventory.confirm(order.stock_reference, order.stock_lines, actor=_actor(actor))
    except inventory.OutOfStock as error:
        now = utcnow()
        order.status = "cancelled"
        order.cancelled_at = now
        order.cancel_reason = ("Your payment arrived after the items were no longer held for "
                               "you, and they had sold out meanwhile. The full amount is "
                               "refunded.")
        short = ", ".join(f"variant {s.variant_id} ({s.requested} needed, {s.available} left)"
                          for s in error.shortages)
        _event(order, "payment_received",
               f"Payment of {money(state.amount_total, order.currency)} received.", actor)
        _flag(order, f"Paid after its hold had been released, and the stock was gone: "
              f"{short}. The payment is refunded automatically; tell the shopper.", actor)
        queue_order_cancelled_email(order, refund=state.amount_total)
        return "refund_due"
    order.status = "paid"
    order.paid_at = utcnow()
    late = " after its hold had expired; the stock was still there" if was != "pending" else ""
    _event(order, "paid",
           f"Payment of {money(state.amount_total, order.currency)} received{late}.", actor)
    queue_order_paid_email(order)
    return "paid"


def fulfil(order_id, state, *, actor, event=None):
    """Take a confirmed payment for an order: commit its stock, exactly once.

    Idempotent: the webhook, the success page and the demo Pay button may all
    call it, in any order and at the same time. A payment whose stock is gone
    is refunded and the order flagged for staff. Returns a Fulfilment.
    """
    outcome = _record_payment(order_id, state, actor, event)
    order = get_order(order_id)
    if order.refund_owed_cents:
        try:
            refund_owed(order_id, actor="system")
        except RefundFailed:
            log.warning("automatic refund of order %s failed; flagged for staff", order.number)
    return Fulfilment(order_id, outcome)


# -- refunds --------------------------------------------------------------------------

@transactional
def _record_refund(order_id, refund, actor, note=""):
    order = _lock_order(order_id)
    if _has_payment(order, "refund", refund.id):
        return False
    order.payments.append(Payment(kind="refund", gateway=order.gateway, reference=refund.id,
                                  amount_cents=refund.amount, currency=refund.currency,
                                  status=refund.status, note=note))
    _event(order, "refunded", f"Refunded {money(refund.amount, refund.currency)}"
           + (f" ({note})." if note else "."), actor)
    return True


@transactional
def _flag_order(order_id, reason, actor):
    _flag(_lock_order(order_id), reason, actor)


def refund_owed(order_id, *, actor):
    """Refund what a cancelled order still owes the shopper through its gateway.

    Returns the refunded cents (0 when nothing is owed). Raises RefundFailed
    after flagging the order for staff.
    """
    order = get_order(order_id)
    owed = order.refund_owed_cents
    if not owed:
        return 0
    # The key names the refund by what was refunded before, so a retry after a
    # failure repeats the same request and Stripe never refunds twice.
    key = f"refund-{order.number}-{order.refunded_cents}"
    try:
        refund = gateways.get(order.gateway).refund(
            order.payment_reference, owed, order.currency, key, order.number)
    except GatewayError as error:
        reason = (f"The refund of {money(owed, order.currency)} failed: {error.message} "
                  "Retry the refund, or refund it in the payment dashboard.")
        _flag_order(order_id, reason, actor)
        raise RefundFailed(reason) from error
    _record_refund(order_id, refund, actor)
    return refund.amount


@transactional
def _record_gateway_refunds(order_id, refunds, actor, event):
    _claim_event(event, order_id)
    order = _lock_order(order_id)
    new = [r for r in refunds if r.status == "succeeded"
           and not _has_payment(order, "refund", r.id)]
    for refund in new:
        order.payments.append(Payment(kind="refund", gateway=order.gateway,
                                      reference=refund.id, amount_cents=refund.amount,
                                      currency=refund.currency, status=refund.status,
                                      note="" if refund.ours else "Made in the dashboard."))
        _event(order, "refunded", f"Refunded {money(refund.amount, refund.currency)}.", actor)
    outside = [r for r in new if not r.ours]
    if outside and order.status in ("paid", "shipped"):
        total = sum(r.amount for r in outside)
        _flag(order, f"{money(total, order.currency)} was refunded in the payment dashboard "
              f"while the order is {order.status_label.lower()}. Cancel it to restock, or "
              "check whether that was a partial refund.", actor)
    return "refund_recorded" if new else "already_done"


# -- webhooks -------------------------------------------------------------------------

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
    _claim_event(event, order_id)
    return "ignored"


def handle_stripe_webhook(payload, signature):
    """Verify and apply one Stripe event; a redelivered event changes nothing.

    Returns what happened (paid, already_done, duplicate, ignored, ...).
    Raises BadSignature (nothing changed) or WebhooksNotConfigured.
    """
    event = _verified_event(payload, signature)
    if _event_seen(event["id"]):
        return "duplicate"
    kind = event["type"]
    obj = event["data"]["object"]
    record = {"id": event["id"], "type": kind, "gateway": "stripe"}
    try:
        if kind.startswith("checkout.session."):
            state = gateways.session_state(obj)
            order = _order_for_session(state)
            if order is None:
                return _record_ignored(record, None)
            if kind in ("checkout.session.completed",
                        "checkout.session.async_payment_succeeded"):
                return fulfil(order.id, state, actor="stripe", event=record).outcome
            if kind == "checkout.session.async_payment_failed":
                return _close_unpaid(order.id, "failed",
                                     "The bank declined the payment.", "stripe", event=record)
            if kind == "checkout.session.expired":
                return _close_unpaid(order.id, "expired",
                                     "The payment page expired before it was paid.", "stripe",
                                     release_reason="hold_expired", event=record)
            return _record_ignored(record, order.id)
        if kind == "charge.refunded":
            reference = obj.get("payment_intent")
            order = reference and db.session.scalars(
                select(Order).where(Order.payment_reference == reference)).first()
            if order is None:
                return _record_ignored(record, None)
            refunds = gateways.get("stripe").list_refunds(reference)
            return _record_gateway_refunds(order.id, refunds, "stripe", record)
        return _record_ignored(record, None)
    except IntegrityError:
        # The same event, delivered twice at once: the other delivery committed it.
        db.session.rollback()
        if _event_seen(event["id"]):
            return "duplicate"
        raise


# -- returning from the payment page -------------------------------------------------

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
    if order.status in ("pending", "expired"):
        try:
            state = gateways.get(order.gateway).retrieve_session(session_id)
        except GatewayError:
            log.warning("could not check session %s on return; waiting for the webhook",
                        session_id)
            state = None
        if state is not None and state.session_id == session_id:
            fulfil(order.id, state, actor="shopper return")
    elif order.refund_owed_cents:
        # A refund that failed earlier is retried (same idempotency key) on each visit.
        try:
            refund_owed(order.id, actor="system")
        except RefundFailed:
            log.warning("refund of order %s failed again; still flagged", order.number)
    return get_order(order.id)


def clean_address(data):
    """A shipping address from form input; raises InvalidDetails naming each bad field."""
    address, errors = {}, {}
    for key, (label, limit, required) in ADDRESS_FIELDS.items():
        value = str(data.get(key) or "").strip()
        if required and not value:
            errors[key] = f"{label} is required."
        elif len(value) > limit:
            errors[key] = f"{label} must be at most {limit} characters."
        address[key] = value
    if address["country"] and address["country"].upper() not in gateways.SHIPPING_COUNTRIES:
        errors["country"] = "We ship to the United States and Canada only."
    address["country"] = address["country"].upper()
    email = str(data.get("email") or "").strip()
    if email and ("@" not in email or len(email) > 254):
        errors["email"] = "Enter an e-mail address like name@example.com, or leave it empty."
    if errors:
        raise InvalidDetails("Please correct the highlighted fields.", errors)
    return address, email or None


def demo_pay(token, data):
    """The demo page's Pay button: the same fulfilment a real payment goes through.

    The amount paid is the order's own total; nothing in the form can change it.
    Raises OrderNotFound, InvalidDetails, PaymentPageExpired.
    """
    order = order_for_shopper(token)
    if order.gateway != "demo":
        raise OrderNotFound()
    if order.status != "pending":
        return order
    if order.payment_expires_at and utcnow() > _aware(order.payment_expires_at):
        _close_unpaid(order.id, "expired", "The payment page expired before it was paid.",
                      "demo gateway")
        raise PaymentPageExpired("This payment page has expired, so nothing was charged. "
                                 "Your cart is still here; check out again.")
    address, email = clean_address(data)
    state = SessionState(
        session_id=order.gateway_session_id or f"demo_{order.number}", status="complete",
        payment_status="paid", amount_total=order.total_cents, currency=order.currency,
        payment_reference=f"demo_pi_{order.number}", order_number=order.number,
        email=email, shipping=address,
    )
    fulfil(order.id, state, actor="demo gateway")
    return get_order(order.id)


# -- staff use cases ------------------------------------------------------------------

@transactional
def ship_order(order_id, carrier, tracking_number, *, actor):
    """Mark a paid order shipped: its committed units leave on hand. Raises InvalidOrderState."""
    carrier = str(carrier or "").strip()
    tracking_number = str(tracking_number or "").strip()
    errors = {}
    if not carrier or len(carrier) > 60:
        errors["carrier"] = "Carrier is required (at most 60 characters)."
    if not tracking_number or len(tracking_number) > 120:
        errors["tracking_number"] = "Tracking number is required (at most 120 characters)."
    if errors:
        raise InvalidDetails("Please correct the highlighted fields.", errors)
    order = _lock_order(order_id)
    if order.status != "paid":
        raise InvalidOrderState(f"Order {order.number} is {order.status_label.lower()}; "
                                "only paid orders can be shipped.")
    inventory.ship(order.stock_reference, order.stock_lines, actor=_actor(actor),
                   note=f"{carrier} {tracking_number}")
    order.status = "shipped"
    order.shipped_at = utcnow()
    order.carrier, order.tracking_number = carrier, tracking_number
    _event(order, "shipped", f"Shipped with {carrier}, tracking {tracking_number}.", actor)
    queue_order_shipped_email(order)
    return order


@transactional
def _cancel_paid(order_id, actor, reason):
    order = _lock_order(order_id)
    if order.status != "paid":
        raise InvalidOrderState(f"Order {order.number} is {order.status_label.lower()}; "
                                "only paid, unshipped orders can be cancelled.")
    inventory.cancel_committed(order.stock_reference, order.stock_lines, actor=_actor(actor),
                               note=reason)
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    order.cancel_reason = reason or "Cancelled by the shop."
    _event(order, "cancelled", f"Cancelled and restocked. {reason}".strip(), actor)
    queue_order_cancelled_email(order, refund=order.refund_owed_cents)
    return order


def cancel_paid_order(order_id, *, actor, reason=""):
    """Cancel a paid, unshipped order: restock its units, then refund the payment.

    Raises InvalidOrderState (nothing changed) or RefundFailed (cancelled and
    restocked, the refund flagged for staff to retry).
    """
    _cancel_paid(order_id, _actor(actor), str(reason or "").strip()[:500])
    refund_owed(order_id, actor=actor)
    return get_order(order_id)


@transactional
def resolve_attention(order_id, note, *, actor):
    """Clear an order's staff flag with a note saying what was done."""
    note = str(note or "").strip()
    if not note:
        raise InvalidDetails("Say what was done.", {"note": "A note is required."})
    order = _lock_order(order_id)
    order.needs_attention = False
    _event(order, "resolved", note[:2000], actor)
    return order


@transactional
def add_order_note(order_id, note, *, actor):
    """Add a staff note to an order's history."""
    note = str(note or "").strip()
    if not note:
        raise InvalidDetails("The note is empty.", {"note": "Write a note."})
    order = _lock_order(order_id)
    _event(order, "note", note[:2000], actor)
    return order


# -- sales from articles --------------------------------------------------------------

# Statuses in which an order's money stays with the shop. A cancelled order is
# refunded (or flagged until it is), so it no longer counts, even if it was paid once.
SALE_STATUSES = ("paid", "shipped")
ARTICLE_SORTS = {"newest": "Newest first", "revenue": "Most revenue first",
                 "orders": "Most orders first", "clicks": "Most clicks first"}


@dataclass(frozen=True)
class ArticleSales:
    article: Article
    state: str
    clicks: int
    orders: int
    revenue: int  # cents, in the shop's currency


@dataclass(frozen=True)
class ArticleSalesReport:
    rows: list
    sort: str
    currency: str

    @property
    def clicks(self):
        return sum(row.clicks for row in self.rows)

    @property
    def orders(self):
        return sum(row.orders for row in self.rows)

    @property
    def revenue(self):
        return sum(row.revenue for row in self.rows)


def article_sales(sort="newest", now=None):
    """Every article with its product clicks, paid orders and revenue, in one query.

    An order counts when it is paid or shipped, in the shop's currency, and came
    from the article. `sort` is one of ARTICLE_SORTS; anything else means newest.
    """
    sort = sort if sort in ARTICLE_SORTS else "newest"
    now = now or utcnow()
    currency = current_app.config["SHOP_CURRENCY"]
    clicks = (select(ArticleClick.article_id, func.count().label("n"))
              .group_by(ArticleClick.article_id).subquery())
    sales = (select(Order.source_article_id.label("article_id"),
                    func.count().label("n"), func.sum(Order.total_cents).label("cents"))
             .where(Order.source_article_id.is_not(None),
                    Order.status.in_(SALE_STATUSES), Order.currency == currency)
             .group_by(Order.source_article_id).subquery())
    n_clicks = func.coalesce(clicks.c.n, 0)
    n_orders = func.coalesce(sales.c.n, 0)
    revenue = func.coalesce(sales.c.cents, 0)
    newest = (Article.publish_at.desc().nulls_first(), Article.id.desc())
    order_by = {"revenue": (revenue.desc(), n_orders.desc(), n_clicks.desc()),
                "orders": (n_orders.desc(), revenue.desc(), n_clicks.desc()),
                "clicks": (n_clicks.desc(), n_orders.desc(), revenue.desc())}
    query = (select(Article, n_clicks, n_orders, revenue)
             .outerjoin(clicks, clicks.c.article_id == Article.id)
             .outerjoin(sales, sales.c.article_id == Article.id)
             .order_by(*order_by.get(sort, ()), *newest))
    rows = [ArticleSales(article, article.state(now), int(c), int(o), int(r))
            for article, c, o, r in db.session.execute(query).unique().all()]
    return ArticleSalesReport(rows, sort, currency)
