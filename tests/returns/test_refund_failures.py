"""A return's refund the bank later reports failed or cancelled no longer counts: the
return is open again, its units are refundable again, and staff refund it again."""

from sqlalchemy import select

from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.returns.models import ShopReturn
from tests.returns.helpers import ask, text
from tests.returns.test_money import _stripe_order


def _return():
    return db.session.scalars(select(ShopReturn).order_by(ShopReturn.id.desc())).first()


def _received_refund_return(client, fake_stripe, make_product, login_as):
    variant = make_product(stock=[4], price=8000).variants[0]
    order = _stripe_order(client, fake_stripe, variant)
    ask(client, order, {order.lines[0]: (1, None)}, resolution="refund")
    shop_return = _return()
    login_as("warehouse")
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})
    return order, shop_return, detail


def test_a_refund_that_fails_at_the_bank_can_be_refunded_again(app, client, fake_stripe,
                                                               make_product, login_as):
    order, shop_return, detail = _received_refund_return(client, fake_stripe, make_product,
                                                         login_as)
    fake_stripe.refund_status = "pending"
    assert client.submit(detail, f"{detail}/refund", {}).status_code == 303
    db.session.expire_all()
    assert _return().status == "refunded"
    (refund,) = fake_stripe.refunds_for(order.payment_reference)

    failed = fake_stripe.settle_refund(refund["id"], "failed")
    response = fake_stripe.deliver(client, fake_stripe.event("charge.refund.updated", failed))
    assert response.get_json()["outcome"] == "refund_recorded"
    db.session.expire_all()
    shop_return = _return()
    assert shop_return.status == "received" and shop_return.refunded_cents == 0
    order = db.session.get(Order, order.id)
    assert order.lines[0].refunded_quantity == 0 and order.needs_attention
    page = text(client.get(detail))
    assert "Refund $80.00" in page and "failed at the bank and did not go through" in page

    # The retry is a new request (a new key), so Stripe does not answer with the failed one.
    fake_stripe.refund_status = "succeeded"
    assert client.submit(detail, f"{detail}/refund", {}).status_code == 303
    db.session.expire_all()
    shop_return = _return()
    assert shop_return.status == "refunded" and shop_return.refunded_cents == 8000
    order = db.session.get(Order, order.id)
    assert order.refunded_cents == 8000 and order.lines[0].refunded_quantity == 1
    keys = [call[3] for call in fake_stripe.calls("POST", "/v1/refunds")]
    assert len(set(keys)) == 2
    assert inventory.reconcile() == []


def test_a_cancelled_refund_of_a_cheaper_exchange_is_owed_again(app, client, fake_stripe,
                                                                make_product, login_as):
    product = make_product(stock=[3, 2], sizes=["8", "9"], price=9000)
    bought, wanted = product.variants
    wanted.price_cents = 7000
    db.session.commit()
    order = _stripe_order(client, fake_stripe, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    login_as("warehouse")
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})
    fake_stripe.refund_status = "pending"
    client.submit(detail, f"{detail}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    db.session.expire_all()
    assert _return().difference_status == "refunded"
    (refund,) = fake_stripe.refunds_for(order.payment_reference)
    cancelled = fake_stripe.settle_refund(refund["id"], "canceled")
    fake_stripe.deliver(client, fake_stripe.event("refund.updated", cancelled))
    db.session.expire_all()
    shop_return = _return()
    assert shop_return.status == "exchanged" and shop_return.difference_status == "to_refund"
    assert "Refund $20.00" in text(client.get(detail))
    fake_stripe.refund_status = "succeeded"
    client.submit(detail, f"{detail}/refund", {})
    db.session.expire_all()
    assert _return().difference_status == "refunded"
    assert db.session.get(Order, order.id).refunded_cents == 2000


def test_a_refund_the_webhook_recorded_first_still_counts_for_the_return(
        app, client, fake_stripe, make_product, login_as, monkeypatch):
    from storefront.checkout import gateways
    from storefront.checkout import service as checkout

    order, shop_return, detail = _received_refund_return(client, fake_stripe, make_product,
                                                         login_as)
    fake_stripe.refund_status = "pending"
    send = gateways.StripeGateway.refund

    def refund_then_event(self, reference, *args):
        refund = send(self, reference, *args)
        # Stripe's refund.created event is handled before the return records the refund.
        checkout.record_gateway_refunds(order.id, self.list_refunds(reference), "stripe", None)
        return refund

    monkeypatch.setattr(gateways.StripeGateway, "refund", refund_then_event)
    client.submit(detail, f"{detail}/refund", {})
    monkeypatch.undo()
    db.session.expire_all()
    assert _return().status == "refunded" and _return().refunded_cents == 8000
    (refund,) = fake_stripe.refunds_for(order.payment_reference)
    failed = fake_stripe.settle_refund(refund["id"], "failed")
    fake_stripe.deliver(client, fake_stripe.event("refund.updated", failed))
    db.session.expire_all()
    assert _return().status == "received" and _return().refunded_cents == 0
    assert "Refund $80.00" in text(client.get(detail))
