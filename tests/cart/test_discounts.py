"""Discount codes on the cart: entered in any case, priced by the server line by line,
refused with a reason at the field (the cart unchanged), removed again."""

import re
from datetime import timedelta

import pytest

from storefront.cart.models import Discount
from storefront.extensions import db
from storefront.models import utcnow
from tests.cart.test_routes import add, cart_json, text


def make_code(code="SPRING15", kind="percent", value=15, **fields):
    discount = Discount(code=code, kind=kind, value=value, **fields)
    db.session.add(discount)
    db.session.commit()
    return discount


def enter(client, code, **kwargs):
    return client.submit("/cart", "/cart/discount", {"code": code}, **kwargs)


def field_error(body):
    match = re.search(r'<p class="field-error" id="discount-code-error">([^<]*)</p>', body)
    return match and match.group(1)


def test_a_code_in_any_case_takes_its_saving_off_at_once(client, make_product):
    walker = make_product([5], title="Harbor Walker", price=12999).variants[0]
    clog = make_product([5], title="Calm Clog", price=4999).variants[0]
    add(client, walker, 1)
    add(client, clog, 3)
    make_code()
    response = enter(client, "  spring15 ", follow_redirects=True)
    # 15% of 129.99 is 19.4985 and of 149.97 is 22.4955: each line is rounded once.
    assert "Code SPRING15 applied: you save $42.00." in text(response)
    data = cart_json(client)
    assert data["subtotal"] == 27996
    assert data["discount"] == {"code": "SPRING15", "amount": 1950 + 2250}
    assert data["total"] == 23796
    assert "$237.96" in text(client.get("/cart"))


def test_without_a_code_the_cart_says_so_and_totals_the_subtotal(client, make_product):
    add(client, make_product([5], price=9900).variants[0], 2)
    data = cart_json(client)
    assert data["discount"] is None and data["total"] == data["subtotal"] == 19800


@pytest.mark.parametrize(("fields", "typed", "message"), [
    ({}, "NOPE", "We do not know the code NOPE. Check its spelling."),
    ({"active": False}, "SPRING15", "We do not know the code SPRING15. Check its spelling."),
    ({"ends_at": utcnow() - timedelta(days=1)}, "spring15", "The code SPRING15 expired on"),
    ({"starts_at": utcnow() + timedelta(days=2)}, "SPRING15", "The code SPRING15 is valid from"),
    ({"usage_limit": 3, "times_used": 3}, "SPRING15", "The code SPRING15 has been used up."),
    ({"min_subtotal_cents": 50000}, "SPRING15",
     "The code SPRING15 needs a subtotal of at least $500.00; add items or remove the code."),
    ({}, "", "Enter a discount code."),
    ({}, "X" * 41, "That is longer than any of our codes."),
])
def test_a_code_that_cannot_be_used_is_refused_at_the_field(client, make_product, fields,
                                                            typed, message):
    add(client, make_product([5], price=9900).variants[0], 1)
    make_code(**fields)
    before = cart_json(client)
    response = enter(client, typed)
    assert response.status_code == 422
    assert field_error(text(response)).startswith(message)
    assert 'aria-invalid="true"' in text(response)
    assert cart_json(client) == before


def test_a_code_for_some_products_takes_off_only_theirs(client, make_product):
    boot = make_product([5], title="Trail Boot", price=20000)
    sandal = make_product([5], title="Sea Sandal", price=6000).variants[0]
    add(client, boot.variants[0], 1)
    add(client, sandal, 1)
    make_code("BOOTS", kind="fixed", value=2500, products=[boot])
    enter(client, "boots")
    assert cart_json(client)["discount"] == {"code": "BOOTS", "amount": 2500}
    make_code("SANDALS", kind="fixed", value=99999, products=[boot])
    # A fixed amount never takes more than the lines it applies to.
    client.submit("/cart", "/cart/discount/remove", {})
    enter(client, "sandals")
    assert cart_json(client)["discount"] == {"code": "SANDALS", "amount": 20000}
    assert cart_json(client)["total"] == 6000


def test_a_code_for_products_not_in_the_cart_is_refused(client, make_product):
    other = make_product([5])
    add(client, make_product([5]).variants[0], 1)
    make_code("ONLYTHAT", products=[other])
    response = enter(client, "ONLYTHAT")
    assert field_error(text(response)) == ("The code ONLYTHAT does not apply to any item in "
                                           "your cart.")


def test_json_clients_get_the_reason_and_the_field(client, make_product):
    add(client, make_product([5]).variants[0], 1)
    token = client.csrf_token("/cart")
    response = client.post("/cart/discount", json={"code": "MISSING"},
                           headers={"Accept": "application/json", "X-CSRFToken": token})
    assert response.status_code == 422
    assert response.get_json()["field"] == "code"
    assert "We do not know the code MISSING" in response.get_json()["message"]


def test_removing_the_code_brings_back_the_full_price(client, make_product):
    add(client, make_product([5], price=10000).variants[0], 1)
    make_code()
    enter(client, "SPRING15")
    response = client.submit("/cart", "/cart/discount/remove", {}, follow_redirects=True)
    assert "Code SPRING15 removed." in text(response)
    assert cart_json(client)["discount"] is None and cart_json(client)["total"] == 10000


def test_a_code_that_stops_applying_is_said_on_the_cart_not_applied(client, make_product):
    variant = make_product([5], price=10000).variants[0]
    add(client, variant, 2)
    make_code(min_subtotal_cents=15000)
    enter(client, "SPRING15")
    assert cart_json(client)["discount"]["amount"] == 3000
    client.submit("/cart", "/cart/update", {"variant_id": variant.id, "quantity": 1})
    assert cart_json(client)["discount"] is None and cart_json(client)["total"] == 10000
    assert "needs a subtotal of at least $150.00" in field_error(text(client.get("/cart")))


def test_three_decimal_currencies_take_off_amounts_that_can_be_charged(app, client,
                                                                       make_product):
    app.config["SHOP_CURRENCY"] = "KWD"
    add(client, make_product([5], price=12340).variants[0], 1)
    make_code(value=15)
    enter(client, "SPRING15")
    # 15% of 12.340 is 1.851; the fils are rounded to a multiple of 10 once.
    assert cart_json(client)["discount"]["amount"] == 1850
