"""Checkout's part of the hold sweeper: unpaid orders whose time ran out are closed."""

from ..inventory.commands import add_sweep
from .service import payments


def _sweep_orders():
    lines = []
    for item in payments.close_expired_orders():
        if item.outcome == "unreachable":
            lines.append(f"order {item.number}: the payment service did not answer; "
                         "checked again on the next pass")
        elif item.outcome == "expired":
            lines.append(f"order {item.number}: closed unpaid, its payment page expired")
        else:
            lines.append(f"order {item.number}: {item.outcome.replace('_', ' ')} "
                         "(paid after all)")
    if lines:
        lines.append(f"Looked at {len(lines)} unpaid order(s) past their time.")
    return lines


def init_app(app):
    add_sweep(app, _sweep_orders)
