"""The demo gateway: with no Stripe key, a local page drives the same fulfilment."""

from datetime import timedelta

from sqlalchemy import select, update

from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.models import utcnow
from tests.checkout.conftest import check_out

ADDRESS = {"name": "Ada Walker", "line1": "12 Harbor Street", "city": "Portland",
           "state": "OR", "postal_code": "97201", "country": "US",
           "email": "ada@example.com"}


def text(response):
    return response.get_data(as_text=True)


def the_order():
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def test_checkout_without_stripe_goes_to_a_clearly_labelled_demo_page(client, make_product):
    variant = make_product([3], title="Easy Zip Boot").variants[0]
    response = check_out(client, (variant, 1))
    order = the_order()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/checkout/demo/{order.token}"
    assert order.gateway == "demo" and order.status == "pending"
    body = text(client.get(response.headers["Location"]))
    assert "Demo payment page" in body and "no money moves" in body
    assert "Pay $99.00 (demo" in body and "Cancel (demo)" in body
    assert inventory.get_levels(variant.id).reserved == 1


def test_demo_pay_takes_the_stock_ignores_a_tampered_amount_and_empties_the_cart(
        client, make_product):
    variant = make_product([3], price=12000).variants[0]
    check_out(client, (variant, 2))
    order = the_order()
    page = f"/checkout/demo/{order.token}"
    token = client.csrf_token(page)
    response = client.post(f"{page}/pay", follow_redirects=True, data=ADDRESS | {
        "csrf_token": token, "amount": "1", "total": "1"})
    body = text(response)
    assert "Demo payment accepted" in body and "Paid, being prepared" in body
    assert "12 Harbor Street" in body and "$240.00" in body
    order = the_order()
    assert order.status == "paid" and order.charged_cents == 24000
    assert order.email == "ada@example.com"
    levels = inventory.get_levels(variant.id)
    assert (levels.reserved, levels.committed) == (0, 2)
    assert client.get("/cart.json").get_json()["lines"] == []
    # Pressing Pay again (a double click, the Back button) changes nothing.
    again = client.post(f"{page}/pay", data=ADDRESS | {"csrf_token": token})
    assert again.status_code == 303
    assert inventory.get_levels(variant.id).committed == 2
    assert len(the_order().payments) == 1
    assert inventory.reconcile() == []


def test_demo_pay_needs_an_address_and_says_which_fields(client, make_product):
    variant = make_product([3]).variants[0]
    check_out(client, (variant, 1))
    order = the_order()
    page = f"/checkout/demo/{order.token}"
    response = client.submit(page, f"{page}/pay", {"name": "Ada", "country": "FR",
                                                   "email": "not-an-address"})
    assert response.status_code == 422
    body = text(response)
    assert "Address is required." in body and "City is required." in body
    assert "United States and Canada only" in body and "name@example.com" in body
    assert 'aria-invalid="true"' in body
    assert the_order().status == "pending"


def test_demo_cancel_releases_the_stock_and_keeps_the_cart(client, make_product):
    variant = make_product([2]).variants[0]
    check_out(client, (variant, 2))
    order = the_order()
    page = f"/checkout/demo/{order.token}"
    response = client.submit(page, f"/checkout/{order.token}/cancel", {},
                             follow_redirects=True)
    assert "Checkout cancelled. Nothing was charged" in text(response)
    assert the_order().status == "expired"
    assert inventory.get_levels(variant.id).reserved == 0
    assert client.get("/cart.json").get_json()["lines"][0]["quantity"] == 2


def test_an_expired_demo_page_cannot_be_paid(client, make_product):
    variant = make_product([2]).variants[0]
    check_out(client, (variant, 1))
    order = the_order()
    page = f"/checkout/demo/{order.token}"
    token = client.csrf_token(page)
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(payment_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.post(f"{page}/pay", data=ADDRESS | {"csrf_token": token},
                           follow_redirects=True)
    assert "This payment page has expired" in text(response)
    assert the_order().status == "expired"
    levels = inventory.get_levels(variant.id)
    assert (levels.reserved, levels.committed) == (0, 0)


def test_the_demo_page_of_another_token_is_404(client, make_product):
    assert client.get("/checkout/demo/not-a-real-token").status_code == 404


def test_an_order_number_is_no_key_to_the_order_page(client, make_product):
    # Order numbers are in e-mail subjects and quoted to support; the demo success
    # link must not turn one into the order's secret page (with its address).
    variant = make_product([3]).variants[0]
    check_out(client, (variant, 1))
    order = the_order()
    assert order.number not in order.gateway_session_id
    assert len(order.gateway_session_id) >= 32
    stranger = client.application.test_client()
    response = stranger.get(f"/checkout/success?session_id=demo_{order.number}")
    assert response.status_code == 404
    assert order.token not in response.get_data(as_text=True)
    assert order.token not in response.headers.get("Location", "")
