"""TAX_MODE=stripe: Stripe Tax works the tax out on the payment page from each line's
tax code and shipping's; the order records what Stripe charged when it is paid, its total
grows by it, and a refund of some units gives back their share of it."""

from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from tests.cart.test_discounts import enter, make_code
from tests.checkout.conftest import fill_cart, session_id_from
from tests.checkout.test_inclusive_tax import clog_line, line_taxes
from tests.checkout.test_shipping import make_rate
from tests.checkout.test_taxes import make_tax


def the_order():
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def text(response):
    return response.get_data(as_text=True)


def stripe_taxed_checkout(app, client, make_product):
    app.config.update(TAX_MODE="stripe", STRIPE_TAX_CODE="txcd_30011000")
    # The shop's own rate table is not used when Stripe works the tax out.
    make_tax("US", 1000)
    make_rate("Standard", 1000, "US", free_at_cents=None)
    walker = make_product([5], price=12000).variants[0]
    clog = make_product([5], price=5000).variants[0]
    fill_cart(client, (walker, 1), (clog, 2))
    make_code("TENOFF", value=10)
    enter(client, "TENOFF")
    page = text(client.get("/cart"))
    assert "Tax is added on the payment page" in page and "Sales tax 10%" not in page
    return session_id_from(client.submit("/cart", "/checkout", {}))


def test_stripe_tax_is_asked_for_and_what_it_charged_is_recorded(app, client, fake_stripe,
                                                                make_product):
    session_id = stripe_taxed_checkout(app, client, make_product)
    order = the_order()
    # Before payment the order carries no tax of its own.
    assert "Added on the payment page" in text(client.get(f"/orders/{order.token}"))
    assert (order.subtotal_cents, order.discount_cents, order.shipping_cents, order.tax_cents,
            order.total_cents) == (22000, 2200, 1000, 0, 20800)
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert params["automatic_tax"] == {"enabled": "true"}
    assert len(params["line_items"]) == 2  # no tax line of the shop's own
    for item in params["line_items"]:
        assert item["price_data"]["tax_behavior"] == "exclusive"
        assert item["price_data"]["product_data"]["tax_code"] == "txcd_30011000"
    rate = params["shipping_options"][0]["shipping_rate_data"]
    assert (rate["tax_code"], rate["tax_behavior"]) == ("txcd_92010001", "exclusive")

    # Stripe Tax (8% in the fake): $108.00 -> $8.64, $90.00 -> $7.20, shipping $0.80.
    session = fake_stripe.complete(session_id)
    assert session["total_details"]["amount_tax"] == 864 + 720 + 80
    assert session["amount_total"] == 20800 + 1664
    outcome = fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed",
                                                            session))
    assert outcome.get_json()["outcome"] == "paid"
    order = the_order()
    assert not order.needs_attention
    assert (order.status, order.tax_cents, order.total_cents, order.charged_cents) == (
        "paid", 1664, 22464, 22464)
    assert line_taxes(order) == {12000: 864, 5000: 720}
    page = text(client.get(f"/orders/{order.token}"))
    assert "$16.64" in page and "$224.64" in page and "Added on the payment page" not in page
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert "Total paid: $224.64" in mail.text_body and "$16.64" in mail.text_body

    # A refund of one clog gives back its price after the discount and its tax.
    checkout.ship_order(order.id, "UPS", "1Z1", actor="packer@staff.test")
    checkout.refund_lines(order.id, {clog_line(order).id: 1}, reason="Too narrow",
                          actor="admin@staff.test")
    assert the_order().refunded_cents == 4500 + 360


def test_the_success_page_records_stripes_tax_as_well(app, client, fake_stripe,
                                                     make_product):
    session_id = stripe_taxed_checkout(app, client, make_product)
    fake_stripe.complete(session_id)
    client.get(f"/checkout/success?session_id={session_id}")
    order = the_order()
    assert (order.status, order.tax_cents, order.total_cents) == ("paid", 1664, 22464)


def test_a_payment_that_is_not_the_order_plus_stripes_tax_is_flagged(app, client,
                                                                     fake_stripe,
                                                                     make_product):
    session_id = stripe_taxed_checkout(app, client, make_product)
    fake_stripe.complete(session_id)
    # Stripe says more was charged than the order and the tax it reports add up to.
    fake_stripe.sessions[session_id]["amount_total"] += 100
    client.get(f"/checkout/success?session_id={session_id}")
    order = the_order()
    assert order.status == "pending" and order.needs_attention
    assert (order.tax_cents, order.total_cents) == (0, 20800)


def test_the_demo_gateway_with_stripe_tax_charges_no_tax_and_check_deploy_refuses_it(
        app, client, runner, make_product):
    from tests.staff.test_orders import ADDRESS

    app.config["TAX_MODE"] = "stripe"
    make_tax("US", 1000)
    fill_cart(client, (make_product([5], price=10000).variants[0], 1))
    assert "Tax is added" not in text(client.get("/cart"))
    client.submit("/cart", "/checkout", {})
    order = the_order()
    page = f"/checkout/demo/{order.token}"
    client.submit(page, f"{page}/pay", ADDRESS)
    order = the_order()
    assert (order.status, order.tax_cents, order.total_cents) == ("paid", 0, 10000)
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "T002" in result.output


def test_check_deploy_refuses_an_unknown_tax_mode_or_tax_code(app, runner, fake_stripe):
    app.config["TAX_MODE"] = "vat"
    result = runner.invoke(args=["check-deploy"])
    assert "T001" in result.output
    app.config.update(TAX_MODE="stripe", STRIPE_TAX_CODE="shoes")
    result = runner.invoke(args=["check-deploy"])
    assert "T003" in result.output and "T001" not in result.output
    app.config["STRIPE_TAX_CODE"] = "txcd_99999999"
    assert "T00" not in runner.invoke(args=["check-deploy"]).output
