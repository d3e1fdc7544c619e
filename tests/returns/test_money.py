"""A dearer replacement's difference is paid on a payment page; refunds go through the
order's gateway, once, never above what was paid."""

import re

from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.returns import service as returns
from storefront.returns.models import ShopReturn
from tests.checkout.conftest import check_out, session_id_from
from tests.returns.helpers import ask, shipped_order, text


def _dearer(make_product):
    product = make_product(stock=[3, 2], sizes=["8", "9"], price=9000)
    bought, wanted = product.variants
    wanted.price_cents = 11500
    db.session.commit()
    return bought, wanted


def _return():
    return db.session.scalars(select(ShopReturn).order_by(ShopReturn.id.desc())).first()


def test_the_shopper_pays_the_difference_on_the_demo_page(app, client, make_product,
                                                         login_as):
    bought, wanted = _dearer(make_product)
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    page = f"/orders/{order.token}"
    assert "Pay the difference of $25.00" in text(client.get(page))
    response = client.submit(page, f"{page}/returns/{shop_return.number}/difference", {})
    assert response.status_code == 303
    demo = response.headers["Location"]
    assert "Demo payment page" in text(client.get(demo))
    paid = client.submit(demo, demo, {})
    assert paid.status_code == 303
    db.session.expire_all()
    assert shop_return.difference_status == "paid"
    order = db.session.get(Order, order.id)
    assert order.charged_cents == 9000 + 2500
    # Paying twice is refused; nothing more is charged.
    assert client.post(demo, data={"csrf_token": client.csrf_token(page)}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Order, order.id).charged_cents == 11500
    login_as("warehouse")
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})
    shipped = client.submit(detail, f"{detail}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    assert shipped.status_code == 303
    assert inventory.reconcile() == []


def _stripe_order(client, fake_stripe, variant):
    session_id = session_id_from(check_out(client, (variant, 1)))
    fake_stripe.complete(session_id)
    client.get(f"/checkout/success?session_id={session_id}")
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    checkout.ship_order(order.id, "UPS", "1Z1", actor="packer@staff.test")
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_the_difference_through_stripe_checkout(app, client, fake_stripe, make_product):
    bought, wanted = _dearer(make_product)
    order = _stripe_order(client, fake_stripe, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    page = f"/orders/{order.token}"
    response = client.submit(page, f"{page}/returns/{shop_return.number}/difference", {})
    session_id = re.search(r"/c/pay/(cs_test_[0-9a-f]+)$", response.headers["Location"]).group(1)
    assert fake_stripe.session(session_id)["amount_total"] == 2500
    # Opening the page again (another tab, a retry) is a new page, not an error.
    again = client.submit(page, f"{page}/returns/{shop_return.number}/difference", {})
    assert "/c/pay/" in again.headers["Location"]
    session_id = re.search(r"/c/pay/(cs_test_[0-9a-f]+)$", again.headers["Location"]).group(1)
    # Back before paying: nothing recorded.
    client.get(f"{page}/returns/{shop_return.number}/difference/paid?session_id={session_id}")
    db.session.expire_all()
    assert _return().difference_status == "due"
    fake_stripe.complete(session_id)
    back = client.get(f"{page}/returns/{shop_return.number}/difference/paid"
                      f"?session_id={session_id}", follow_redirects=True)
    assert "the difference for return" in text(back)
    db.session.expire_all()
    assert _return().difference_status == "paid"
    assert db.session.get(Order, order.id).charged_cents == 11500
    # Nothing is left to pay: the button is gone and a replayed form is refused.
    assert "Pay the difference" not in text(client.get(page))


def test_a_refund_through_stripe_is_made_once_and_never_above_what_was_paid(
        app, client, fake_stripe, make_product, login_as):
    variant = make_product(stock=[4], price=8000).variants[0]
    order = _stripe_order(client, fake_stripe, variant)
    ask(client, order, {order.lines[0]: (1, None)}, resolution="refund")
    shop_return = _return()
    login_as("warehouse")
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})

    fake_stripe.fail("create_refund")
    failed = client.submit(detail, f"{detail}/refund", {}, follow_redirects=True)
    assert "failed" in text(failed)
    db.session.expire_all()
    assert db.session.get(Order, order.id).needs_attention
    fake_stripe.recover()
    assert returns.refund_return(shop_return.id, actor="x@staff.test") == 8000
    assert returns.refund_return(shop_return.id, actor="x@staff.test") == 0
    refunds = fake_stripe.calls("POST", "/v1/refunds")
    keys = {key for *_, key in refunds}
    assert len(keys) == 1 and next(iter(keys)).startswith(f"return-refund-{shop_return.number}")
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_cents == 8000
    assert inventory.reconcile() == []


def test_a_return_refund_stops_at_what_is_left_of_the_payment(app, client, make_product,
                                                             login_as):
    from storefront.checkout.models import Payment

    variant = make_product(stock=[4], price=8000).variants[0]
    order = shipped_order(app, variant)
    # The shop had already given back $50 of it (a goodwill refund).
    order.payments.append(Payment(kind="refund", gateway="demo", reference="demo_re_goodwill",
                                  amount_cents=5000, currency="USD"))
    db.session.commit()
    ask(client, order, {order.lines[0]: (1, None)}, resolution="refund")
    shop_return = _return()
    login_as("warehouse")
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})
    assert "Refund $30.00" in text(client.get(detail))
    client.submit(detail, f"{detail}/refund", {})
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.refunded_cents == order.charged_cents == 8000


def test_a_difference_paid_on_a_page_left_early_is_found_on_the_next_click(
        app, client, fake_stripe, make_product):
    bought, wanted = _dearer(make_product)
    order = _stripe_order(client, fake_stripe, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    page = f"/orders/{order.token}"
    first = client.submit(page, f"{page}/returns/{shop_return.number}/difference", {})
    fake_stripe.complete(re.search(r"(cs_test_[0-9a-f]+)$", first.headers["Location"]).group(1))
    # The shopper closed the tab after paying, and presses Pay again later.
    again = client.submit(page, f"{page}/returns/{shop_return.number}/difference", {})
    assert again.headers["Location"].endswith(page)
    db.session.expire_all()
    assert _return().difference_status == "paid"
    assert db.session.get(Order, order.id).charged_cents == 11500


def _paid_shipped(client, *lines, code=None):
    """A demo order of `lines` (variant, quantity), paid and shipped; with a discount code."""
    from tests.cart.test_discounts import enter
    from tests.checkout.conftest import fill_cart
    from tests.staff.test_orders import ADDRESS

    fill_cart(client, *lines)
    if code:
        enter(client, code)
    client.submit("/cart", "/checkout", {})
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    page = f"/checkout/demo/{order.token}"
    client.submit(page, f"{page}/pay", ADDRESS)
    checkout.ship_order(order.id, "USPS", "9400TEST", actor="packer@staff.test")
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_a_discounted_order_exchanges_at_no_cost_and_refunds_what_was_paid(app, client,
                                                                          make_product):
    from tests.cart.test_discounts import make_code

    product = make_product(stock=[3, 2], sizes=["8", "9"], price=10000)
    bought, wanted = product.variants
    make_code("TENOFF", value=10)
    order = _paid_shipped(client, (bought, 2), code="TENOFF")
    assert order.total_cents == 18000
    line = order.lines[0]
    # Same shoe, another size: nothing to pay, nothing to refund.
    assert ask(client, order, {line: (1, wanted)}).status_code == 303
    exchange = _return()
    assert (exchange.difference_cents, exchange.difference_status) == (0, "none")
    # A refund of the other pair gives back what it cost after the discount.
    assert ask(client, order, {line: (1, None)}, resolution="refund").status_code == 303
    refund = db.session.scalars(select(ShopReturn).order_by(ShopReturn.id.desc())).first()
    returns.receive_return(refund.id, {str(refund.lines[0].id): "restock"}, actor="admin@x")
    assert returns.refund_return(refund.id, actor="admin@x") == 9000
    assert inventory.reconcile() == []


def test_units_refunded_from_the_order_page_are_not_refunded_or_restocked_again(
        app, client, make_product):
    alpha = make_product(stock=[3], sizes=["8"], price=10000, title="Alpha").variants[0]
    beta = make_product(stock=[3], sizes=["8"], price=10000, title="Beta").variants[0]
    order = _paid_shipped(client, (alpha, 1), (beta, 1))
    line = next(line for line in order.lines if line.title == "Alpha")
    assert ask(client, order, {line: (1, None)}, resolution="refund").status_code == 303
    shop_return = _return()
    # The shopper also wrote in; staff refunded (and restocked) Alpha from the order page.
    checkout.refund_lines(order.id, {line.id: 1}, reason="Wrote in", restock=True,
                          actor="admin@x")
    on_hand = inventory.get_levels(alpha.id).on_hand
    # The parcel arrives: Alpha was refunded already, so the return owes nothing more.
    returns.receive_return(shop_return.id, {str(shop_return.lines[0].id): "damaged"},
                           actor="admin@x")
    assert returns.refund_return(shop_return.id, actor="admin@x") == 0
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.refunded_cents == 10000
    assert {line.title: line.refunded_quantity for line in order.lines} == {"Alpha": 1,
                                                                           "Beta": 0}
    assert inventory.get_levels(alpha.id).on_hand == on_hand
    assert inventory.reconcile() == []


def test_an_exchange_waits_while_the_orders_payment_is_disputed(app, client, make_product):
    import pytest

    from storefront.checkout.gateways import DisputeState

    product = make_product(stock=[3, 2], sizes=["8", "9"], price=10000)
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    assert ask(client, order, {order.lines[0]: (1, wanted)}).status_code == 303
    shop_return = _return()
    returns.receive_return(shop_return.id, {str(shop_return.lines[0].id): "restock"},
                           actor="admin@x")
    checkout.record_dispute(order.id, DisputeState(
        "dp_1", order.payment_reference, None, 10000, "USD", "fraudulent", "needs_response",
        None), "stripe")
    with pytest.raises(returns.InvalidReturnState, match="open payment dispute"):
        returns.ship_exchange(shop_return.id, "USPS", "9400X", actor="admin@x")
    assert _return().status == "received"
    assert inventory.reconcile() == []
