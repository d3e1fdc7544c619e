"""Order fulfilment pages: list with flagged orders first, ship, cancel with refund, notes."""

import pytest
from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from tests.checkout.conftest import check_out
from tests.conftest import ShopClient
from tests.staff.helpers import login, make_staff

ADDRESS = {"name": "Ada Walker", "line1": "12 Harbor Street", "city": "Portland",
           "state": "OR", "postal_code": "97201", "country": "US",
           "email": "ada@example.com"}


def paid_order(app, variant, quantity=2):
    """A shopper (their own browser) checks out and pays on the demo gateway."""
    variant_id = variant.id
    db.session.commit()
    # Its own app context, so its own `g` (where the CSRF token is cached), like a
    # second browser talking to a real server.
    with app.app_context():
        shopper = ShopClient(app.test_client())
        check_out(shopper, (db.session.get(type(variant), variant_id), quantity))
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        page = f"/checkout/demo/{order.token}"
        response = shopper.submit(page, f"{page}/pay", ADDRESS)
        assert response.status_code == 303
        order_id = order.id
        db.session.remove()
    db.session.expire_all()
    return db.session.get(Order, order_id)


def _text(response):
    return response.get_data(as_text=True)


def test_orders_list_puts_flagged_orders_first_and_filters_by_status(app, client,
                                                                    make_product, login_as):
    variant = make_product(stock=[10]).variants[0]
    first = paid_order(app, variant, 1)
    flagged = paid_order(app, variant, 1)
    checkout.flag_order(flagged.id, "Paid after the stock was gone; refunded.", "system")
    shipped = paid_order(app, variant, 1)
    checkout.ship_order(shipped.id, "UPS", "1Z999", actor="earlier@staff.test")
    login_as("warehouse")

    page = _text(client.get("/staff/orders"))
    assert page.index("Needs attention (1)") < page.index(flagged.number) < page.index(
        first.number)
    assert "Paid after the stock was gone" in page
    only_shipped = _text(client.get("/staff/orders?status=shipped"))
    assert shipped.number in only_shipped and first.number not in only_shipped
    assert client.get("/staff/orders?status=bogus&page=x").status_code == 200


def test_order_page_shows_lines_payment_address_and_history(app, client, make_product,
                                                            login_as):
    variant = make_product(stock=[5], title="Harbour Walker", price=12000).variants[0]
    order = paid_order(app, variant, 2)
    login_as("warehouse")
    page = _text(client.get(f"/staff/orders/{order.id}"))
    assert "Harbour Walker" in page and variant.sku in page
    assert "$240.00" in page and "Charge $240.00, succeeded" in page
    assert "12 Harbor Street" in page and "Portland" in page
    assert "Mark shipped" in page and "Cancel and refund" in page
    assert client.get("/staff/orders/99999").status_code == 404


def test_shipping_takes_the_units_out_of_stock(app, client, make_product, login_as):
    variant = make_product(stock=[5]).variants[0]
    order = paid_order(app, variant, 2)
    user = login_as("warehouse")
    page = f"/staff/orders/{order.id}"
    missing = client.submit(page, f"{page}/ship", {"carrier": "USPS", "tracking_number": ""})
    assert missing.status_code == 422
    assert "Enter the tracking number." in _text(missing)

    response = client.submit(page, f"{page}/ship",
                             {"carrier": "USPS", "tracking_number": "9400 1000"})
    assert response.status_code == 303
    body = _text(client.get(page))
    assert "marked shipped with USPS, tracking 9400 1000" in body
    assert user.email in body  # the history says who shipped it
    levels = inventory.get_levels(variant.id)
    assert (levels.on_hand, levels.committed) == (3, 0)

    again = client.submit(page, f"{page}/ship", {"carrier": "USPS", "tracking_number": "2"})
    assert again.status_code == 409
    assert "only paid orders can be shipped" in _text(again)


def test_cancelling_a_paid_order_restocks_and_refunds(app, client, make_product, login_as):
    variant = make_product(stock=[5]).variants[0]
    order = paid_order(app, variant, 2)
    login_as("warehouse")
    page = f"/staff/orders/{order.id}"
    response = client.submit(page, f"{page}/cancel", {"reason": "Customer asked"})
    assert response.status_code == 303
    assert "2 unit(s) back in stock" in _text(client.get(page))
    levels = inventory.get_levels(variant.id)
    assert (levels.on_hand, levels.committed, levels.available) == (5, 0, 5)
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "cancelled" and order.refunded_cents == order.charged_cents
    assert inventory.reconcile() == []


def test_notes_and_resolving_a_flag(app, client, make_product, login_as):
    variant = make_product(stock=[5]).variants[0]
    order = paid_order(app, variant, 1)
    checkout.flag_order(order.id, "Address looks wrong.", "system")
    login_as("warehouse")
    page = f"/staff/orders/{order.id}"
    empty = client.submit(page, f"{page}/note", {"note": "  "})
    assert empty.status_code == 422 and "Write a note." in _text(empty)
    client.submit(page, f"{page}/note", {"note": "Called the customer."})
    client.submit(page, f"{page}/resolve", {"note": "Address confirmed by phone."})
    body = _text(client.get(page))
    assert "Called the customer." in body and "Address confirmed by phone." in body
    assert "Needs attention:" not in body


ORDER_ROUTES = [
    ("GET", "/staff/orders", None),
    ("GET", "/staff/orders/{oid}", None),
    ("GET", "/staff/orders.csv", None),
    ("GET", "/staff/orders.json", None),
    ("POST", "/staff/orders/{oid}/ship", {"carrier": "UPS", "tracking_number": "1Z"}),
    ("POST", "/staff/orders/{oid}/cancel", {"reason": ""}),
    ("POST", "/staff/orders/{oid}/note", {"note": "hi"}),
    ("POST", "/staff/orders/{oid}/resolve", {"note": "done"}),
    ("POST", "/staff/orders/{oid}/refund", {}),
    ("POST", "/staff/orders/{oid}/refund-lines", {"quantity_{lid}": "1", "reason": "Too big"}),
]


@pytest.mark.parametrize("role", ["admin", "warehouse", "marketing", None],
                         ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(("method", "path", "data"), ORDER_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in ORDER_ROUTES])
def test_order_route_by_role(app, client, make_product, role, method, path, data):
    # Two pairs, so refunding one of them is a partial refund (a whole one is a cancel).
    order = paid_order(app, make_product(stock=[3]).variants[0], 2)
    if role:
        assert login(client, make_staff(role).email).status_code == 302
    path = path.format(oid=order.id)
    data = data and {key.format(lid=order.lines[0].id): value for key, value in data.items()}
    if method == "GET":
        response = client.get(path)
    else:
        token = client.csrf_token("/staff/" if role else "/staff/login")
        response = client.post(path, data=dict(data, csrf_token=token))
        no_token = client.post(path, data=data)
        assert no_token.status_code == 400
    if role is None and path.endswith(".json"):  # a JSON client is told, not redirected
        assert response.status_code == 401
    elif role is None:
        assert response.status_code == 302
        assert response.location.startswith("/staff/login?next=")
    elif role == "marketing":
        assert response.status_code == 403
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == "paid"
    else:
        assert response.status_code in (200, 303)
