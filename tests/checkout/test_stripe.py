"""Stripe checkout end to end: the shop, the real stripe client and a fake Stripe server."""

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from storefront.checkout import service
from storefront.checkout.models import Order, Payment, WebhookEvent
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold, StockMovement
from storefront.models import utcnow
from tests.checkout.conftest import (
    as_another_shopper,
    check_out,
    fill_cart,
    pick,
    session_id_from,
)
from tests.conftest import ShopClient


def text(response):
    return response.get_data(as_text=True)


def levels(variant):
    db.session.expire_all()
    return inventory.get_levels(variant.id)


def the_order():
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def pay(fake, client, session_id, **kwargs):
    """The shopper pays on Stripe and Stripe reports it to the webhook."""
    session = fake.complete(session_id, **kwargs)
    event = fake.event("checkout.session.completed", session)
    return event, fake.deliver(client, event)


def expire_hold_of(order):
    """Time passes beyond the hold: its expiry is moved into the past, then swept."""
    db.session.execute(update(StockHold).where(StockHold.reference == order.stock_reference)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    inventory.release_expired()


def test_checkout_holds_stock_and_sends_the_shopper_to_stripe(client, fake_stripe,
                                                                make_product):
    variant = make_product([5], title="Harbor Walker", price=12900).variants[0]
    response = check_out(client, (variant, 2))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.test/c/pay/cs_")
    order = the_order()
    assert order.status == "pending" and order.total_cents == 25800
    assert [(line.title, line.sku, line.size, line.width, line.colour, line.unit_price_cents,
             line.quantity) for line in order.lines] == [
        ("Harbor Walker", variant.sku, variant.size.label, "Medium", "Navy", 12900, 2)]
    assert levels(variant).reserved == 2

    (_, _, params, key), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert key == f"checkout-session-{order.number}"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "12900"
    assert params["line_items"][0]["quantity"] == "2"
    assert params["client_reference_id"] == order.number
    assert params["metadata"] == {"order_number": order.number}
    assert params["success_url"] == (
        "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}")
    assert params["shipping_address_collection"]["allowed_countries"] == ["US", "CA"]
    minutes = (int(params["expires_at"]) - time.time()) / 60
    assert 30 < minutes <= 31.1


def test_tampered_price_fields_in_forms_are_ignored(client, fake_stripe, make_product):
    variant = make_product([5], price=15000).variants[0]
    fill_cart(client, (variant, 1))
    client.submit("/cart", "/checkout", {"price": "1", "amount": "1", "unit_price": "1",
                                         "total": "1", "subtotal": "1"})
    session_id = the_order().gateway_session_id
    assert fake_stripe.session(session_id)["amount_total"] == 15000
    assert the_order().total_cents == 15000


def test_webhook_payment_commits_the_stock_and_shows_on_the_order_page(
        client, fake_stripe, make_product):
    variant = make_product([5], title="Calm Clog", price=9900).variants[0]
    session_id = session_id_from(check_out(client, (variant, 2)))
    _, response = pay(fake_stripe, client, session_id)
    assert response.status_code == 200 and response.get_json()["outcome"] == "paid"
    order = the_order()
    assert order.status == "paid" and order.email == "shopper@example.com"
    assert order.shipping_city == "Portland" and order.shipping_country == "US"
    assert [(p.kind, p.amount_cents) for p in order.payments] == [("charge", 19800)]
    assert (levels(variant).reserved, levels(variant).committed) == (0, 2)
    assert [e.kind for e in service.order_history(order.id)] == [
        "created", "payment_page_opened", "paid"]
    body = text(client.get(f"/orders/{order.token}"))
    assert "Paid, being prepared" in body and "Calm Clog" in body
    assert "$198.00" in body and "12 Harbor Street" in body
    assert inventory.reconcile() == []


def test_success_page_takes_the_payment_and_empties_the_cart(client, fake_stripe,
                                                              make_product):
    variant = make_product([5]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    session = fake_stripe.complete(session_id)
    response = client.get(f"/checkout/success?session_id={session_id}", follow_redirects=True)
    assert "is paid" in text(response) and "Paid, being prepared" in text(response)
    assert client.get("/cart.json").get_json()["lines"] == []
    assert levels(variant).committed == 1
    # The webhook arriving afterwards finds the work done.
    late = fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed", session))
    assert late.get_json()["outcome"] == "already_done"
    assert levels(variant).committed == 1
    assert len(the_order().payments) == 1


def test_success_page_for_an_unknown_session_is_404(client, fake_stripe):
    assert client.get("/checkout/success?session_id=cs_test_nope").status_code == 404
    assert client.get("/checkout/success").status_code == 404


def test_a_duplicate_delivery_changes_nothing(client, fake_stripe, make_product):
    variant = make_product([5]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    event, first = pay(fake_stripe, client, session_id)
    second = fake_stripe.deliver(client, event)
    assert second.status_code == 200 and second.get_json()["outcome"] == "duplicate"
    assert levels(variant).committed == 1
    assert len(the_order().payments) == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


@pytest.mark.real_commits
def test_concurrent_deliveries_of_one_event_take_the_stock_once(app, fake_stripe,
                                                                make_product):
    variant = make_product([5]).variants[0]
    shopper = ShopClient(app.test_client())
    session_id = session_id_from(check_out(shopper, (variant, 2)))
    session = fake_stripe.complete(session_id)
    event = fake_stripe.event("checkout.session.completed", session)
    outcomes, start = [], threading.Barrier(8, timeout=120)
    db.session.commit()  # end this thread's transaction: on SQLite it holds the write lock

    def deliver():
        client = app.test_client()
        start.wait()
        response = fake_stripe.deliver(client, event)
        outcomes.append((response.get_json() or {}).get("outcome", response.status_code))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["paid"]
    assert (levels(variant).reserved, levels(variant).committed) == (0, 2)
    assert len(the_order().payments) == 1
    assert inventory.reconcile() == []


def test_expired_after_completed_is_a_no_op(client, fake_stripe, make_product):
    variant = make_product([5]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    _, _ = pay(fake_stripe, client, session_id)
    late = fake_stripe.event("checkout.session.expired",
                             dict(fake_stripe.session(session_id), status="expired"))
    response = fake_stripe.deliver(client, late)
    assert response.status_code == 200 and response.get_json()["outcome"] == "already_done"
    assert the_order().status == "paid"
    assert levels(variant).committed == 1


def test_an_expired_session_releases_the_hold(client, fake_stripe, make_product):
    variant = make_product([3]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 3)))
    assert levels(variant).available == 0
    response = fake_stripe.deliver(client, fake_stripe.event(
        "checkout.session.expired", fake_stripe.expire(session_id)))
    assert response.get_json()["outcome"] == "expired"
    order = the_order()
    assert order.status == "expired"
    assert levels(variant).available == 3
    assert "Closed without payment" in text(client.get(f"/orders/{order.token}"))


@pytest.mark.parametrize("how", ["wrong secret", "stale", "no header", "tampered body",
                                 "garbage header"])
def test_bad_or_stale_signatures_are_refused_and_change_nothing(client, fake_stripe,
                                                                 make_product, how):
    variant = make_product([5]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    session = fake_stripe.complete(session_id)
    event = fake_stripe.event("checkout.session.completed", session)
    payload = json.dumps(event)
    if how == "wrong secret":
        response = fake_stripe.deliver(client, event, secret="whsec_someone_else")
    elif how == "stale":
        response = fake_stripe.deliver(client, event, timestamp=int(time.time()) - 600)
    elif how == "no header":
        response = client.post("/webhooks/stripe", data=payload,
                               content_type="application/json")
    elif how == "tampered body":
        header = fake_stripe.sign(payload)
        tampered = payload.replace('"amount_total": ', '"amount_total": 1')
        response = client.post("/webhooks/stripe", data=tampered,
                               headers={"Stripe-Signature": header},
                               content_type="application/json")
    else:
        response = fake_stripe.deliver(client, event, signature="t=abc,v1=zz")
    assert response.status_code == 400
    assert the_order().status == "pending"
    assert levels(variant).committed == 0 and levels(variant).reserved == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_verified_events_the_shop_does_not_use_still_get_2xx(client, fake_stripe):
    response = fake_stripe.deliver(client, fake_stripe.event(
        "customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    other = fake_stripe.event("checkout.session.completed", {
        "id": "cs_test_from_elsewhere", "object": "checkout.session", "status": "complete",
        "payment_status": "paid", "amount_total": 100, "currency": "usd"})
    assert fake_stripe.deliver(client, other).get_json()["outcome"] == "ignored"


def test_paid_after_the_hold_expired_takes_fresh_stock_when_there(client, fake_stripe,
                                                                   make_product):
    variant = make_product([3]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 2)))
    expire_hold_of(the_order())
    assert levels(variant).reserved == 0
    _, response = pay(fake_stripe, client, session_id)
    assert response.get_json()["outcome"] == "paid"
    assert (levels(variant).reserved, levels(variant).committed) == (0, 2)
    reasons = db.session.scalars(select(StockMovement.reason)
                                 .where(StockMovement.variant_id == variant.id)
                                 .order_by(StockMovement.id)).all()
    assert reasons == ["opening", "hold", "hold_expired", "payment_after_expiry"]
    assert not the_order().needs_attention
    assert inventory.reconcile() == []


@pytest.mark.real_commits
def test_paid_after_expiry_without_stock_is_refunded_and_flagged(app, client, fake_stripe,
                                                                  make_product):
    variant = make_product([1], price=11000).variants[0]
    late_session = session_id_from(check_out(client, (variant, 1)))
    late_order = the_order()
    expire_hold_of(late_order)
    # Meanwhile someone else buys the last pair.
    last_pair = pick(variant)
    as_another_shopper(app, lambda other: pay(
        fake_stripe, other, session_id_from(check_out(other, (last_pair, 1)))))
    assert levels(variant).committed == 1

    _, response = pay(fake_stripe, client, late_session)
    assert response.status_code == 200 and response.get_json()["outcome"] == "refund_due"
    db.session.expire_all()
    order = db.session.get(Order, late_order.id)
    assert order.status == "cancelled" and order.needs_attention
    assert "stock was gone" in order.attention_reason
    refunds = fake_stripe.refunds_for(order.payment_reference)
    assert [(r["amount"], r["metadata"]["order_number"]) for r in refunds] == [
        (11000, order.number)]
    assert order.refunded_cents == 11000 and order.refund_owed_cents == 0
    lv = levels(variant)
    assert (lv.on_hand, lv.reserved, lv.committed) == (1, 0, 1)
    body = text(client.get(f"/orders/{order.token}"))
    assert "sold out meanwhile" in body and "Refunded: $110.00" in body
    assert inventory.reconcile() == []


def test_a_failed_automatic_refund_leaves_the_order_flagged_and_is_retried(
        app, client, fake_stripe, make_product):
    variant = make_product([1]).variants[0]
    late_session = session_id_from(check_out(client, (variant, 1)))
    late_order = the_order()
    expire_hold_of(late_order)
    inventory.adjust(variant.id, -1, "damaged", actor="test")
    fake_stripe.fail("create_refund")
    _, response = pay(fake_stripe, client, late_session)
    assert response.status_code == 200
    order = db.session.get(Order, late_order.id)
    assert order.needs_attention and "refund" in order.attention_reason
    assert order.refund_owed_cents > 0
    fake_stripe.recover()
    # The shopper's return visit (or staff) retries, with the same idempotency key.
    client.get(f"/checkout/success?session_id={late_session}")
    db.session.expire_all()
    assert db.session.get(Order, late_order.id).refund_owed_cents == 0
    assert len(fake_stripe.refunds_for(order.payment_reference)) == 1


def test_payment_page_failure_releases_the_hold_and_says_so(client, fake_stripe,
                                                              make_product):
    variant = make_product([2]).variants[0]
    fake_stripe.fail("create_session")
    response = check_out(client, (variant, 2))
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    body = text(client.get("/cart"))
    assert "could not open the payment page" in body and "Nothing was charged" in body
    assert levels(variant).reserved == 0
    assert the_order().status == "failed"
    assert client.get("/cart.json").get_json()["lines"][0]["quantity"] == 2


def test_short_stock_at_checkout_holds_nothing_and_says_what_is_left(client, fake_stripe,
                                                                      make_product):
    plenty = make_product([5], title="Plenty Shoe").variants[0]
    scarce = make_product([3], title="Scarce Shoe").variants[0]
    fill_cart(client, (plenty, 1), (scarce, 3))
    inventory.adjust(scarce.id, -2, "damaged", actor="test")
    response = client.submit("/cart", "/checkout", {}, follow_redirects=True)
    body = text(response)
    assert "Only 1 of Scarce Shoe" in body and "you asked for 3" in body
    assert levels(plenty).reserved == 0 and levels(scarce).reserved == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_async_payment_waits_then_succeeds(client, fake_stripe, make_product):
    variant = make_product([4]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    _, response = pay(fake_stripe, client, session_id, paid=False)
    assert response.get_json()["outcome"] == "awaiting_payment"
    assert the_order().status == "awaiting_payment"
    settled = fake_stripe.settle(session_id)
    response = fake_stripe.deliver(client, fake_stripe.event(
        "checkout.session.async_payment_succeeded", settled))
    assert response.get_json()["outcome"] == "paid"
    assert levels(variant).committed == 1


def test_async_payment_failure_releases_the_hold(client, fake_stripe, make_product):
    variant = make_product([4]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 2)))
    pay(fake_stripe, client, session_id, paid=False)
    failed = fake_stripe.settle(session_id, succeeded=False)
    response = fake_stripe.deliver(client, fake_stripe.event(
        "checkout.session.async_payment_failed", failed))
    assert response.get_json()["outcome"] == "failed"
    assert the_order().status == "failed"
    assert levels(variant).reserved == 0


def test_an_amount_that_does_not_match_is_flagged_not_fulfilled(client, fake_stripe,
                                                                 make_product):
    variant = make_product([4], price=5000).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    fake_stripe.complete(session_id)
    fake_stripe.sessions[session_id]["amount_total"] = 100  # what Stripe itself reports
    response = fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed",
                                                             fake_stripe.session(session_id)))
    assert response.get_json()["outcome"] == "mismatch"
    order = the_order()
    assert order.status == "pending" and order.needs_attention
    assert "$1.00" in order.attention_reason
    assert levels(variant).committed == 0


def test_refund_in_the_dashboard_flags_a_paid_order(client, fake_stripe, make_product):
    variant = make_product([4], price=5000).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    pay(fake_stripe, client, session_id)
    order = the_order()
    fake_stripe.refund_in_dashboard(order.payment_reference)
    event = fake_stripe.event("charge.refunded", fake_stripe.charge(order.payment_reference))
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "refund_recorded"
    order = the_order()
    assert order.needs_attention and "refunded in the payment dashboard" in order.attention_reason
    assert order.refunded_cents == 5000
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "duplicate"


def test_the_shops_own_refund_reported_back_is_not_counted_twice(client, fake_stripe,
                                                                   make_product):
    variant = make_product([4], price=5000).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    pay(fake_stripe, client, session_id)
    order = the_order()
    service.cancel_paid_order(order.id, actor="admin@example.com", reason="Shopper asked")
    event = fake_stripe.event("charge.refunded", fake_stripe.charge(order.payment_reference))
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "already_done"
    order = the_order()
    assert order.refunded_cents == 5000 and not order.needs_attention


def test_order_page_needs_the_right_token(client, fake_stripe, make_product):
    variant = make_product([4]).variants[0]
    check_out(client, (variant, 1))
    order = the_order()
    assert client.get(f"/orders/{order.token}").status_code == 200
    assert client.get(f"/orders/{order.token[:-2]}xx").status_code == 404
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.get("/orders/" + "a" * 200).status_code == 404


def test_leaving_stripe_and_cancelling_releases_the_hold(client, fake_stripe, make_product):
    variant = make_product([2]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 2)))
    order = the_order()
    page = f"/checkout/{order.token}/cancelled"
    assert "nothing was charged" in text(client.get(page))
    response = client.submit(page, f"/checkout/{order.token}/cancel", {},
                             follow_redirects=True)
    assert "Checkout cancelled" in text(response)
    assert fake_stripe.session(session_id)["status"] == "expired"
    assert the_order().status == "expired" and levels(variant).reserved == 0
    assert client.get("/cart.json").get_json()["lines"][0]["quantity"] == 2


def test_checking_out_again_releases_the_previous_hold(client, fake_stripe, make_product):
    variant = make_product([1]).variants[0]
    first = session_id_from(check_out(client, (variant, 1)))
    # The shopper comes back from Stripe with the browser's Back button and tries again.
    response = client.submit("/cart", "/checkout", {})
    assert response.status_code == 303 and "/c/pay/" in response.headers["Location"]
    assert fake_stripe.session(first)["status"] == "expired"
    statuses = db.session.scalars(select(Order.status).order_by(Order.id)).all()
    assert statuses == ["expired", "pending"]
    assert levels(variant).reserved == 1


def test_staff_ship_and_cancel_with_history(client, fake_stripe, make_product):
    variant = make_product([5], price=7000).variants[0]
    pay(fake_stripe, client, session_id_from(check_out(client, (variant, 2))))
    order = the_order()
    with pytest.raises(service.InvalidDetails):
        service.ship_order(order.id, "", "", actor="warehouse@example.com")
    service.ship_order(order.id, "UPS", "1Z999", actor="warehouse@example.com")
    lv = levels(variant)
    assert (lv.on_hand, lv.committed) == (3, 0)
    with pytest.raises(service.InvalidOrderState):
        service.cancel_paid_order(order.id, actor="admin@example.com")
    history = service.order_history(order.id)
    assert (history[-1].kind, history[-1].actor) == ("shipped", "warehouse@example.com")
    assert "UPS" in text(client.get(f"/orders/{order.token}"))
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert inventory.reconcile() == []
