"""Privacy: the JSON export holds the shopper's data and no one else's; deleting needs
the e-mailed link, keeps the orders without the personal fields and removes the rest."""

import re

import pytest
from sqlalchemy import func, select

from storefront.account.models import Shopper, ShopperAddress, ShopperLink
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from storefront.notices.models import BackInStockRequest
from tests.account.helpers import flashes, make_order, sign_in, text
from tests.account.test_pages import ADDRESS
from tests.conftest import Browser

EMAIL = "robin@example.com"


@pytest.fixture
def robin(app, make_product):
    browser = Browser(app)
    sign_in(browser, EMAIL)
    browser.submit("/account/addresses/new", "/account/addresses/new", ADDRESS)
    variant = make_product([5], title="Harbor Walker").variants[0]
    browser.order = make_order("Robin@example.com", variant, name="Robin Hale",
                               line1="4 Quay Road", tracking_number="TRACK-1",
                               status="shipped")
    db.session.add(BackInStockRequest(variant_id=variant.id, email=EMAIL, token="t-robin"))
    db.session.commit()
    return browser


def delete_links():
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "account_delete")).all()
    return [re.search(r"http://shop\.test(/account/privacy/delete/[\w-]+)", m.text_body).group(1)
            for m in messages]


def test_the_export_holds_the_shoppers_data_and_nobody_elses(app, robin, make_product):
    sam = Browser(app)
    sign_in(sam, "sam@example.com")
    make_order("sam@example.com", make_product([1]).variants[0], line1="77 Sam Street")
    response = robin.get("/account/privacy/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.json
    assert data["account"]["email"] == EMAIL
    assert [a["line1"] for a in data["addresses"]] == ["4 Quay Road"]
    assert [o["number"] for o in data["orders"]] == [robin.order.number]
    assert data["orders"][0]["tracking_number"] == "TRACK-1"
    assert data["orders"][0]["lines"][0]["title"] == "Harbor Walker"
    assert [r["status"] for r in data["back_in_stock_requests"]] == ["unconfirmed"]
    assert "77 Sam Street" not in response.get_data(as_text=True)
    assert sam.get("/account/privacy/export").json["orders"][0]["number"] != robin.order.number


def test_deleting_needs_the_link_then_keeps_orders_without_personal_fields(robin):
    response = robin.submit("/account/privacy", "/account/privacy/delete", {},
                            follow_redirects=True)
    assert any(f.startswith(f"We sent a link to {EMAIL}.") for f in flashes(text(response)))
    assert db.session.scalar(select(func.count(Shopper.id))) == 1  # nothing deleted yet
    (link,) = delete_links()

    confirm = robin.get(link)
    assert confirm.status_code == 200 and "cannot be undone" in text(confirm)
    assert confirm.headers["Referrer-Policy"] == "no-referrer"
    done = robin.submit(link, link, {}, follow_redirects=True)
    assert ("Your account is deleted. 1 order(s) are kept for the accounts, without your "
            "name, e-mail address or shipping address.") in flashes(text(done))

    db.session.expire_all()
    order = db.session.get(Order, robin.order.id)
    assert order.email is None and order.shipping_name == "" and order.shipping_line1 == ""
    assert order.number == robin.order.number and order.total_cents > 0
    assert [line.title for line in order.lines] == ["Harbor Walker"]
    assert any(e.kind == "personal_data_removed" for e in order.events)
    for model in (Shopper, ShopperAddress, ShopperLink, BackInStockRequest):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    assert all(EMAIL not in [r.lower() for r in m.recipients]
               for m in db.session.scalars(select(OutboxMessage)))
    assert robin.get("/account").status_code == 303
    assert robin.get(link).status_code == 410


def test_a_deletion_link_works_only_in_its_browser_and_only_for_deleting(app, robin):
    robin.submit("/account/privacy", "/account/privacy/delete", {})
    (link,) = delete_links()
    other = Browser(app)
    assert other.get(link).status_code == 403
    response = other.post(link, data={"csrf_token": other.csrf_token("/account/login")})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Shopper.id))) == 1
    sign_in_token = link.rsplit("/", 1)[1]
    assert robin.get(f"/account/login/{sign_in_token}").status_code == 410
    assert robin.get("/account/privacy/delete/forged").status_code == 410


def test_privacy_pages_ask_a_visitor_to_sign_in(client):
    for path in ("/account/privacy", "/account/privacy/export"):
        assert client.get(path).status_code == 303
    assert client.submit("/account/login", "/account/privacy/delete", {}).status_code == 303


def test_an_order_still_to_be_sent_keeps_the_account_until_it_ships(app, robin, make_product):
    unsent = make_order(EMAIL, make_product([3]).variants[0], status="paid")
    response = robin.submit("/account/privacy", "/account/privacy/delete", {},
                            follow_redirects=True)
    assert (f"Order {unsent.number} is still on its way, and we need your name and address "
            "to finish it.") in " ".join(flashes(text(response)))
    assert delete_links() == []
    # A link asked for before the order was placed cannot delete it either.
    unsent.status = "shipped"
    db.session.commit()
    robin.submit("/account/privacy", "/account/privacy/delete", {})
    (link,) = delete_links()
    unsent.status = "paid"
    db.session.commit()
    refused = robin.submit(link, link, {})
    assert refused.status_code == 409 and "still on its way" in text(refused)
    db.session.expire_all()
    assert db.session.get(Order, unsent.id).shipping_line1 == "1 Main Street"
    assert db.session.scalar(select(func.count(Shopper.id))) == 1
