"""Orders and their state machine: reading orders, moving one along ORDER_TRANSITIONS
(the only place an order's status is set), its history, staff flags and the
shopper's e-mails, which every other checkout module shares.

Every change to an order locks its row first (SELECT ... FOR UPDATE), then the
variants' counters, always in that order, so concurrent deliveries queue up
instead of deadlocking, and the second one finds the work done.
"""

import logging
from datetime import UTC

from sqlalchemy import column, exists, func, select, table

from ... import signals
from ...database import transactional
from ...extensions import db
from ...links import absolute_url
from ...mail import service as mail
from ..models import DISPUTE_CLOSED_STATUSES, Dispute, Order, OrderEvent, WebhookEvent
from .errors import InvalidOrderTransition, OrderNotFound

log = logging.getLogger(__name__)


def actor_name(actor):
    """A readable actor name from a staff user (anything with .email) or a string."""
    return getattr(actor, "email", None) or str(actor or "system")


def record_event(order, kind, message, actor="system"):
    db.session.add(OrderEvent(order=order, kind=kind, message=message, actor=actor_name(actor)))


def flag(order, reason, actor="system"):
    """Mark a (locked) order as needing staff attention, saying why in its history."""
    order.needs_attention = True
    order.attention_reason = reason
    record_event(order, "flagged", reason, actor)


@transactional
def flag_order(order_id, reason, actor):
    """Flag an order for staff with `reason`, in a transaction of its own."""
    flag(lock_order(order_id), reason, actor)


def move(order, event, message, *, actor="system", kind=None):
    """Move `order` (locked by the caller) by `event` along ORDER_TRANSITIONS.

    Writes the history row (`kind`, default the new status) and announces
    order_status_changed at commit. The only place an order's status is set.
    Raises InvalidOrderTransition, changing nothing, when the event is not
    allowed in the order's status.
    """
    new = order.next_status(event)
    if new is None:
        raise InvalidOrderTransition(order, event)
    old, order.status = order.status, new
    record_event(order, kind or new, message, actor)
    signals.send(signals.order_status_changed, order_id=order.id, old=old, new=new)
    return new


def lock_order(order_id):
    """The order, re-read and locked until commit; raises OrderNotFound."""
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        raise OrderNotFound()
    return order


def clock_time(moment):
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def claim_event(event, order_id):
    """Record a gateway event as handled; a second delivery fails here on the primary key.

    The order is locked first: the event row's foreign key takes a share lock on the
    order, and two different events for one order holding that while both wait for
    the order's update lock would deadlock.
    """
    if event is None:
        return
    if order_id is not None:
        lock_order(order_id)
    db.session.add(WebhookEvent(id=event["id"], gateway=event.get("gateway", "stripe"),
                                type=event["type"], order_id=order_id,
                                outcome=event.get("outcome", "")))
    db.session.flush()


def has_payment(order, kind, reference):
    return any(p.kind == kind and p.reference == reference and p.gateway == order.gateway
               for p in order.payments)


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


def list_orders(*, status=None, needs_attention=None, limit=50, offset=0):
    """Orders with an open dispute first, then newest first; optionally one status or flag."""
    disputed = exists().where(Dispute.order_id == Order.id,
                              Dispute.status.not_in(DISPUTE_CLOSED_STATUSES))
    query = select(Order).order_by(disputed.desc(), Order.created_at.desc(), Order.id.desc())
    if status:
        query = query.where(Order.status == status)
    if needs_attention is not None:
        query = query.where(Order.needs_attention.is_(needs_attention))
    return db.session.scalars(query.limit(limit).offset(offset)).all()


def customer_orders(email, limit=50):
    """The orders placed with `email` (any case), newest first: a customer's orders."""
    if not email:
        return []
    return db.session.scalars(
        select(Order).where(func.lower(Order.email) == email.strip().lower())
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()


def order_history(order_id):
    """Every event of an order, oldest first: who did what, and when."""
    return db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    ).all()


def queue_order_paid_email(order):
    """Queue the shopper's 'order paid' e-mail, inside the payment's transaction.

    The outbox row commits with the payment or not at all, so the message
    exists exactly when the order became paid.
    """
    _queue_mail(order, mail.queue_order_paid, lines=_mail_lines(order),
                subtotal=order.subtotal_cents, shipping=order.shipping_cents,
                discount=order.discount_cents, discount_code=order.discount_code,
                tax=order.tax_cents, tax_label=order.tax_label,
                tax_included=order.prices_include_tax,
                total=order.total_cents, currency=order.currency)


def queue_order_shipped_email(order):
    """Queue the shipping notice (carrier, tracking), inside the shipping transaction."""
    _queue_mail(order, mail.queue_order_shipped, carrier=order.carrier,
                tracking_number=order.tracking_number, lines=_mail_lines(order))


def queue_order_cancelled_email(order, refund):
    """Queue the cancellation notice, saying `refund` cents go back, inside the cancelling one."""
    _queue_mail(order, mail.queue_order_cancelled, refund=refund, currency=order.currency,
                reason=order.cancel_reason)


def queue_order_refunded_email(order, refund, lines, reason):
    """Queue the shopper's refund notice (`lines`: (OrderLine, quantity) pairs refunded)."""
    _queue_mail(order, mail.queue_order_refunded, amount=refund.amount_cents,
                currency=refund.currency, reason=reason, pending=refund.status != "succeeded",
                refund_id=refund.reference,
                lines=[mail.Line(line.title, quantity, line.unit_price_cents,
                                 line.unit_price_cents * quantity, detail=line.option_label,
                                 sku=line.sku) for line, quantity in lines])


# Staff accounts by table name: checkout sits below the staff package and never imports it.
_staff_user = table("staff_user", column("email"), column("role"), column("active"))


def alert_admins(order, subject, message, dedupe_key):
    """E-mail the active admins about `order` at once, inside the caller's transaction."""
    admins = db.session.scalars(
        select(_staff_user.c.email).where(_staff_user.c.role == "admin",
                                          _staff_user.c.active.is_(True))
        .order_by(_staff_user.c.email)).all()
    if not admins:
        log.warning("order %s: no active admin to tell: %s", order.number, subject)
        return
    try:
        mail.queue_staff_alert(to=list(admins), subject=subject, message=message,
                               order_number=order.number,
                               order_url=absolute_url("staff.order", order_id=order.id),
                               dedupe_key=dedupe_key)
    except mail.MailError as error:
        log.warning("order %s: no staff alert queued: %s", order.number, error.message)


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
