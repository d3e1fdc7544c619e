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


def test_an_exchange_refunded_instead_gives_the_difference_back_from_its_payment(
        app, client, runner, fake_stripe, make_product, login_as):
    from tests.returns.test_expiry import _age

    bought, wanted = _dearer(make_product)
    order = _stripe_order(client, fake_stripe, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    session_id = _difference_page(client, order, shop_return)
    fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed",
                                                  fake_stripe.complete(session_id)))
    difference_intent = fake_stripe.session(session_id)["payment_intent"]
    # The parcel takes too long: the replacement is released, so the return is refunded.
    _age(shop_return, 31)
    runner.invoke(args=["inventory", "release-expired"])
    login_as("warehouse")
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})
    assert "Refund $115.00" in text(client.get(detail))
    assert client.submit(detail, f"{detail}/refund", {}).status_code == 303
    assert [r["amount"] for r in fake_stripe.refunds_for(order.payment_reference)] == [9000]
    assert [r["amount"] for r in fake_stripe.refunds_for(difference_intent)] == [2500]
    db.session.expire_all()
    shop_return = _return()
    assert shop_return.status == "refunded" and shop_return.difference_status == "refunded"
    assert db.session.get(Order, order.id).refunded_cents == 11500
    # Nothing more is owed: refunding again sends nothing.
    from storefront.returns import service as returns

    assert returns.refund_return(shop_return.id, actor="x@staff.test") == 0
    assert len(fake_stripe.calls("POST", "/v1/refunds")) == 2

    # The bank then fails the difference's refund: it is owed again, and refunded again.
    (refund,) = fake_stripe.refunds_for(difference_intent)
    failed = fake_stripe.settle_refund(refund["id"], "failed")
    outcome = fake_stripe.deliver(client, fake_stripe.event("refund.updated", failed))
    assert outcome.get_json()["outcome"] == "refund_recorded"
    db.session.expire_all()
    assert _return().difference_status == "paid"
    assert "Refund $25.00" in text(client.get(detail))
    assert returns.refund_return(shop_return.id, actor="x@staff.test") == 2500
    db.session.expire_all()
    assert _return().difference_status == "refunded"
    assert db.session.get(Order, order.id).refunded_cents == 11500
