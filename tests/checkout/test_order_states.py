"""Orders move only along the table of allowed transitions; anything else is refused
and changes nothing: not the status, the stock, the history, the outbox or the signals."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront import signals
from storefront.checkout import service
from storefront.checkout.gateways import SessionState
from storefront.checkout.models import (
    ORDER_EVENT_RULES,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    Order,
    OrderEvent,
)
from storefront.database import transactional
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.mail.models import OutboxMessage
from storefront.models import utcnow
from tests.checkout.conftest import check_out

ADDRESS = {"name": "Ada Walker", "line1": "12 Harbor Street", "city": "Portland",
           "state": "OR", "postal_code": "97201", "country": "US",
           "email": "ada@example.com"}


@contextmanager
def announcements():
    """The order_status_changed signals delivered while the block runs."""
    heard = []

    def listen(_sender, **data):
        heard.append((data["order_id"], data["old"], data["new"]))

    signals.order_status_changed.connect(listen)
    try:
        yield heard
    finally:
        signals.order_status_changed.disconnect(listen)


def placed(client, variant, quantity=2):
    check_out(client, (variant, quantity))
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def paid(client, variant, quantity=2):
    order = placed(client, variant, quantity)
    page = f"/checkout/demo/{order.token}"
    assert client.submit(page, f"{page}/pay", ADDRESS).status_code == 303
    db.session.expire_all()
    return db.session.get(Order, order.id)


def snapshot(order, variant):
    """Everything a refused transition must leave as it was."""
    db.session.expire_all()
    levels = inventory.get_levels(variant.id)
    return (
        db.session.get(Order, order.id).status,
        (levels.on_hand, levels.reserved, levels.committed),
        db.session.scalar(select(func.count(OrderEvent.id))
                          .where(OrderEvent.order_id == order.id)),
        db.session.scalar(select(func.count(OutboxMessage.id))),
    )


def test_the_table_names_only_known_statuses_and_every_event_has_a_rule():
    for (old, event), new in ORDER_TRANSITIONS.items():
        assert old in ORDER_STATUSES and new in ORDER_STATUSES
        assert event in ORDER_EVENT_RULES


def test_shipping_an_unpaid_order_is_refused_and_changes_nothing(client, make_product):
    variant = make_product([5]).variants[0]
    order = placed(client, variant)
    before = snapshot(order, variant)
    with announcements() as heard, pytest.raises(service.InvalidOrderTransition) as refused:
        service.ship_order(order.id, "UPS", "1Z999", actor="wh@shop.test")
    assert refused.value.status == 409
    assert refused.value.message == (f"Order {order.number} is awaiting payment: "
                                     "only paid orders can be shipped.")
    assert snapshot(order, variant) == before
    assert before[1] == (5, 2, 0)  # still held for the shopper
    assert heard == []


def test_cancelling_a_shipped_order_is_refused_and_changes_nothing(client, make_product):
    variant = make_product([5]).variants[0]
    order = paid(client, variant)
    service.ship_order(order.id, "UPS", "1Z999", actor="wh@shop.test")
    before = snapshot(order, variant)
    with announcements() as heard, pytest.raises(service.InvalidOrderTransition) as refused:
        service.cancel_paid_order(order.id, actor="admin@shop.test", reason="Too late")
    assert "only paid, unshipped orders can be cancelled" in refused.value.message
    assert snapshot(order, variant) == before
    assert before[0] == "shipped" and before[1] == (3, 0, 0)
    assert heard == []


def test_shipping_or_cancelling_a_cancelled_order_is_refused(client, make_product):
    variant = make_product([5]).variants[0]
    order = paid(client, variant)
    service.cancel_paid_order(order.id, actor="admin@shop.test")
    before = snapshot(order, variant)
    with announcements() as heard:
        with pytest.raises(service.InvalidOrderTransition):
            service.ship_order(order.id, "UPS", "1Z999", actor="wh@shop.test")
        with pytest.raises(service.InvalidOrderTransition):
            service.cancel_paid_order(order.id, actor="admin@shop.test")
    assert snapshot(order, variant) == before
    assert before[:2] == ("cancelled", (5, 0, 0))
    assert heard == []


def test_a_payment_for_a_cancelled_order_never_reopens_it(client, make_product):
    variant = make_product([5]).variants[0]
    order = paid(client, variant)
    service.cancel_paid_order(order.id, actor="admin@shop.test")
    before = snapshot(order, variant)
    state = SessionState(session_id="cs_late", status="complete", payment_status="paid",
                         amount_total=order.total_cents, currency=order.currency,
                         payment_reference="pi_late", order_number=order.number)
    with announcements() as heard:
        assert service.record_payment(order.id, state, actor="stripe").outcome == "already_done"
        with pytest.raises(service.InvalidOrderTransition) as refused:
            transactional(lambda: service.move(service.lock_order(order.id), "pay",
                                               "Paid."))()
    assert "a payment can only be taken" in refused.value.message
    assert snapshot(order, variant) == before
    assert heard == []


def _order_in(status):
    now = utcnow()
    order = Order(number=f"SA-{status.upper()[:8]:0<8}", token=f"token-{status}",
                  status=status, currency="USD", subtotal_cents=1000, total_cents=1000,
                  gateway="demo", hold_expires_at=now + timedelta(minutes=30))
    db.session.add(order)
    db.session.commit()
    return order.id


REFUSED = [(status, event) for status in ORDER_STATUSES for event in ORDER_EVENT_RULES
           if (status, event) not in ORDER_TRANSITIONS]


@pytest.mark.parametrize(("status", "event"), REFUSED)
def test_every_transition_missing_from_the_table_is_refused(app, status, event):
    order_id = _order_in(status)
    with announcements() as heard, pytest.raises(service.InvalidOrderTransition) as refused:
        transactional(lambda: service.move(service.lock_order(order_id), event, "Tried."))()
    assert refused.value.order_status == status and refused.value.event == event
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == status
    assert db.session.scalar(select(func.count(OrderEvent.id))) == 0
    assert heard == []


def test_an_allowed_move_writes_history_and_is_announced_at_commit(client, make_product):
    variant = make_product([5]).variants[0]
    order = placed(client, variant)
    with announcements() as heard:
        page = f"/checkout/demo/{order.token}"
        client.submit(page, f"{page}/pay", ADDRESS)
        db.session.expire_all()
        service.ship_order(order.id, "UPS", "1Z999", actor="wh@shop.test")
    assert heard == [(order.id, "pending", "paid"), (order.id, "paid", "shipped")]
    kinds = [e.kind for e in service.order_history(order.id)]
    assert kinds[-2:] == ["paid", "shipped"]


def test_pages_offer_only_the_moves_the_order_allows(client, make_product, login_as):
    variant = make_product([5]).variants[0]
    order = paid(client, variant)
    assert "preparing your parcel" in client.get(f"/orders/{order.token}").get_data(as_text=True)
    login_as("warehouse")
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "Mark shipped" in page and "Cancel and refund" in page
    service.ship_order(order.id, "UPS", "1Z999", actor="wh@shop.test")
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "Mark shipped" not in page and "Cancel and refund" not in page
    shopper = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "on its way with UPS" in shopper and "preparing your parcel" not in shopper
