"""The account pages: orders placed with the address, saved addresses, buying again, the
e-mail address at checkout; and another shopper's data never shown (routes x shoppers)."""

import pytest
from sqlalchemy import select

from storefront.account.models import ShopperAddress
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from tests.account.helpers import flashes, make_order, sign_in, text
from tests.checkout.conftest import check_out
from tests.conftest import Browser

ADDRESS = {"name": "Robin Hale", "line1": "4 Quay Road", "line2": "", "city": "Halifax",
           "state": "NS", "postal_code": "B3H 1A1", "country": "CA"}


@pytest.fixture
def robin(app):
    browser = Browser(app)
    sign_in(browser, "robin@example.com")
    return browser


def cart_lines(client):
    return [(line["variant_id"], line.get("right_variant_id"), line["quantity"])
            for line in client.get("/cart.json").json["lines"]]


def test_orders_placed_with_the_address_appear_with_status_and_tracking(robin, make_product):
    variant = make_product([5], title="Harbor Walker").variants[0]
    shipped = make_order("Robin@Example.com", variant, status="shipped", carrier="Canada Post",
                         tracking_number="CP123456789CA")
    make_order("robin@example.com.evil.test", variant)  # a lookalike address, someone else's
    page = text(robin.get("/account"))
    assert f"Order {shipped.number}" in page
    assert "Shipped" in page and "CP123456789CA" in page and "Canada Post" in page
    assert page.count("Order SA-") == 1


def test_the_address_is_required_at_checkout_for_guests(app, client, make_product):
    variant = make_product([3]).variants[0]
    check_out(client, (variant, 1))
    order = db.session.scalars(select(Order)).one()
    page = f"/checkout/demo/{order.token}"
    response = client.submit(page, f"{page}/pay", ADDRESS)
    assert response.status_code == 422
    assert "Enter an e-mail address for the receipt" in text(response)
    db.session.refresh(order)
    assert order.status == "pending"


def test_a_signed_in_checkout_uses_the_account_address_and_prefills_the_demo_page(
        robin, make_product):
    robin.submit("/account/addresses/new", "/account/addresses/new", ADDRESS)
    variant = make_product([3]).variants[0]
    assert check_out(robin, (variant, 1)).status_code == 303
    order = db.session.scalars(select(Order)).one()
    assert order.email == "robin@example.com"
    page = text(robin.get(f"/checkout/demo/{order.token}"))
    assert 'value="robin@example.com"' in page and 'value="4 Quay Road"' in page
    assert '<option value="CA" selected>' in page
    response = robin.submit(f"/checkout/demo/{order.token}",
                            f"/checkout/demo/{order.token}/pay", ADDRESS)
    assert response.status_code == 303
    assert f"Order {order.number}" in text(robin.get("/account"))


def test_stripe_checkout_is_sent_the_known_address(robin, make_product, fake_stripe):
    variant = make_product([3]).variants[0]
    assert check_out(robin, (variant, 1)).status_code == 303
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert params["customer_email"] == "robin@example.com"


def test_addresses_are_added_edited_made_default_and_deleted(robin):
    assert robin.submit("/account/addresses/new", "/account/addresses/new",
                        ADDRESS).status_code == 303
    second = ADDRESS | {"line1": "9 Harbour Lane", "name": "Robin at work"}
    robin.submit("/account/addresses/new", "/account/addresses/new", second | {"default": "1"})
    first, work = db.session.scalars(select(ShopperAddress).order_by(ShopperAddress.id)).all()
    assert (first.is_default, work.is_default) == (False, True)

    edit = f"/account/addresses/{first.id}"
    response = robin.submit(edit, edit, ADDRESS | {"line1": "5 Quay Road"}, follow_redirects=True)
    assert any("Address saved: Robin Hale, 5 Quay Road" in f for f in flashes(text(response)))
    response = robin.submit("/account", f"/account/addresses/{first.id}/default", {},
                            follow_redirects=True)
    assert "Orders now go to 5 Quay Road unless you choose another address." in flashes(
        text(response))
    response = robin.submit("/account", f"/account/addresses/{first.id}/delete", {},
                            follow_redirects=True)
    assert "Address deleted: 5 Quay Road." in flashes(text(response))
    db.session.expire_all()
    (left,) = db.session.scalars(select(ShopperAddress)).all()
    assert left.line1 == "9 Harbour Lane" and left.is_default


def test_a_bad_address_is_refused_at_each_field_and_nothing_is_saved(robin):
    response = robin.submit("/account/addresses/new", "/account/addresses/new",
                            {"name": "Robin", "country": "FR", "postal_code": "x" * 31})
    assert response.status_code == 422
    page = text(response)
    assert "Address is required." in page and "City is required." in page
    assert "United States and Canada only" in page and "at most 30 characters" in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalars(select(ShopperAddress)).all() == []


def test_buy_again_puts_the_line_back_in_the_cart_checked_against_stock(robin, make_product):
    product = make_product([3, 0], sizes=["7", "8"])
    have, gone = product.variants
    line = make_order("robin@example.com", have, quantity=2).lines[0]
    sold_out = make_order("robin@example.com", gone).lines[0]

    response = robin.submit("/account", "/account/buy-again", {"line_id": line.id},
                            follow_redirects=True)
    assert any(f.startswith("Added 2 pairs of") for f in flashes(text(response)))
    assert cart_lines(robin) == [(have.id, None, 2)]

    response = robin.submit("/account", "/account/buy-again", {"line_id": sold_out.id},
                            follow_redirects=True)
    assert any("is sold out" in f for f in flashes(text(response)))
    response = robin.submit("/account", "/account/buy-again", {"line_id": line.id},
                            follow_redirects=True)
    assert any("Only 3 of" in f for f in flashes(text(response)))
    assert cart_lines(robin) == [(have.id, None, 2)]
    assert inventory.get_levels(have.id).reserved == 0  # a cart holds nothing


def test_buy_again_of_a_mismatched_pair_adds_the_pair(robin, make_product):
    product = make_product([4, 4], sizes=["7", "8"])
    product.allows_mismatched = True
    db.session.commit()
    left, right = product.variants
    line = make_order("robin@example.com", left, right=right).lines[0]
    robin.submit("/account", "/account/buy-again", {"line_id": line.id})
    assert cart_lines(robin) == [(left.id, right.id, 1)]


# -- another shopper's data: routes x shoppers ---------------------------------------------


@pytest.fixture
def two_shoppers(app, make_product):
    """Robin and Sam, each signed in with an order and a saved address."""
    variant = make_product([5], title="Calder Derby").variants[0]
    shoppers = {}
    for name, email, line1 in (("robin", "robin@example.com", "4 Quay Road"),
                               ("sam", "sam@example.com", "77 Sam Street")):
        browser = Browser(app)
        sign_in(browser, email)
        browser.submit("/account/addresses/new", "/account/addresses/new",
                       ADDRESS | {"line1": line1, "name": name.title()})
        order = make_order(email, variant, tracking_number=f"TRACK-{name.upper()}",
                           status="shipped")
        address = db.session.scalars(select(ShopperAddress).where(
            ShopperAddress.line1 == line1)).one()
        shoppers[name] = {"browser": browser, "order": order, "line": order.lines[0].id,
                          "address": address.id, "secret": f"TRACK-{name.upper()}",
                          "street": line1}
    return shoppers


# (method, path, form data); {address} and {line} are the OTHER shopper's ids.
OTHERS_ROUTES = [
    ("GET", "/account/addresses/{address}", None),
    ("POST", "/account/addresses/{address}", ADDRESS | {"line1": "Taken over"}),
    ("POST", "/account/addresses/{address}/default", {}),
    ("POST", "/account/addresses/{address}/delete", {}),
    ("POST", "/account/buy-again", {"line_id": "{line}"}),
]
OWN_PAGES = ["/account", "/account/addresses/new", "/account/fit", "/account/privacy",
             "/account/privacy/export"]


@pytest.mark.parametrize("me, other", [("robin", "sam"), ("sam", "robin")])
@pytest.mark.parametrize("method, path, data", OTHERS_ROUTES)
def test_another_shoppers_ids_are_a_404_and_change_nothing(two_shoppers, me, other, method,
                                                           path, data):
    mine, theirs = two_shoppers[me], two_shoppers[other]
    browser = mine["browser"]
    ids = {"address": theirs["address"], "line": theirs["line"]}
    url = path.format(**ids)
    if method == "GET":
        response = browser.get(url)
    else:
        form = {k: v.format(**ids) for k, v in data.items()}
        response = browser.submit("/account", url, form)
    assert response.status_code == 404
    assert theirs["street"] not in text(response) and theirs["secret"] not in text(response)
    db.session.expire_all()
    address = db.session.get(ShopperAddress, theirs["address"])
    assert address is not None and address.line1 == theirs["street"] and address.is_default
    assert cart_lines(browser) == []


@pytest.mark.parametrize("me, other", [("robin", "sam"), ("sam", "robin")])
@pytest.mark.parametrize("path", OWN_PAGES)
def test_a_shoppers_own_pages_never_show_another_shoppers_data(two_shoppers, me, other, path):
    mine, theirs = two_shoppers[me], two_shoppers[other]
    page = text(mine["browser"].get(path))
    assert theirs["street"] not in page and theirs["secret"] not in page
    assert theirs["order"].number not in page
    if path in ("/account", "/account/privacy/export"):
        assert mine["street"] in page and mine["secret"] in page


@pytest.mark.parametrize("path", [*OWN_PAGES, "/account/addresses/1"])
def test_account_pages_ask_a_visitor_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/login")


def test_a_shipped_order_offers_its_return_from_the_account_and_shows_the_return(app,
                                                                                   make_product):
    from tests.returns.helpers import ask, shipped_order

    product = make_product(stock=[3, 2], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)  # placed with ada@example.com
    ada = Browser(app)
    sign_in(ada, "ada@example.com")
    page = text(ada.get("/account"))
    assert f'href="/orders/{order.token}/returns/new"' in page

    assert ask(ada, order, {order.lines[0]: (1, wanted)}).status_code == 303
    page = text(ada.get("/account"))
    assert f"Return R-{order.number}-1 (exchange): requested, waiting for the parcel." in page
    # The one pair is on its way back: nothing is left to return.
    assert "/returns/new" not in page
