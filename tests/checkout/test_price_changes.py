"""A price that changed after a shopper put the shoe in the cart is announced before
they pay: on the cart page, and by checkout, which refuses once and shows the new price."""

import re
from html import unescape

from sqlalchemy import func, select

from storefront.checkout.models import Order
from storefront.extensions import db
from tests.checkout.conftest import fill_cart


def text(response):
    return response.get_data(as_text=True)


def flashes(page):
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page)]


def orders():
    return db.session.scalar(select(func.count(Order.id)))


def reprice(variant, cents):
    variant.price_cents = cents
    db.session.commit()


def checkout_form(page):
    """The cart page's checkout form fields, as the browser would send them."""
    form = page.split('action="/checkout"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def test_a_price_raised_since_adding_is_shown_and_checkout_asks_once(client, make_product):
    variant = make_product([5], price=10000, title="Harbor Walker").variants[0]
    fill_cart(client, (variant, 1))
    stale = text(client.get("/cart"))  # a tab left open while the price changes
    assert "changed since you added" not in stale
    reprice(variant, 12000)

    response = client.post("/checkout", data=checkout_form(stale))
    assert response.status_code == 303 and response.location == "/cart"
    assert orders() == 0
    page = text(client.get("/cart"))
    assert flashes(page) == [
        f"Harbor Walker ({variant.label}) now costs $120.00, not $100.00 as when you "
        "added it. Your cart shows the new prices; check out again to pay them."]
    assert "1 price changed since you added it." in page
    assert ("Price up since you added it: was $100.00, now $120.00. You pay the new "
            "price.") in unescape(page)

    # Checking out from the page that showed the new price goes ahead at that price.
    response = client.post("/checkout", data=checkout_form(page))
    assert response.status_code == 303 and response.location.startswith("/checkout/demo/")
    order = db.session.scalars(select(Order)).one()
    assert [line.unit_price_cents for line in order.lines] == [12000]
    assert "changed since you added" not in text(client.get("/cart"))


def test_a_price_lowered_is_announced_too(client, make_product):
    variant = make_product([5], price=10000).variants[0]
    fill_cart(client, (variant, 2))
    reprice(variant, 9000)
    page = unescape(text(client.get("/cart")))
    assert "Price down since you added it: was $100.00, now $90.00." in page
    assert "$180.00" in page


def test_checkout_without_the_cart_page_compares_with_the_price_when_added(
        client, make_product):
    variant = make_product([5], price=10000).variants[0]
    fill_cart(client, (variant, 1))
    reprice(variant, 11000)
    token = client.csrf_token("/cart")
    response = client.post("/checkout", json={}, headers={"X-CSRFToken": token,
                                                          "Accept": "application/json"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "prices_changed"
    assert response.get_json()["lines"] == [
        {"variant_id": variant.id, "was": 10000, "now": 11000}]
    assert orders() == 0


def test_an_unchanged_price_goes_straight_to_payment(client, make_product):
    variant = make_product([5], price=10000).variants[0]
    fill_cart(client, (variant, 1))
    page = text(client.get("/cart"))
    assert checkout_form(page)["prices"] == f"{variant.id}=10000"
    response = client.post("/checkout", data=checkout_form(page))
    assert response.location.startswith("/checkout/demo/")
