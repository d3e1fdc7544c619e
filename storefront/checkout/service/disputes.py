"""Disputes: a cardholder asks their bank for the money back. The order records
each dispute as the gateway last reported it, is flagged and cannot ship while
one is open, and the admins hear of it at once."""

from ...database import transactional
from ...models import utcnow
from ...templating import money
from ..models import Dispute
from .orders import alert_admins, claim_event, flag, lock_order, record_event

DISPUTE_FLAG = "Dispute"


def _summary(dispute):
    due = (f", evidence due {dispute.evidence_due_by:%d %b %Y %H:%M UTC}"
           if dispute.evidence_due_by and dispute.is_open else "")
    return (f"{money(dispute.amount_cents, dispute.currency)}, reason: {dispute.reason_label}, "
            f"status: {dispute.status_label.lower()}{due}")


def _opened(order, dispute, actor):
    reason = (f"{DISPUTE_FLAG} opened ({_summary(dispute)}). Do not ship until it is closed; "
              "answer it with evidence in the payment dashboard.")
    flag(order, reason, actor)
    alert_admins(order, f"Dispute on order {order.number}", reason,
                 dedupe_key=f"dispute_opened:{dispute.reference}")


def _closed(order, dispute, actor):
    dispute.closed_at = dispute.closed_at or utcnow()
    if dispute.status == "lost":
        reason = (f"{DISPUTE_FLAG} lost: {money(dispute.amount_cents, dispute.currency)} went "
                  "back to the cardholder, and the order counts as refunded. Stock is "
                  "untouched: restock only units that come back.")
        flag(order, reason, actor)
        alert_admins(order, f"Dispute lost on order {order.number}", reason,
                     dedupe_key=f"dispute_lost:{dispute.reference}")
        return
    record_event(order, "dispute_closed",
                 f"{DISPUTE_FLAG} {dispute.status_label.lower()}: the payment stays with the "
                 "shop.", actor)
    if (order.needs_attention and order.attention_reason.startswith(DISPUTE_FLAG)
            and not order.has_open_dispute):
        order.needs_attention = False


@transactional
def record_dispute(order_id, state, actor, event=None):
    """Record a dispute of the order's payment as the gateway reports it now.

    Events about one dispute may come twice or out of order; each one reads the
    dispute's current state, so the order ends the same. Returns what happened.
    """
    claim_event(event, order_id)
    order = lock_order(order_id)
    dispute = next((d for d in order.disputes if d.reference == state.id), None)
    new = dispute is None
    if new:
        dispute = Dispute(gateway=order.gateway, reference=state.id, status=state.status)
        order.disputes.append(dispute)
    was_open = not new and dispute.is_open
    before = None if new else dispute.status
    dispute.amount_cents = state.amount
    dispute.currency = state.currency or order.currency
    dispute.reason = state.reason
    dispute.evidence_due_by = state.evidence_due_by
    dispute.status = state.status
    if before == dispute.status:
        return "already_done"
    if dispute.is_open:
        if new:
            _opened(order, dispute, actor)
        else:
            record_event(order, "dispute_updated", f"{DISPUTE_FLAG} updated: {_summary(dispute)}.",
                         actor)
        return "dispute_open"
    if new or was_open:
        _closed(order, dispute, actor)
    return f"dispute_{dispute.status}"
