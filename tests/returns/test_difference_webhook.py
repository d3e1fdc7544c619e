"""A shopper who pays a dearer replacement's difference on Stripe and closes the tab is
recorded as paid when Stripe's event arrives."""

import re

from storefront.checkout.models import Order
from storefront.extensions import db
from tests.returns.helpers import ask, text
from tests.returns.test_money import _dearer, _return, _stripe_order


def _difference_page(client, order, shop_return):
    page = f"/orders/{order.token}"
    response = client.submit(page, f"{page}/returns/{shop_return.number}/difference", {})
    return re.search(r"/c/pay/(cs_test_[0-9a-f]+)$", response.headers["Location"]).group(1)


def test_the_webhook_records_a_difference_paid_in_a_closed_tab(app, client, fake_stripe,
                                                               make_product):
    bought, wanted = _dearer(make_product)
    order = _stripe_order(client, fake_stripe, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    session_id = _difference_page(client, order, shop_return)
    completed = fake_stripe.complete(session_id)
    # The shopper never comes back to the shop; only the event arrives.
    event = fake_stripe.event("checkout.session.completed", completed)
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "difference_paid"
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "duplicate"
    again = fake_stripe.event("checkout.session.completed", completed)
    assert fake_stripe.deliver(client, again).get_json()["outcome"] == "already_done"
    db.session.expire_all()
    assert _return().difference_status == "paid"
    assert db.session.get(Order, order.id).charged_cents == 9000 + 2500
    assert "Pay the difference" not in text(client.get(f"/orders/{order.token}"))


def test_an_expired_difference_page_changes_nothing(app, client, fake_stripe, make_product):
    bought, wanted = _dearer(make_product)
    order = _stripe_order(client, fake_stripe, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    session_id = _difference_page(client, order, shop_return)
    expired = fake_stripe.expire(session_id)
    event = fake_stripe.event("checkout.session.expired", expired)
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "ignored"
    db.session.expire_all()
    assert _return().difference_status == "due"
    assert db.session.get(Order, order.id).charged_cents == 9000
