"""Builders for return tests: a shipped order, the return form filled in as a browser does."""

import re

from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.mail.models import OutboxMessage
from tests.staff.test_orders import paid_order


def shipped_order(app, variant, quantity=1):
    """A shopper buys `quantity` of `variant` on the demo gateway; the warehouse ships it."""
    order = paid_order(app, variant, quantity)
    checkout.ship_order(order.id, "USPS", "9400TEST", actor="packer@staff.test")
    return order


def form_page(order):
    return f"/orders/{order.token}/returns/new"


def form_key(client, order):
    page = client.get(form_page(order)).get_data(as_text=True)
    match = re.search(r'name="form_key" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def ask(client, order, lines, *, resolution="exchange", reason="too_small", note="",
        key=None, page=None, **extra):
    """Send the return form: `lines` maps an order line to (quantity, variant, right)."""
    data = {"resolution": resolution, "reason": reason, "note": note,
            "form_key": key or form_key(client, order), **extra}
    for line, (quantity, variant, *right) in lines.items():
        data[f"quantity-{line.id}"] = str(quantity)
        if variant is not None:
            data[f"variant-{line.id}"] = str(variant.id)
        if right and right[0] is not None:
            data[f"right-{line.id}"] = str(right[0].id)
    return client.submit(page or form_page(order), f"/orders/{order.token}/returns", data)


def available(variant):
    return inventory.get_levels(variant.id).available


def mails(kind):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).all()


def text(response):
    return response.get_data(as_text=True)
