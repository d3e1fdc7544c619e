"""Staff actions on an order: ship, cancel (restock and refund), notes, flags."""



from ...database import transactional
from ...inventory import service as inventory
from ...models import utcnow
from .errors import InvalidDetails, InvalidOrderState
from .orders import (
    actor_name,
    get_order,
    lock_order,
    move,
    queue_order_cancelled_email,
    queue_order_shipped_email,
    record_event,
)
from .refunds import refund_owed


@transactional
def ship_order(order_id, carrier, tracking_number, *, actor):
    """Mark a paid order shipped: its committed units leave on hand.

    Raises InvalidDetails, InvalidOrderState (a dispute is open) or
    InvalidOrderTransition (nothing changed).
    """
    carrier = str(carrier or "").strip()
    tracking_number = str(tracking_number or "").strip()
    errors = {}
    if not carrier or len(carrier) > 60:
        errors["carrier"] = "Carrier is required (at most 60 characters)."
    if not tracking_number or len(tracking_number) > 120:
        errors["tracking_number"] = "Tracking number is required (at most 120 characters)."
    if errors:
        raise InvalidDetails("Please correct the highlighted fields.", errors)
    order = lock_order(order_id)
    if order.has_open_dispute:
        raise InvalidOrderState(f"Order {order.number} has an open dispute: it cannot ship "
                                "until the dispute is closed.")
    move(order, "ship", f"Shipped with {carrier}, tracking {tracking_number}.", actor=actor)
    inventory.ship(order.stock_reference, order.stock_lines, actor=actor_name(actor),
                   note=f"{carrier} {tracking_number}")
    order.shipped_at = utcnow()
    order.carrier, order.tracking_number = carrier, tracking_number
    queue_order_shipped_email(order)
    return order


@transactional
def _cancel_paid(order_id, actor, reason):
    order = lock_order(order_id)
    move(order, "cancel", f"Cancelled and restocked. {reason}".strip(), actor=actor)
    inventory.cancel_committed(order.stock_reference, order.stock_lines, actor=actor_name(actor),
                               note=reason)
    order.cancelled_at = utcnow()
    order.cancel_reason = reason or "Cancelled by the shop."
    queue_order_cancelled_email(order, refund=order.refund_owed_cents)
    return order


def cancel_paid_order(order_id, *, actor, reason=""):
    """Cancel a paid, unshipped order: restock its units, then refund the payment.

    Raises InvalidOrderTransition (nothing changed) or RefundFailed (cancelled and
    restocked, the refund flagged for staff to retry).
    """
    _cancel_paid(order_id, actor_name(actor), str(reason or "").strip()[:500])
    refund_owed(order_id, actor=actor)
    return get_order(order_id)


@transactional
def resolve_attention(order_id, note, *, actor):
    """Clear an order's staff flag with a note saying what was done."""
    note = str(note or "").strip()
    if not note:
        raise InvalidDetails("Say what was done.", {"note": "A note is required."})
    order = lock_order(order_id)
    order.needs_attention = False
    record_event(order, "resolved", note[:2000], actor)
    return order


@transactional
def add_order_note(order_id, note, *, actor):
    """Add a staff note to an order's history."""
    note = str(note or "").strip()
    if not note:
        raise InvalidDetails("The note is empty.", {"note": "Write a note."})
    order = lock_order(order_id)
    record_event(order, "note", note[:2000], actor)
    return order
