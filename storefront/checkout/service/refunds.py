"""Refunds: giving back what a cancelled order owes through its gateway, and
recording refunds the gateway reports (including ones made in its dashboard)."""



from ...database import transactional
from ...templating import money
from .. import gateways
from ..gateways import GatewayError
from ..models import Payment
from .errors import RefundFailed
from .orders import claim_event, flag, flag_order, get_order, has_payment, lock_order, record_event


@transactional
def _record_refund(order_id, refund, actor, note=""):
    order = lock_order(order_id)
    if has_payment(order, "refund", refund.id):
        return False
    order.payments.append(Payment(kind="refund", gateway=order.gateway, reference=refund.id,
                                  amount_cents=refund.amount, currency=refund.currency,
                                  status=refund.status, note=note))
    record_event(order, "refunded", f"Refunded {money(refund.amount, refund.currency)}"
           + (f" ({note})." if note else "."), actor)
    return True


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
        flag_order(order_id, reason, actor)
        raise RefundFailed(reason) from error
    _record_refund(order_id, refund, actor)
    return refund.amount


@transactional
def record_gateway_refunds(order_id, refunds, actor, event):
    claim_event(event, order_id)
    order = lock_order(order_id)
    new = [r for r in refunds if r.status == "succeeded"
           and not has_payment(order, "refund", r.id)]
    for refund in new:
        order.payments.append(Payment(kind="refund", gateway=order.gateway,
                                      reference=refund.id, amount_cents=refund.amount,
                                      currency=refund.currency, status=refund.status,
                                      note="" if refund.ours else "Made in the dashboard."))
        record_event(order, "refunded", f"Refunded {money(refund.amount, refund.currency)}.", actor)
    outside = [r for r in new if not r.ours]
    if outside and order.is_paid:
        total = sum(r.amount for r in outside)
        flag(order, f"{money(total, order.currency)} was refunded in the payment dashboard "
              f"while the order is {order.status_label.lower()}. Cancel it to restock, or "
              "check whether that was a partial refund.", actor)
    return "refund_recorded" if new else "already_done"
