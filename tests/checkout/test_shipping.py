"""Shipping rates from the cart to the order: the rates serving the shopper's country, the
cheapest preselected, free above a threshold, Stripe asked for the chosen one, the demo
page letting the shopper change it; bad choices named at the field, nothing changed."""

import re

import pytest
from sqlalchemy import select

from storefront.cart.models import ShippingRate
from storefront.checkout.models import Order
from storefront.extensions import db
from tests.cart.test_discounts import enter, make_code
from tests.checkout.conftest import fill_cart, session_id_from
from tests.mail.test_wiring import ADDRESS


def text(response):
    return response.get_data(as_text=True)


def make_rate(name, price, countries, **fields):
    rate = ShippingRate(name=name, price_cents=price, countries=countries, **fields)
    db.session.add(rate)
    db.session.commit()
    return rate


@pytest.fixture
def rates():
    return {
        "standard": make_rate("Standard", 800, "US CA", free_at_cents=15000,
                              estimate="3 to 5 working days"),
        "express": make_rate("Express", 2500, "US", estimate="Next working day"),
        "europe": make_rate("Europe", 1900, "GB IE DE"),
        "old": make_rate("Old post", 100, "US", active=False),
    }


def the_orders():
    db.session.expire_all()
    return db.session.scalars(select(Order).order_by(Order.id)).all()


def choose(client, follow_redirects=False, **data):
    return client.submit("/cart", "/cart/shipping", data, follow_redirects=follow_redirects)


def cart_json(client):
    return client.get("/cart.json").get_json()


def test_the_cheapest_rate_serving_the_country_is_preselected(client, make_product, rates):
    fill_cart(client, (make_product([5], price=9900).variants[0], 1))
    data = cart_json(client)
    assert data["shipping"] == {"rate_id": rates["standard"].id, "name": "Standard",
                                "amount": 800, "estimate": "3 to 5 working days",
                                "country": "US"}
    assert data["total"] == 9900 + 800
    page = text(client.get("/cart"))
    assert "Express: $25.00" in page and "Old post" not in page and "Europe" not in page
    assert re.search(r'<option value="GB"[^>]*>United Kingdom</option>', page)


def test_a_new_country_brings_its_own_rates(client, make_product, rates):
    fill_cart(client, (make_product([5], price=9900).variants[0], 1))
    response = choose(client, country="GB", shipping_rate=str(rates["express"].id),
                      follow_redirects=True)
    assert "Delivery to United Kingdom: Europe, $19.00." in text(response)
    assert cart_json(client)["shipping"]["name"] == "Europe"
    assert cart_json(client)["total"] == 9900 + 1900


def test_goods_at_the_threshold_ship_free_after_the_discount(client, make_product, rates):
    fill_cart(client, (make_product([5], price=8000).variants[0], 2))
    assert cart_json(client)["shipping"]["amount"] == 0
    make_code("TENOFF", kind="fixed", value=1001)
    enter(client, "TENOFF")
    # 160.00 - 10.01 is under the 150.00 threshold: shipping is charged again.
    data = cart_json(client)
    assert (data["discount"]["amount"], data["shipping"]["amount"]) == (1001, 800)
    assert data["total"] == 16000 - 1001 + 800


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"country": "FR"}, "ship-country-error",
     "We do not ship to France yet. Choose one of the countries listed."),
    ({"country": "??"}, "ship-country-error", "We do not ship to ?? yet."),
    ({"country": "US", "shipping_rate": "{europe}"}, "ship-rate-error",
     "That delivery option is not available to United States."),
    ({"country": "US", "shipping_rate": "{old}"}, "ship-rate-error",
     "That delivery option is not available to United States."),
    ({"country": "US", "shipping_rate": "9999999999999999999"}, "ship-rate-error",
     "That delivery option is not available"),
])
def test_a_bad_choice_is_named_at_its_field_and_changes_nothing(client, make_product, rates,
                                                                data, field, message):
    fill_cart(client, (make_product([5], price=9900).variants[0], 1))
    before = cart_json(client)
    data = {k: v.format(**{n: r.id for n, r in rates.items()}) for k, v in data.items()}
    response = choose(client, **data)
    assert response.status_code == 422
    error = re.search(rf'id="{field}">([^<]*)<', text(response))
    assert error and error.group(1).startswith(message)
    assert cart_json(client) == before


def test_stripe_gets_the_chosen_rate_and_charges_the_order_total(client, fake_stripe,
                                                                 make_product, rates):
    fill_cart(client, (make_product([5], price=9900).variants[0], 1))
    choose(client, country="US", shipping_rate=str(rates["express"].id))
    # A price typed into the form is never read.
    session_id = session_id_from(client.submit("/cart", "/checkout", {"shipping_cents": "0"}))
    [order] = the_orders()
    assert (order.shipping_rate_name, order.shipping_cents, order.total_cents,
            order.shipping_country) == ("Express", 2500, 12400, "US")
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert params["shipping_options"] == [{"shipping_rate_data": {
        "type": "fixed_amount", "display_name": "Express",
        "fixed_amount": {"amount": "2500", "currency": "usd"}}}]
    assert params["shipping_address_collection"]["allowed_countries"] == ["US"]
    session = fake_stripe.complete(session_id)
    assert session["amount_total"] == 12400
    outcome = fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed",
                                                            session))
    assert outcome.get_json()["outcome"] == "paid"
    [order] = the_orders()
    assert order.status == "paid" and not order.needs_attention
    page = text(client.get(f"/orders/{order.token}"))
    assert "$25.00" in page and "$124.00" in page


def test_the_demo_page_lets_the_shopper_change_the_rate(client, make_product, rates):
    fill_cart(client, (make_product([5], price=9900).variants[0], 1))
    client.submit("/cart", "/checkout", {})
    [order] = the_orders()
    page = f"/checkout/demo/{order.token}"
    assert "Standard" in text(client.get(page)) and order.total_cents == 10700
    response = client.submit(page, f"{page}/shipping",
                             {"shipping_rate": str(rates["europe"].id)})
    assert response.status_code == 422
    assert "That delivery option is not available to United States." in text(response)
    response = client.submit(page, f"{page}/shipping",
                             {"shipping_rate": str(rates["express"].id)},
                             follow_redirects=True)
    assert "Delivery: Express. The total is now $124.00." in text(response)
    # The address must be in the order's country; the labels are that country's.
    body = text(client.get(page))
    assert "ZIP code" in body and '<option value="CA"' not in body
    response = client.submit(page, f"{page}/pay", ADDRESS | {"country": "CA"})
    assert "This order&#39;s delivery goes to United States only." in text(response)
    client.submit(page, f"{page}/pay", ADDRESS)
    [order] = the_orders()
    assert (order.status, order.shipping_rate_name, order.total_cents) == (
        "paid", "Express", 12400)


def test_without_rates_shipping_stays_free_to_the_usual_countries(client, fake_stripe,
                                                                  make_product):
    fill_cart(client, (make_product([5], price=9900).variants[0], 1))
    assert cart_json(client)["shipping"] is None and cart_json(client)["total"] == 9900
    client.submit("/cart", "/checkout", {})
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert "shipping_options" not in params
    assert params["shipping_address_collection"]["allowed_countries"] == ["US", "CA"]
