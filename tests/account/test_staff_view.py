"""Staff see a customer's other orders from an order page (admins only), and no staff
page shows a shopper's fit profile."""

from flask import g

from tests.account.helpers import make_order, sign_in, text
from tests.conftest import Browser


def test_admins_see_the_customers_other_orders_and_never_the_fit(app, client, login_as,
                                                                 make_product):
    variant = make_product([5]).variants[0]
    shopper = Browser(app)
    sign_in(shopper, "robin@example.com")
    shopper.submit("/account/fit", "/account/fit", {
        "left_size": variant.size.label, "left_width": variant.width.code,
        "right_size": variant.size.label, "right_width": variant.width.code,
        "brace": "right"})
    first = make_order("robin@example.com", variant)
    second = make_order("ROBIN@example.com", variant, status="shipped")
    elsewhere = make_order("sam@example.com", variant)

    g.pop("csrf_token", None)  # the shopper's browser cached its token on the shared `g`
    login_as("admin")
    page = text(client.get(f"/staff/orders/{first.id}"))
    assert "Other orders from robin@example.com" in page
    assert f'href="/staff/orders/{second.id}">{second.number}</a>' in page
    assert elsewhere.number not in page
    assert "On the right foot" not in page and "fit profile" not in page.lower()


def test_warehouse_staff_see_the_order_but_not_the_customers_history(app, client, login_as,
                                                                     make_product):
    variant = make_product([5]).variants[0]
    first = make_order("robin@example.com", variant)
    second = make_order("robin@example.com", variant)
    login_as("warehouse")
    page = text(client.get(f"/staff/orders/{first.id}"))
    assert first.number in page
    assert "Other orders from" not in page and second.number not in page
