"""Sales tax from the staff's rate table (TAX_MODE=rates): the delivery's region or country
picks the rate, each line is taxed after its discount and rounded once, shipping when the
rate says so; Stripe is asked for the tax as an amount, and every page and e-mail shows it."""

import re

from sqlalchemy import select

from storefront.cart.models import TaxRate
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from tests.cart.test_discounts import enter, make_code
from tests.checkout.conftest import fill_cart, session_id_from
from tests.checkout.test_shipping import choose, make_rate


def text(response):
    return response.get_data(as_text=True)


def make_tax(country, percent_points, region="", **fields):
    rate = TaxRate(country=country, region=region, basis_points=percent_points, **fields)
    db.session.add(rate)
    db.session.commit()
    return rate


def the_order():
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def cart_json(client):
    return client.get("/cart.json").get_json()


def test_the_tax_is_added_line_by_line_after_the_discount(client, fake_stripe, make_product):
    make_tax("US", 825)
    walker = make_product([5], price=12999).variants[0]
    clog = make_product([5], price=4999).variants[0]
    fill_cart(client, (walker, 1), (clog, 3))
    make_code("SPRING15", value=15)
    enter(client, "SPRING15")
    # (129.99 - 19.50) * 8.25% = 9.1154 and (149.97 - 22.50) * 8.25% = 10.5163.
    data = cart_json(client)
    assert data["tax"] == {"label": "Sales tax 8.25%", "amount": 912 + 1052,
                           "included": False}
    assert data["total"] == 27996 - 4200 + 1964
    assert "Sales tax 8.25%" in text(client.get("/cart"))

    session_id = session_id_from(client.submit("/cart", "/checkout", {}))
    order = the_order()
    assert (order.subtotal_cents, order.discount_cents, order.shipping_cents, order.tax_cents,
            order.total_cents) == (27996, 4200, 0, 1964, 25760)
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    tax_item = params["line_items"][-1]
    assert tax_item["price_data"]["product_data"]["name"] == "Sales tax 8.25%"
    assert tax_item["price_data"]["unit_amount"] == "1964"
    session = fake_stripe.complete(session_id)
    assert session["amount_total"] == 25760
    outcome = fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed",
                                                            session))
    assert outcome.get_json()["outcome"] == "paid" and not the_order().needs_attention
    page = text(client.get(f"/orders/{order.token}"))
    assert "Sales tax 8.25%" in page and "$19.64" in page and "$257.60" in page
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert "Sales tax 8.25%: $19.64" in mail.text_body
    assert "Total paid: $257.60" in mail.text_body


def test_a_region_with_its_own_rate_is_asked_for_and_used(client, make_product):
    make_tax("US", 500)
    make_tax("US", 725, region="CA", name="California sales tax")
    make_rate("Standard", 1000, "US CA", free_at_cents=None)
    fill_cart(client, (make_product([5], price=10000).variants[0], 1))
    page = text(client.get("/cart"))
    assert re.search(r'<label for="ship-region">State', page)
    assert cart_json(client)["tax"] == {"label": "Sales tax 5%", "amount": 500,
                                         "included": False}
    choose(client, country="US", region=" ca ")
    assert cart_json(client)["tax"] == {
        "label": "California sales tax 7.25%", "amount": 725, "included": False}
    # Canada has no rate: no tax.
    choose(client, country="CA")
    assert cart_json(client)["tax"] is None and cart_json(client)["total"] == 11000


def test_shipping_is_taxed_when_the_rate_says_so(client, make_product):
    make_tax("US", 1000, taxes_shipping=True)
    make_rate("Standard", 800, "US")
    fill_cart(client, (make_product([5], price=10000).variants[0], 1))
    client.submit("/cart", "/checkout", {})
    order = the_order()
    assert (order.shipping_cents, order.tax_cents, order.total_cents) == (800, 1080, 11880)
    assert order.tax_label == "Sales tax 10%"


def test_the_staff_order_page_and_export_show_the_tax(client, make_product, login_as):
    make_tax("US", 825)
    fill_cart(client, (make_product([5], price=10000).variants[0], 1))
    client.submit("/cart", "/checkout", {})
    order = the_order()
    login_as("admin")
    page = text(client.get(f"/staff/orders/{order.id}"))
    assert "Tax (Sales tax 8.25%)" in page and "$8.25" in page
    [row] = client.get("/staff/orders.json").get_json()["orders"]
    assert (row["tax"], row["total"]) == ("8.25", "108.25")





def test_a_refund_of_some_units_gives_back_their_tax_too(app, client, make_product):
    from storefront.checkout import service as checkout
    from storefront.returns import service as returns
    from storefront.returns.models import ShopReturn
    from tests.returns.helpers import ask
    from tests.returns.test_money import _paid_shipped

    make_tax("US", 825)
    make_code("TENOFF", value=10)
    variant = make_product(stock=[5], price=10000).variants[0]
    order = _paid_shipped(client, (variant, 3), code="TENOFF")
    # 3 × $100 less 10% is $270; its tax is 8.25% of that, $22.275, rounded once: $22.28.
    assert (order.discount_cents, order.tax_cents, order.total_cents) == (3000, 2228, 29228)
    line = order.lines[0]
    assert line.tax_cents == 2228
    # Each unit was paid a third of $292.28, rounded down: $97.42.
    checkout.refund_lines(order.id, {line.id: 1}, reason="Wrote in", actor="admin@x")
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_cents == 9742
    assert ask(client, order, {line: (1, None)}, resolution="refund").status_code == 303
    shop_return = db.session.scalars(select(ShopReturn)).one()
    returns.receive_return(shop_return.id, {str(shop_return.lines[0].id): "restock"},
                           actor="admin@x")
    assert returns.refund_return(shop_return.id, actor="admin@x") == 9742
    # The last unit takes what is left of the payment, and never more than was paid.
    checkout.refund_lines(order.id, {line.id: 1}, reason="Wrote in", actor="admin@x")
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.refunded_cents == order.charged_cents == 29228
    assert [p.amount_cents for p in order.refunds] == [9742, 9742, 9744]
