"""The whole life of a Stripe payment: the pinned API version, delayed bank payments,
refunds that stay pending or fail, disputes, and staff refunds of lines after shipping.

Each scenario runs through the webhook (and the success page where a shopper
returns), in order, out of order and duplicated, and checks what a shopper and
staff would see: the order's state, its refunds, the stock counters and `reconcile`.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from storefront.checkout import gateways, service
from storefront.checkout.models import Dispute, Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.mail.models import OutboxMessage
from storefront.models import utcnow
from storefront.staff import dashboard
from tests.checkout.conftest import check_out, session_id_from
from tests.staff.helpers import make_staff


def text(response):
    return response.get_data(as_text=True)


def levels(variant):
    db.session.expire_all()
    lv = inventory.get_levels(variant.id)
    return lv.on_hand, lv.reserved, lv.committed


def the_order():
    db.session.expire_all()
    return db.session.scalars(select(Order)).one()


def outbox(kind):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).all()


def deliver(fake, client, kind, obj, **kwargs):
    response = fake.deliver(client, fake.event(kind, obj, **kwargs))
    assert response.status_code == 200, text(response)
    return response.get_json()["outcome"]


def paid(fake, client, *lines, **kwargs):
    """A shopper checks out and pays by card; the webhook reports it. Returns the session id."""
    session_id = session_id_from(check_out(client, *lines))
    assert deliver(fake, client, "checkout.session.completed",
                   fake.complete(session_id, **kwargs)) == "paid"
    return session_id


def ledger_reasons(variant):
    return db.session.scalars(select(StockMovement.reason)
                              .where(StockMovement.variant_id == variant.id)
                              .order_by(StockMovement.id)).all()


# -- one API version for every request; the objects read back from Stripe ------------------

def test_every_request_to_stripe_names_the_pinned_api_version(app, client, fake_stripe,
                                                              make_product):
    variant = make_product([5]).variants[0]
    session_id = paid(fake_stripe, client, (variant, 1))
    client.get(f"/checkout/success?session_id={session_id}")
    service.cancel_paid_order(the_order().id, actor="admin@example.com", reason="Test")
    assert len(fake_stripe.versions) >= 3  # open the page, read it back, refund
    assert set(fake_stripe.versions) == {app.config["STRIPE_API_VERSION"]} == {
        "2025-06-30.basil"}


@pytest.mark.parametrize("pinned", ["2025-06-30.basil", "2022-11-15", "2020-08-27"])
def test_an_event_in_an_old_api_shape_is_read_back_from_stripe(app, client, fake_stripe,
                                                               make_product, pinned):
    """An endpoint on a pre-2022-08-01 version sends `shipping`, not `shipping_details`."""
    app.config["STRIPE_API_VERSION"] = pinned
    variant = make_product([5]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    session = fake_stripe.complete(session_id)
    event = fake_stripe.event("checkout.session.completed", session, api_version="2020-08-27")
    assert "shipping" in event["data"]["object"]
    assert "collected_information" not in event["data"]["object"]
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "paid"
    order = the_order()
    assert order.status == "paid"
    assert (order.shipping_name, order.shipping_line1, order.shipping_city) == (
        "Ada Walker", "12 Harbor Street", "Portland")
    assert set(fake_stripe.versions) == {pinned}
    assert "12 Harbor Street" in text(client.get(f"/orders/{order.token}"))


def test_the_session_shapes_of_each_api_version_give_one_address():
    address = {"line1": "1 Elm Row", "city": "Boston", "state": "MA", "postal_code": "02108",
               "country": "us"}
    shapes = [
        {"collected_information": {"shipping_details": {"name": "Bo", "address": address}}},
        {"shipping_details": {"name": "Bo", "address": address}},
        {"shipping": {"name": "Bo", "address": address}},
    ]
    for shape in shapes:
        state = gateways.session_state({"id": "cs_1", **shape})
        assert state.shipping["line1"] == "1 Elm Row" and state.shipping["country"] == "US"


def test_the_success_page_repairs_details_the_paid_order_lacks(client, fake_stripe,
                                                              make_product):
    variant = make_product([5]).variants[0]
    session_id = paid(fake_stripe, client, (variant, 1))
    # The webhook took the payment but the details did not come with it.
    db.session.execute(update(Order).values(email=None, shipping_line1="", shipping_city="",
                                            shipping_name=""))
    assert not the_order().has_shipping_address
    response = client.get(f"/checkout/success?session_id={session_id}", follow_redirects=True)
    assert "12 Harbor Street" in text(response)
    order = the_order()
    assert order.status == "paid" and order.email == "shopper@example.com"
    assert order.shipping_city == "Portland"
    assert service.order_history(order.id)[-1].kind == "details_completed"
    assert levels(variant) == (5, 0, 1)


def test_a_webhook_stripe_cannot_answer_is_refused_so_stripe_sends_it_again(
        client, fake_stripe, make_product):
    variant = make_product([5]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    event = fake_stripe.event("checkout.session.completed", fake_stripe.complete(session_id))
    fake_stripe.fail("retrieve_session")
    assert fake_stripe.deliver(client, event).status_code == 502
    assert the_order().status == "pending"
    fake_stripe.recover()
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "paid"
    assert levels(variant) == (5, 0, 1)


def test_checkout_session_names_the_order_everywhere(app, fake_stripe):
    gateway = gateways.get("stripe")
    line = SimpleNamespace(quantity=1, unit_price_cents=5000, title="Trail Shoe",
                           option_label="Size 9, Wide, Navy", sku="TS-9-W", discount_cents=0)
    order = SimpleNamespace(number="SA-ABCD2345", currency="USD", lines=[line],
                            email="known@example.com", tax_cents=0, shipping_rate_name="")
    urls = gateways.CheckoutUrls("https://shop.test/ok", "https://shop.test/no", "/demo")
    gateway.create_session(order, urls, utcnow() + timedelta(minutes=40))
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert params["client_reference_id"] == "SA-ABCD2345"
    assert params["metadata"] == {"order_number": "SA-ABCD2345"}
    assert params["payment_intent_data"] == {
        "metadata": {"order_number": "SA-ABCD2345"},
        "statement_descriptor_suffix": "SAABCD2345"}
    assert params["customer_email"] == "known@example.com"


def test_customer_email_is_left_out_when_the_shop_does_not_know_it(client, fake_stripe,
                                                                   make_product):
    check_out(client, (make_product([5]).variants[0], 1))
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert "customer_email" not in params
    suffix = params["payment_intent_data"]["statement_descriptor_suffix"]
    assert suffix == the_order().number.replace("-", "") and len(suffix) <= 10


# -- delayed payments (bank debits) ------------------------------------------------------

def awaiting(fake, client, variant, quantity=1):
    session_id = session_id_from(check_out(client, (variant, quantity)))
    assert deliver(fake, client, "checkout.session.completed",
                   fake.complete(session_id, paid=False)) == "awaiting_payment"
    return session_id


def test_delayed_payment_settles_after_three_days_with_the_stock_still_held(
        app, client, fake_stripe, make_product):
    variant = make_product([2]).variants[0]
    session_id = awaiting(fake_stripe, client, variant, 2)
    order = the_order()
    assert order.status == "awaiting_payment"
    assert order.hold_expires_at > utcnow() + timedelta(days=6, hours=23)
    page = text(client.get(f"/orders/{order.token}"))
    assert "Payment on its way" in page and "bank payment is on its way" in page
    assert "Go to payment" not in page
    # Three days later the sweeper runs: the units stay held for this shopper.
    assert inventory.release_expired(now=utcnow() + timedelta(days=3)) == []
    assert levels(variant) == (2, 2, 0)
    shown = client.get(f"/products/{variant.product.slug}.json").get_json()
    assert [v["available"] for v in shown["variants"]] == [0]
    settled = fake_stripe.settle(session_id)
    assert deliver(fake_stripe, client, "checkout.session.async_payment_succeeded",
                   settled) == "paid"
    assert the_order().status == "paid"
    assert levels(variant) == (2, 0, 2)
    assert ledger_reasons(variant) == ["opening", "hold", "payment_confirmed"]
    assert [m.recipients for m in outbox("order_paid")] == [["shopper@example.com"]]
    assert inventory.reconcile() == []


def test_the_delayed_hold_ends_after_the_configured_days(app, client, fake_stripe,
                                                         make_product):
    app.config["DELAYED_PAYMENT_HOLD_DAYS"] = 2
    variant = make_product([1]).variants[0]
    awaiting(fake_stripe, client, variant)
    assert inventory.release_expired(now=utcnow() + timedelta(days=1)) == []
    assert [(r.variant_id, r.units) for r in
            inventory.release_expired(now=utcnow() + timedelta(days=2, minutes=1))] == [
        (variant.id, 1)]
    assert levels(variant) == (1, 0, 0)
    db.session.execute(update(Order).values(hold_expires_at=utcnow() - timedelta(minutes=1)))
    page = text(client.get(f"/orders/{the_order().token}"))
    assert "could not keep your shoes for you any longer" in page
    assert inventory.reconcile() == []


def test_delayed_payment_that_fails_releases_the_stock_and_tells_the_shopper(
        client, fake_stripe, make_product):
    variant = make_product([2]).variants[0]
    session_id = awaiting(fake_stripe, client, variant, 2)
    failed = fake_stripe.settle(session_id, succeeded=False)
    assert deliver(fake_stripe, client, "checkout.session.async_payment_failed",
                   failed) == "failed"
    order = the_order()
    assert order.status == "failed" and levels(variant) == (2, 0, 0)
    mails = outbox("order_cancelled")
    assert [m.recipients for m in mails] == [["shopper@example.com"]]
    assert "not been charged" in mails[0].text_body
    assert "did not complete the payment" in mails[0].text_body
    assert "did not complete the payment" in text(client.get(f"/orders/{order.token}"))
    # A late or repeated completion event changes nothing.
    assert deliver(fake_stripe, client, "checkout.session.completed",
                   fake_stripe.session(session_id)) == "not_paid"
    assert the_order().status == "failed" and levels(variant) == (2, 0, 0)
    assert inventory.reconcile() == []


def test_delayed_payment_events_out_of_order_and_twice_end_paid_once(client, fake_stripe,
                                                                    make_product):
    variant = make_product([3]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    completed = fake_stripe.event("checkout.session.completed",
                                  fake_stripe.complete(session_id, paid=False))
    succeeded = fake_stripe.event("checkout.session.async_payment_succeeded",
                                  fake_stripe.settle(session_id))
    assert fake_stripe.deliver(client, succeeded).get_json()["outcome"] == "paid"
    assert fake_stripe.deliver(client, completed).get_json()["outcome"] == "already_done"
    assert fake_stripe.deliver(client, succeeded).get_json()["outcome"] == "duplicate"
    order = the_order()
    assert order.status == "paid" and len(order.payments) == 1
    assert levels(variant) == (3, 0, 1)
    assert inventory.reconcile() == []


def test_delayed_failure_before_completion_ends_failed(client, fake_stripe, make_product):
    variant = make_product([3]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 2)))
    completed = fake_stripe.event("checkout.session.completed",
                                  fake_stripe.complete(session_id, paid=False))
    failed = fake_stripe.event("checkout.session.async_payment_failed",
                               fake_stripe.settle(session_id, succeeded=False))
    assert fake_stripe.deliver(client, failed).get_json()["outcome"] == "failed"
    assert fake_stripe.deliver(client, completed).get_json()["outcome"] == "not_paid"
    assert the_order().status == "failed" and levels(variant) == (3, 0, 0)
    assert inventory.reconcile() == []


def test_returning_from_a_bank_payment_says_it_is_on_its_way(client, fake_stripe,
                                                            make_product):
    variant = make_product([3]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    fake_stripe.complete(session_id, paid=False)
    response = client.get(f"/checkout/success?session_id={session_id}", follow_redirects=True)
    assert "Your bank takes a few days" in text(response)
    assert the_order().status == "awaiting_payment"
    assert client.get("/cart.json").get_json()["lines"] == []
    # The webhook arriving afterwards finds the work done; the stock stays held.
    assert deliver(fake_stripe, client, "checkout.session.completed",
                   fake_stripe.session(session_id)) == "already_done"
    assert levels(variant) == (3, 1, 0)


def test_a_completed_bank_payment_whose_hold_had_lapsed_is_held_again(client, fake_stripe,
                                                                     make_product):
    variant = make_product([2]).variants[0]
    session_id = session_id_from(check_out(client, (variant, 1)))
    inventory.release_expired(now=utcnow() + timedelta(hours=1))
    assert levels(variant) == (2, 0, 0)
    assert deliver(fake_stripe, client, "checkout.session.completed",
                   fake_stripe.complete(session_id, paid=False)) == "awaiting_payment"
    assert levels(variant) == (2, 1, 0) and not the_order().needs_attention
    assert inventory.release_expired(now=utcnow() + timedelta(days=3)) == []
    assert deliver(fake_stripe, client, "checkout.session.async_payment_succeeded",
                   fake_stripe.settle(session_id)) == "paid"
    assert levels(variant) == (2, 0, 1)
    assert inventory.reconcile() == []


# -- refund statuses ---------------------------------------------------------------------

def test_refund_pending_then_failed_flags_the_order_and_tells_the_admins(
        client, fake_stripe, make_product):
    make_staff("admin", email="boss@example.com")
    variant = make_product([4], price=6000).variants[0]
    paid(fake_stripe, client, (variant, 1))
    order = the_order()
    fake_stripe.refund_status = "pending"
    service.cancel_paid_order(order.id, actor="admin@example.com", reason="Changed mind")
    order = the_order()
    assert [(p.amount_cents, p.status) for p in order.refunds] == [(6000, "pending")]
    assert order.refunded_cents == 0 and order.refund_owed_cents == 0
    assert "being processed by your bank" in text(client.get(f"/orders/{order.token}"))
    (refund,) = fake_stripe.refunds_for(order.payment_reference)
    assert deliver(fake_stripe, client, "charge.refunded",
                   fake_stripe.charge(order.payment_reference)) == "already_done"

    failed = fake_stripe.settle_refund(refund["id"], "failed")
    event = fake_stripe.event("charge.refund.updated", failed)
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "refund_recorded"
    assert fake_stripe.deliver(client, event).get_json()["outcome"] == "duplicate"
    assert deliver(fake_stripe, client, "refund.updated", failed) == "already_done"
    order = the_order()
    assert [p.status for p in order.refunds] == ["failed"]
    assert order.needs_attention and "failed at the bank" in order.attention_reason
    assert order.refund_owed_cents == 6000
    (alert,) = outbox("staff_alert")
    assert alert.recipients == ["boss@example.com"] and order.number in alert.subject
    assert levels(variant) == (4, 0, 0)

    # Staff retry: a new key, because the first refund failed at the bank.
    fake_stripe.refund_status = "succeeded"
    assert service.refund_owed(order.id, actor="admin@example.com") == 6000
    keys = [call[3] for call in fake_stripe.calls("POST", "/v1/refunds")]
    assert keys == [f"refund-{order.number}-0", f"refund-{order.number}-0-1"]
    assert the_order().refunded_cents == 6000 and the_order().refund_owed_cents == 0
    assert inventory.reconcile() == []


def test_refund_events_out_of_order_end_in_the_same_state(client, fake_stripe,
                                                          make_product):
    variant = make_product([4], price=6000).variants[0]
    paid(fake_stripe, client, (variant, 1))
    order = the_order()
    fake_stripe.refund_status = "pending"
    refund = fake_stripe.refund_in_dashboard(order.payment_reference, 2000)
    created = fake_stripe.event("refund.created", refund)
    succeeded = fake_stripe.event("refund.updated",
                                  fake_stripe.settle_refund(refund["id"], "succeeded"))
    # The update arrives first: the refund is read back from Stripe, already succeeded.
    assert fake_stripe.deliver(client, succeeded).get_json()["outcome"] == "refund_recorded"
    assert fake_stripe.deliver(client, created).get_json()["outcome"] == "already_done"
    order = the_order()
    assert [(p.amount_cents, p.status) for p in order.refunds] == [(2000, "succeeded")]
    assert order.refunded_cents == 2000 and order.status == "paid"
    assert order.needs_attention and "refunded in the payment dashboard" in (
        order.attention_reason)


# -- disputes ----------------------------------------------------------------------------

def test_dispute_opened_then_lost(app, client, fake_stripe, make_product, login_as):
    make_staff("admin", email="boss@example.com")
    variant = make_product([4], price=8000).variants[0]
    other = make_product([4], price=1000).variants[0]
    paid(fake_stripe, client, (other, 1))
    first = the_order()
    paid(fake_stripe, client, (variant, 1))
    order = db.session.scalars(select(Order).where(Order.id != first.id)).one()
    sales_before = dashboard.daily_sales(days=1).revenue
    assert sales_before == first.total_cents + order.total_cents

    dispute = fake_stripe.open_dispute(order.payment_reference, reason="product_not_received")
    assert deliver(fake_stripe, client, "charge.dispute.created", dispute) == "dispute_open"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    (recorded,) = order.disputes
    assert (recorded.amount_cents, recorded.reason, recorded.status) == (
        order.total_cents, "product_not_received", "needs_response")
    assert recorded.evidence_due_by > utcnow() + timedelta(days=6)
    assert order.needs_attention and not order.can_ship
    (alert,) = outbox("staff_alert")
    assert alert.recipients == ["boss@example.com"] and "Dispute" in alert.subject
    with pytest.raises(service.InvalidOrderState):
        service.ship_order(order.id, "UPS", "1Z1", actor="warehouse@example.com")

    login_as("warehouse")
    listing = text(client.get("/staff/orders"))
    assert listing.index(order.number) < listing.index(first.number)
    assert "Dispute open" in listing
    page = text(client.get(f"/staff/orders/{order.id}"))
    assert "Response needed" in page and "Mark shipped" not in page
    response = client.submit(f"/staff/orders/{order.id}", f"/staff/orders/{order.id}/ship",
                             {"carrier": "UPS", "tracking_number": "1Z1"})
    assert response.status_code == 409 and "open dispute" in text(response)

    lost = fake_stripe.update_dispute(dispute["id"], "lost")
    assert deliver(fake_stripe, client, "charge.dispute.closed", lost) == "dispute_lost"
    assert deliver(fake_stripe, client, "charge.dispute.updated", lost) == "already_done"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.disputes[0].status == "lost" and order.disputes[0].closed_at
    assert order.needs_attention and "Dispute lost" in order.attention_reason
    assert order.lost_dispute_cents == order.total_cents and order.refundable_cents == 0
    # Lost counts as refunded in reports; the stock is untouched.
    assert dashboard.daily_sales(days=1).revenue == first.total_cents
    assert levels(variant) == (4, 0, 1)
    assert inventory.reconcile() == []


def test_dispute_closed_before_created_ends_the_same(client, fake_stripe, make_product):
    variant = make_product([4], price=8000).variants[0]
    paid(fake_stripe, client, (variant, 1))
    order = the_order()
    dispute = fake_stripe.open_dispute(order.payment_reference)
    created = fake_stripe.event("charge.dispute.created", dispute)
    closed = fake_stripe.event("charge.dispute.closed",
                               fake_stripe.update_dispute(dispute["id"], "lost"))
    assert fake_stripe.deliver(client, closed).get_json()["outcome"] == "dispute_lost"
    assert fake_stripe.deliver(client, created).get_json()["outcome"] == "already_done"
    order = the_order()
    assert [(d.status, d.amount_cents) for d in order.disputes] == [("lost", 8000)]
    assert order.needs_attention and "Dispute lost" in order.attention_reason
    assert db.session.scalars(select(Dispute)).one().order_id == order.id


def test_a_won_dispute_unflags_the_order_and_lets_it_ship(client, fake_stripe,
                                                          make_product):
    variant = make_product([4]).variants[0]
    paid(fake_stripe, client, (variant, 1))
    order = the_order()
    dispute = fake_stripe.open_dispute(order.payment_reference, reason="fraudulent")
    deliver(fake_stripe, client, "charge.dispute.created", dispute)
    assert deliver(fake_stripe, client, "charge.dispute.updated",
                   fake_stripe.update_dispute(dispute["id"], "under_review")) == "dispute_open"
    assert not the_order().can_ship
    assert deliver(fake_stripe, client, "charge.dispute.closed",
                   fake_stripe.update_dispute(dispute["id"], "won")) == "dispute_won"
    order = the_order()
    assert not order.needs_attention and order.can_ship
    service.ship_order(order.id, "UPS", "1Z2", actor="warehouse@example.com")
    assert levels(variant) == (3, 0, 0)


# -- staff refunds of lines, after shipping ------------------------------------------------

def shipped_order(fake, client, make_product):
    left = make_product([5], title="Harbor Walker", price=12000).variants[0]
    right = make_product([5], title="Calm Clog", price=8000).variants[0]
    paid(fake, client, (left, 2), (right, 1))
    order = the_order()
    service.ship_order(order.id, "UPS", "1Z9", actor="warehouse@example.com")
    return the_order(), left, right


def line_of(order, variant):
    return next(line for line in the_order().lines if line.variant_id == variant.id)


def test_partial_refund_of_one_line_of_a_shipped_order_with_restock(client, fake_stripe,
                                                                    make_product):
    order, left, right = shipped_order(fake_stripe, client, make_product)
    assert levels(left) == (3, 0, 0)
    line = line_of(order, left)
    service.refund_lines(order.id, {line.id: 1}, reason="Too narrow", restock=True,
                         actor="warehouse@example.com")
    order = the_order()
    (refund,) = fake_stripe.refunds_for(order.payment_reference)
    assert refund["amount"] == 12000
    assert order.refunded_cents == 12000 and order.status == "shipped"
    line = line_of(order, left)
    assert (line.refunded_quantity, line.restocked_quantity) == (1, 1)
    assert levels(left) == (4, 0, 0) and levels(right) == (4, 0, 0)
    assert ledger_reasons(left)[-1] == "return_restock"
    history = service.order_history(order.id)[-1]
    assert "Refunded $120.00 for 1 × Harbor Walker" in history.message
    assert "Too narrow" in history.message and "1 unit(s) back in stock" in history.message
    (mail,) = outbox("order_refunded")
    assert mail.recipients == ["shopper@example.com"]
    assert "$120.00" in mail.text_body and "1 × Harbor Walker" in mail.text_body
    shopper_page = text(client.get(f"/orders/{order.token}"))
    assert "Refunded: $120.00" in shopper_page and "1 refunded" in shopper_page
    assert inventory.reconcile() == []

    # Never more than was paid: the line has one unit left to refund.
    with pytest.raises(service.InvalidDetails):
        service.refund_lines(order.id, {line.id: 2}, reason="Again", actor="x@example.com")
    # The rest, shipping and all, goes with the last units; then nothing is left.
    service.refund_lines(order.id, None, reason="Returned all", actor="x@example.com")
    order = the_order()
    assert order.refunded_cents == order.charged_cents == 32000
    assert not order.can_refund
    keys = [call[3] for call in fake_stripe.calls("POST", "/v1/refunds")]
    assert keys == [f"refund-{order.number}-0", f"refund-{order.number}-12000"]
    assert levels(right) == (4, 0, 0)  # not restocked: it never came back


def test_refunding_a_line_before_shipping_frees_its_units(client, fake_stripe, make_product):
    left = make_product([5], price=12000).variants[0]
    right = make_product([5], price=8000).variants[0]
    paid(fake_stripe, client, (left, 2), (right, 1))
    order = the_order()
    line = next(line for line in order.lines if line.variant_id == right.id)
    with pytest.raises(service.InvalidDetails) as refused:
        service.refund_lines(order.id, {line.id: 1}, reason="Out", restock=True, actor="x")
    assert "restock" in refused.value.errors
    service.refund_lines(order.id, {line.id: 1}, reason="Shopper asked", actor="x")
    assert levels(right) == (5, 0, 0) and levels(left) == (5, 0, 2)
    service.ship_order(order.id, "UPS", "1Z3", actor="warehouse@example.com")
    assert levels(right) == (5, 0, 0) and levels(left) == (3, 0, 0)
    assert inventory.reconcile() == []


def test_a_retried_staff_refund_is_not_paid_twice(client, fake_stripe, make_product):
    order, left, _ = shipped_order(fake_stripe, client, make_product)
    line = line_of(order, left)
    fake_stripe.fail("create_refund")
    with pytest.raises(service.RefundFailed):
        service.refund_lines(order.id, {line.id: 1}, reason="Worn", actor="x")
    assert line_of(order, left).refunded_quantity == 0
    fake_stripe.recover()
    service.refund_lines(order.id, {line.id: 1}, reason="Worn", actor="x")
    assert len(fake_stripe.refunds_for(order.payment_reference)) == 1
    assert the_order().refunded_cents == 12000


def test_staff_refund_lines_from_the_order_page(client, fake_stripe, make_product, login_as):
    order, left, _ = shipped_order(fake_stripe, client, make_product)
    line = line_of(order, left)
    login_as("warehouse")
    page = f"/staff/orders/{order.id}"
    assert "Refund these units" in text(client.get(page))
    refused = client.submit(page, f"{page}/refund-lines",
                            {f"quantity_{line.id}": "9", "reason": "Too big"})
    assert refused.status_code == 422 and "from 0 to" in text(refused)
    assert the_order().refunded_cents == 0
    response = client.submit(page, f"{page}/refund-lines",
                             {f"quantity_{line.id}": "1", "reason": "Too big", "restock": "y"},
                             follow_redirects=True)
    assert "Refunded $120.00 on order" in text(response)
    assert "back in stock" in text(response)
    assert the_order().refunded_cents == 12000 and levels(left) == (4, 0, 0)


def test_refund_and_dispute_events_for_objects_stripe_does_not_know_are_ignored(
        client, fake_stripe):
    refund = {"id": "re_test_elsewhere", "object": "refund", "amount": 100,
              "currency": "usd", "status": "succeeded", "payment_intent": "pi_elsewhere"}
    dispute = {"id": "dp_test_elsewhere", "object": "dispute", "amount": 100,
               "currency": "usd", "status": "needs_response", "charge": "ch_elsewhere"}
    assert deliver(fake_stripe, client, "refund.updated", refund) == "ignored"
    assert deliver(fake_stripe, client, "charge.dispute.created", dispute) == "ignored"


@pytest.mark.real_commits
def test_two_refund_events_at_once_record_the_refund_once(app, fake_stripe, make_product):
    import threading

    from tests.conftest import ShopClient

    variant = make_product([4], price=6000).variants[0]
    shopper = ShopClient(app.test_client())
    paid(fake_stripe, shopper, (variant, 1))
    order = the_order()
    refund = fake_stripe.refund_in_dashboard(order.payment_reference, 1500)
    events = [fake_stripe.event("charge.refunded", fake_stripe.charge(order.payment_reference)),
              fake_stripe.event("refund.created", refund),
              fake_stripe.event("refund.updated", refund)]
    db.session.commit()
    start, outcomes = threading.Barrier(len(events), timeout=120), []

    def send(event):
        start.wait()
        response = fake_stripe.deliver(app.test_client(), event)
        outcomes.append(response.get_json()["outcome"])

    threads = [threading.Thread(target=send, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_done", "already_done", "refund_recorded"]
    order = the_order()
    assert [(p.amount_cents, p.status) for p in order.refunds] == [(1500, "succeeded")]
    assert order.refunded_cents == 1500
