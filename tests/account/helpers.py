"""Shoppers for tests: sign in through the real e-mail link, orders placed with an address."""

import re
import secrets
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from storefront.checkout.models import Order, OrderLine
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from storefront.models import utcnow


def text(response):
    return response.get_data(as_text=True)


def flashes(page):
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page)]


def sign_in_mails(email=None):
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == "account_sign_in")
    return [m for m in db.session.scalars(query.order_by(OutboxMessage.id))
            if email is None or m.recipients == [email]]


def link_in(message):
    match = re.search(r"http://shop\.test(/account/login/[\w-]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def ask_for_link(client, email):
    return client.submit("/account/login", "/account/login", {"email": email})


def sign_in(client, email):
    """Ask for a link in `client`, open the link from the e-mail; returns that response."""
    before = len(sign_in_mails(email))
    assert ask_for_link(client, email).status_code == 200
    mails = sign_in_mails(email)
    assert len(mails) == before + 1
    response = client.get(link_in(mails[-1]))
    assert response.status_code == 303, text(response)
    return response


def make_order(email, variant, *, quantity=1, status="paid", right=None, **fields):
    """An order placed with `email` for `quantity` of `variant` (or a pair with `right`)."""
    order = Order(number="SA-" + secrets.token_hex(4).upper(), token=secrets.token_urlsafe(16),
                  status=status, currency="USD", subtotal_cents=variant.price_cents * quantity,
                  total_cents=variant.price_cents * quantity, gateway="demo",
                  hold_expires_at=utcnow() + timedelta(minutes=30), email=email,
                  shipping_name=fields.pop("name", "Pat Example"),
                  shipping_line1=fields.pop("line1", "1 Main Street"),
                  shipping_city="Springfield", shipping_postal_code="12345",
                  shipping_country="US", **fields)
    order.lines.append(OrderLine(
        variant_id=variant.id, product_slug=variant.product.slug, title=variant.product.title,
        sku=variant.sku, size=variant.size.label, width=variant.width.label,
        colour=variant.colour.name, unit_price_cents=variant.price_cents, quantity=quantity,
        line_total_cents=variant.price_cents * quantity,
        right_variant_id=right.id if right else None, right_sku=right.sku if right else None,
        right_size=right.size.label if right else None,
        right_width=right.width.label if right else None))
    db.session.add(order)
    db.session.commit()
    return order
