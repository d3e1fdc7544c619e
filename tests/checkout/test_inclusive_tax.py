"""PRICES_INCLUDE_TAX: the tax is the part of each price it accounts for, worked out
backwards per line and rounded once; the total is not raised by it, and the cart, the
order page, the e-mail, the staff order page, the exports and Stripe all say "includes"."""

from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from tests.cart.test_discounts import enter, make_code
from tests.checkout.conftest import fill_cart, session_id_from
from tests.checkout.test_shipping import make_rate
from tests.checkout.test_taxes import make_tax


def the_order():
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def text(response):
    return response.get_data(as_text=True)


def line_taxes(order):
    """{unit price: tax} of the order's lines (a walker at $120, two clogs at $50)."""
    return {line.unit_price_cents: line.tax_cents for line in order.lines}


def clog_line(order):
    return next(line for line in order.lines if line.unit_price_cents == 5000)


def fill(client, make_product):
    make_rate("Standard", 1000, "US", free_at_cents=None)
    walker = make_product([5], price=12000).variants[0]
    clog = make_product([5], price=5000).variants[0]
    fill_cart(client, (walker, 1), (clog, 2))
    make_code("TENOFF", value=10)
    enter(client, "TENOFF")


def test_tax_inside_the_prices_is_shown_as_included_everywhere(app, client, fake_stripe,
                                                               make_product, login_as):
    app.config["PRICES_INCLUDE_TAX"] = True
    make_tax("US", 2000, name="VAT", taxes_shipping=True)
    fill(client, make_product)
    # $108.00 holds $18.00 of 20% tax, $90.00 holds $15.00, shipping's $10.00 holds $1.67.
    data = client.get("/cart.json").get_json()
    assert data["tax"] == {"label": "VAT 20%", "amount": 1800 + 1500 + 167, "included": True}
    assert data["total"] == 22000 - 2200 + 1000
    cart = text(client.get("/cart"))
    assert "Includes VAT 20%" in cart and "$34.67" in cart and "$208.00" in cart

    session_id = session_id_from(client.submit("/cart", "/checkout", {}))
    order = the_order()
    assert (order.subtotal_cents, order.discount_cents, order.shipping_cents, order.tax_cents,
            order.total_cents, order.prices_include_tax) == (22000, 2200, 1000, 3467, 20800,
                                                             True)
    assert line_taxes(order) == {12000: 1800, 5000: 1500}
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    # No tax line of its own: it is inside the line amounts, which add up to the total.
    assert len(params["line_items"]) == 2
    session = fake_stripe.complete(session_id)
    assert session["amount_total"] == 20800
    fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed", session))
    order = the_order()
    assert order.status == "paid" and not order.needs_attention

    page = text(client.get(f"/orders/{order.token}"))
    assert "Includes VAT 20%" in page and "$34.67" in page and "$208.00" in page
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert "Total paid: $208.00" in mail.text_body
    assert "Includes VAT 20%: $34.67" in mail.text_body
    assert "Includes VAT 20%" in mail.html_body
    login_as("admin")
    staff = text(client.get(f"/staff/orders/{order.id}"))
    assert "Includes tax (VAT 20%)" in staff and "$34.67" in staff
    [row] = client.get("/staff/orders.json").get_json()["orders"]
    assert (row["tax"], row["total"], row["tax_included"]) == ("34.67", "208.00", True)

    # A refund of one clog gives back half of what the line cost: its tax was inside.
    checkout.ship_order(order.id, "UPS", "1Z1", actor="packer@staff.test")
    checkout.refund_lines(order.id, {clog_line(order).id: 1}, reason="Too narrow",
                          actor="admin@staff.test")
    assert the_order().refunded_cents == 4500


def test_stripe_tax_finds_the_tax_inside_inclusive_prices(app, client, fake_stripe,
                                                          make_product):
    app.config.update(PRICES_INCLUDE_TAX=True, TAX_MODE="stripe")
    fill(client, make_product)
    session_id = session_id_from(client.submit("/cart", "/checkout", {}))
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert {item["price_data"]["tax_behavior"] for item in params["line_items"]} == {
        "inclusive"}
    assert params["shipping_options"][0]["shipping_rate_data"]["tax_behavior"] == "inclusive"
    # 8% inside $108.00 is $8.00, inside $90.00 $6.67, inside the $10.00 shipping $0.74.
    session = fake_stripe.complete(session_id)
    assert (session["amount_total"], session["total_details"]["amount_tax"]) == (20800, 1541)
    client.get(f"/checkout/success?session_id={session_id}")
    order = the_order()
    assert (order.status, order.tax_cents, order.total_cents, order.charged_cents) == (
        "paid", 1541, 20800, 20800)
    assert line_taxes(order) == {12000: 800, 5000: 667}
    assert "Includes Tax" in text(client.get(f"/orders/{order.token}"))


def test_exclusive_prices_stay_the_default(app, client, make_product):
    assert app.config["PRICES_INCLUDE_TAX"] is False
    make_tax("US", 2000, name="VAT")
    fill_cart(client, (make_product([5], price=10000).variants[0], 1))
    data = client.get("/cart.json").get_json()
    assert (data["tax"]["amount"], data["tax"]["included"], data["total"]) == (2000, False,
                                                                               12000)


def test_another_rate_on_the_demo_page_keeps_the_tax_inside(app, client, make_product):
    from tests.staff.test_orders import ADDRESS

    app.config["PRICES_INCLUDE_TAX"] = True
    make_tax("US", 2000, name="VAT", taxes_shipping=True)
    make_rate("Standard", 600, "US", free_at_cents=None)
    express = make_rate("Express", 1800, "US", free_at_cents=None)
    fill_cart(client, (make_product([5], price=12000).variants[0], 1))
    client.submit("/cart", "/checkout", {})
    order = the_order()
    assert (order.shipping_cents, order.tax_cents, order.total_cents) == (600, 2000 + 100,
                                                                          12600)
    page = f"/checkout/demo/{order.token}"
    assert "Includes VAT 20%: $21.00" in text(client.get(page))
    client.submit(page, f"{page}/shipping", {"shipping_rate": str(express.id)})
    order = the_order()
    # $18.00 of shipping holds $3.00 of tax; the total grows by the shipping alone.
    assert (order.shipping_cents, order.tax_cents, order.total_cents) == (1800, 2300, 13800)
    client.submit(page, f"{page}/pay", ADDRESS)
    assert the_order().status == "paid"
