"""Refunds: giving back what a cancelled order owes, staff refunds of lines of a
paid or shipped order, and following every refund's status as the gateway
reports it (pending, then succeeded, failed or canceled), dashboard refunds too."""

from dataclasses import dataclass

from ... import signals
from ...database import transactional
from ...inventory import service as inventory
from ...templating import money
from .. import gateways
from ..gateways import GatewayError
from ..models import REFUND_ACTIVE_STATUSES, REFUND_STATUSES, Payment
from .errors import InvalidDetails, InvalidOrderState, RefundFailed
from .orders import (
    actor_name,
    alert_admins,
    claim_event,
    flag,
    flag_order,
    get_order,
    has_payment,
    lock_order,
    queue_order_refunded_email,
    record_event,
)

MAX_REASON = 500


def _refund_failed(order, payment, refund, actor):
    """A refund the bank did not complete: flag the order and tell the admins."""
    why = f" ({refund.failure_reason.replace('_', ' ')})" if refund.failure_reason else ""
    reason = (f"The refund of {money(payment.amount_cents, payment.currency)} "
              f"{REFUND_STATUSES.get(refund.status, refund.status)} at the bank{why}: the "
              "shopper has not got that money back. Refund it again from this order page.")
    flag(order, reason, actor)
    alert_admins(order, f"Refund failed on order {order.number}", reason,
                 dedupe_key=f"refund_failed:{payment.reference}")
    signals.send(signals.refund_failed, order_id=order.id, reference=payment.reference)


def _add_refund(order, refund, actor, note=""):
    payment = Payment(kind="refund", gateway=order.gateway, reference=refund.id,
                      amount_cents=refund.amount, currency=refund.currency,
                      status=refund.status, note=note)
    order.payments.append(payment)
    return payment


@transactional
def _record_refund(order_id, refund, actor, note=""):
    order = lock_order(order_id)
    if has_payment(order, "refund", refund.id):
        return False
    payment = _add_refund(order, refund, actor, note)
    state = "" if refund.status == "succeeded" else (
        f", {REFUND_STATUSES.get(refund.status, refund.status)}")
    record_event(order, "refunded", f"Refunded {money(refund.amount, refund.currency)}{state}"
                 + (f" ({note})." if note else "."), actor)
    if refund.status not in REFUND_ACTIVE_STATUSES:
        _refund_failed(order, payment, refund, actor)
    return True


def _send_refund(order, amount, actor):
    """Ask the gateway for a refund of `amount`; raises RefundFailed after flagging."""
    try:
        return gateways.get(order.gateway).refund(
            order.payment_reference, amount, order.currency, order.refund_key, order.number)
    except GatewayError as error:
        reason = (f"The refund of {money(amount, order.currency)} failed: {error.message} "
                  "Retry the refund, or refund it in the payment dashboard.")
        flag_order(order.id, reason, actor)
        raise RefundFailed(reason) from error


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
    refund = _send_refund(order, owed, actor)
    _record_refund(order_id, refund, actor)
    return refund.amount


@dataclass(frozen=True)
class RefundPlan:
    """What a staff refund gives back: {line id: units}, units to restock, the amount."""

    lines: dict
    restock: dict
    amount: int


def _plan(order, lines, restock):
    if not order.is_paid:
        raise InvalidOrderState(f"Order {order.number} is {order.status_label.lower()}: only "
                                "paid or shipped orders can be refunded here.")
    by_id = {line.id: line for line in order.lines}
    whole = lines is None
    if whole:
        lines = {line.id: line.refundable_quantity for line in order.lines}
    errors, chosen = {}, {}
    for line_id, quantity in lines.items():
        line = by_id.get(line_id)
        if line is None:
            raise InvalidDetails("That line is not part of this order.")
        if quantity < 0 or quantity > line.refundable_quantity:
            errors[f"quantity_{line_id}"] = (
                f"Refund 0 to {line.refundable_quantity} of {line.title}.")
        elif quantity:
            chosen[line_id] = quantity
    if isinstance(restock, dict):
        restocking = {i: q for i, q in restock.items() if q}
    else:
        restocking = dict(chosen) if restock else {}
    for line_id, quantity in restocking.items():
        line = by_id.get(line_id)
        if line is None:
            raise InvalidDetails("That line is not part of this order.")
        if quantity < 0 or quantity > min(line.restockable_quantity, line.quantity):
            errors[f"restock_{line_id}"] = (
                f"Restock 0 to {line.restockable_quantity} of {line.title}.")
    if restocking and not order.is_shipped:
        errors["restock"] = ("Nothing has been shipped yet: refunded units of an unshipped "
                             "order go back to stock by themselves.")
    if errors:
        raise InvalidDetails("Nothing was refunded: check the quantities.", errors)
    if not chosen and not whole:
        raise InvalidDetails("Nothing was refunded: choose at least one unit.",
                             {"lines": "Choose at least one unit to refund."})
    everything = all(chosen.get(line.id, 0) == line.refundable_quantity
                     for line in order.lines)
    if everything and not order.is_shipped:
        raise InvalidDetails("To refund everything before it ships, cancel the order: that "
                             "restocks it and refunds the payment.",
                             {"lines": "Cancel the order instead."})
    amount = sum(by_id[i].paid_for(q) for i, q in chosen.items())
    if everything:
        # The last units take what is left of the payment, shipping included.
        amount = order.refundable_cents
    if amount <= 0 or amount > order.refundable_cents:
        raise InvalidDetails(
            f"Nothing was refunded: {money(amount, order.currency)} is more than the "
            f"{money(order.refundable_cents, order.currency)} still refundable.",
            {"lines": "That is more than was paid and not yet refunded."})
    return RefundPlan(chosen, restocking, amount)


def _lines_text(order, quantities):
    by_id = {line.id: line for line in order.lines}
    return ", ".join(f"{q} × {by_id[i].title} ({by_id[i].option_label})"
                     for i, q in quantities.items())


@transactional
def _record_line_refund(order_id, refund, plan, reason, actor):
    order = lock_order(order_id)
    if has_payment(order, "refund", refund.id):
        return order  # the same refund again (a retried request): already recorded
    payment = _add_refund(order, refund, actor, note=reason)
    by_id = {line.id: line for line in order.lines}
    refunded = []
    for line_id, quantity in plan.lines.items():
        line = by_id[line_id]
        quantity = min(quantity, line.refundable_quantity)
        if not quantity:
            continue
        line.refunded_quantity += quantity
        refunded.append((line, quantity))
        if not order.is_shipped:
            # Not sent yet: the refunded units stay in the warehouse and are free again.
            inventory.cancel_committed(order.stock_reference, line.stock_lines(quantity),
                                       actor=actor_name(actor),
                                       note=f"Refunded before shipping. {reason}")
    restocked = 0
    for line_id, quantity in plan.restock.items():
        line = by_id[line_id]
        quantity = min(quantity, line.restockable_quantity)
        for variant_id, units in line.stock_lines(quantity).items():
            inventory.adjust(variant_id, units, "return_restock", actor=actor_name(actor),
                             reference=order.stock_reference, note=reason)
            restocked += units
        line.restocked_quantity += quantity
    state = "" if refund.status == "succeeded" else (
        f" ({REFUND_STATUSES.get(refund.status, refund.status)})")
    message = (f"Refunded {money(refund.amount, refund.currency)}{state}"
               + (f" for {_lines_text(order, plan.lines)}" if plan.lines else "")
               + f". Reason: {reason}"
               + (f" {restocked} unit(s) back in stock." if restocked else ""))
    record_event(order, "refunded", message, actor)
    if refund.status not in REFUND_ACTIVE_STATUSES:
        _refund_failed(order, payment, refund, actor)
    queue_order_refunded_email(order, payment, refunded, reason)
    return order


def refund_lines(order_id, lines=None, *, reason, restock=False, actor):
    """Refund units of a paid or shipped order, optionally restocking returned ones.

    `lines` is {order line id: units} (None: everything still refundable);
    `restock` is True (every refunded unit came back), False, or {line id: units}
    that came back (shipped orders only; a ledger movement `return_restock`).
    Unshipped refunded units go back to stock by themselves. The amount is the
    lines' prices, never more than was paid and not yet refunded; the refund is
    idempotent at the gateway. The history and the shopper's e-mail say what was
    refunded. Returns the order. Raises InvalidDetails, InvalidOrderState
    (nothing changed) or RefundFailed (nothing refunded, the order flagged).
    """
    reason = " ".join(str(reason or "").split())[:MAX_REASON]
    if not reason:
        raise InvalidDetails("Say why it is refunded.", {"reason": "A reason is required."})
    order = get_order(order_id)
    plan = _plan(order, lines, restock)
    refund = _send_refund(order, plan.amount, actor)
    return _record_line_refund(order_id, refund, plan, reason, actor)


@transactional
def record_gateway_refunds(order_id, refunds, actor, event):
    """Bring the order's refunds in line with the gateway's list (new ones, new statuses).

    Repeated or out-of-order events end in the same state: the list is what the
    gateway says now. A failed or cancelled refund flags the order and tells the admins.
    """
    claim_event(event, order_id)
    order = lock_order(order_id)
    known = {p.reference: p for p in order.refunds if p.gateway == order.gateway}
    changed, outside = False, []
    for refund in refunds:
        payment = known.get(refund.id)
        if payment is None:
            payment = _add_refund(order, refund, actor,
                                  note="" if refund.ours else "Made in the dashboard.")
            label = "" if refund.status == "succeeded" else (
                f", {REFUND_STATUSES.get(refund.status, refund.status)}")
            record_event(order, "refunded",
                         f"Refunded {money(refund.amount, refund.currency)}{label}.", actor)
            changed = True
            if not refund.ours and refund.status in REFUND_ACTIVE_STATUSES:
                outside.append(refund)
            if refund.status not in REFUND_ACTIVE_STATUSES:
                _refund_failed(order, payment, refund, actor)
            continue
        if payment.status == refund.status:
            continue
        was_active = payment.status in REFUND_ACTIVE_STATUSES
        payment.status = refund.status
        changed = True
        record_event(order, "refund_updated",
                     f"The refund of {money(payment.amount_cents, payment.currency)} is now "
                     f"{REFUND_STATUSES.get(refund.status, refund.status)}.", actor)
        if was_active and refund.status not in REFUND_ACTIVE_STATUSES:
            _refund_failed(order, payment, refund, actor)
    if outside and order.is_paid:
        total = sum(r.amount for r in outside)
        flag(order, f"{money(total, order.currency)} was refunded in the payment dashboard "
              f"while the order is {order.status_label.lower()}. Cancel it to restock, or "
              "check whether that was a partial refund.", actor)
    return "refund_recorded" if changed else "already_done"
