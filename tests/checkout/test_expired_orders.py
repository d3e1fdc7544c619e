"""The hold sweeper also closes unpaid orders whose hold and payment page have both run
out, giving their code use back; Stripe is asked first whether the page was paid."""

from datetime import timedelta

from sqlalchemy import update

from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.models import utcnow
from tests.cart.test_discounts import enter, make_code
from tests.checkout.conftest import fill_cart, session_id_from
from tests.checkout.test_discounts import orders, times_used


def _check_out_with_code(client, variant, code="ONCE"):
    fill_cart(client, (variant, 1))
    make_code(code, value=10, usage_limit=1)
    enter(client, code)
    response = client.submit("/cart", "/checkout", {})
    [order] = orders()
    assert times_used(code) == 1
    return order, response


def _age(order, minutes):
    """Pretend the order was placed `minutes` ago: hold and payment page ran out."""
    past = utcnow() - timedelta(minutes=minutes)
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(hold_expires_at=past, payment_expires_at=past))
    db.session.commit()


def _sweep(runner):
    result = runner.invoke(args=["inventory", "release-expired"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_order_left_on_the_demo_page_is_closed_and_gives_its_code_back(
        app, client, runner, make_product):
    variant = make_product([5], price=10000).variants[0]
    order, _ = _check_out_with_code(client, variant)
    assert "closed unpaid" not in _sweep(runner)
    assert orders()[0].status == "pending"
    _age(order, 5)
    output = _sweep(runner)
    assert f"order {order.number}: closed unpaid" in output
    [order] = orders()
    assert order.status == "expired" and times_used("ONCE") == 0
    assert "expired before it was paid" in client.get(f"/orders/{order.token}").get_data(
        as_text=True)
    assert f"order {order.number}" not in _sweep(runner)


def test_a_stripe_order_whose_expiry_event_never_came_is_closed(
        app, client, runner, fake_stripe, make_product):
    variant = make_product([5], price=10000).variants[0]
    order, response = _check_out_with_code(client, variant)
    fake_stripe.expire(session_id_from(response))
    _age(order, 5)
    assert f"order {order.number}: closed unpaid" in _sweep(runner)
    [order] = orders()
    assert order.status == "expired" and times_used("ONCE") == 0


def test_a_stripe_order_paid_without_its_event_is_recorded_paid_not_closed(
        app, client, runner, fake_stripe, make_product):
    variant = make_product([5], price=10000).variants[0]
    order, response = _check_out_with_code(client, variant)
    fake_stripe.complete(session_id_from(response))
    _age(order, 5)
    assert f"order {order.number}: paid" in _sweep(runner)
    [order] = orders()
    assert order.status == "paid" and times_used("ONCE") == 1


def test_stripe_not_answering_leaves_the_order_for_the_next_pass(
        app, client, runner, fake_stripe, make_product):
    variant = make_product([5], price=10000).variants[0]
    order, response = _check_out_with_code(client, variant)
    _age(order, 5)
    fake_stripe.fail("retrieve_session")
    assert "did not answer" in _sweep(runner)
    assert orders()[0].status == "pending"
    fake_stripe.recover()
    fake_stripe.expire(session_id_from(response))
    assert "closed unpaid" in _sweep(runner)
    assert orders()[0].status == "expired" and times_used("ONCE") == 0
