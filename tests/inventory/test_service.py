"""Every stock transition, its guard and its ledger row."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.models import utcnow


def later(minutes=30):
    return utcnow() + timedelta(minutes=minutes)


def levels(variant_id):
    lv = inventory.get_levels(variant_id)
    return lv.on_hand, lv.reserved, lv.committed, lv.available


@pytest.fixture
def variant(make_product):
    return make_product([10]).variants[0].id


@pytest.fixture
def two(make_product):
    product = make_product([5, 5])
    return [v.id for v in product.variants]


def test_hold_confirm_ship_moves_units_through_the_counters(variant):
    inventory.hold("order:1", {variant: 3}, later())
    assert levels(variant) == (10, 3, 0, 7)
    inventory.confirm("order:1", {variant: 3})
    assert levels(variant) == (10, 0, 3, 7)
    inventory.ship("order:1", {variant: 3})
    assert levels(variant) == (7, 0, 0, 7)
    assert inventory.reconcile() == []


def test_release_gives_units_back_once(variant):
    inventory.hold("order:1", {variant: 4}, later())
    assert inventory.release("order:1") == {variant: 4}
    assert inventory.release("order:1") == {}
    assert levels(variant) == (10, 0, 0, 10)


def test_cancel_committed_restocks(variant):
    inventory.hold("order:1", {variant: 2}, later())
    inventory.confirm("order:1", {variant: 2})
    inventory.cancel_committed("order:1", {variant: 2})
    assert levels(variant) == (10, 0, 0, 10)


def test_hold_is_all_or_nothing_and_names_every_short_line(two):
    a, b = two
    with pytest.raises(inventory.OutOfStock) as refused:
        inventory.hold("order:1", {a: 2, b: 6}, later())
    assert [(s.variant_id, s.requested, s.available) for s in refused.value.shortages] == [
        (b, 6, 5)]
    assert "6 requested, 5 available" in refused.value.message
    assert levels(a) == (5, 0, 0, 5) and levels(b) == (5, 0, 0, 5)
    assert db.session.query(StockMovement).filter_by(reason="hold").count() == 0


def test_expired_hold_stops_counting_at_the_next_touch(variant):
    inventory.hold("order:old", {variant: 10}, utcnow() - timedelta(seconds=1))
    assert levels(variant)[3] == 0
    inventory.hold("order:new", {variant: 6}, later())
    assert levels(variant) == (10, 6, 0, 4)
    reasons = [m.reason for m in inventory.history(variant)]
    assert reasons[:2] == ["hold", "hold_expired"]


def test_release_expired_sweeps_and_reports(two):
    a, b = two
    inventory.hold("order:2", {a: 1}, later())
    inventory.hold("order:1", {a: 2, b: 1}, utcnow() - timedelta(minutes=1))
    released = inventory.release_expired()
    assert {(r.variant_id, r.units) for r in released} == {(a, 2), (b, 1)}
    assert levels(a) == (5, 1, 0, 4)
    assert inventory.release_expired() == []


def test_payment_after_expiry_takes_stock_if_still_there(variant):
    inventory.hold("order:1", {variant: 2}, utcnow() - timedelta(minutes=1))
    inventory.release_expired()
    inventory.confirm("order:1", {variant: 2})
    assert levels(variant) == (10, 0, 2, 8)
    assert inventory.history(variant)[0].reason == "payment_after_expiry"


def test_payment_after_expiry_without_stock_changes_nothing(variant):
    inventory.hold("order:1", {variant: 2}, utcnow() - timedelta(minutes=1))
    inventory.hold("order:2", {variant: 10}, later())  # expires order:1, takes everything
    with pytest.raises(inventory.OutOfStock):
        inventory.confirm("order:1", {variant: 2})
    assert levels(variant) == (10, 10, 0, 0)


def test_adjust_refusal_names_reserved_and_committed_units(variant):
    inventory.hold("order:1", {variant: 3}, later())
    inventory.hold("order:2", {variant: 4}, later())
    inventory.confirm("order:2", {variant: 4})
    with pytest.raises(inventory.WouldBreakStock) as refused:
        inventory.adjust(variant, -5, "damaged", actor="staff:a@example.com")
    message = refused.value.message
    assert "4 units committed to paid orders" in message
    assert "3 units held by open checkouts" in message
    assert levels(variant) == (10, 3, 4, 3)
    inventory.adjust(variant, -3, "damaged", actor="staff:a@example.com", note="wet box")
    assert levels(variant) == (7, 3, 4, 0)
    row = inventory.history(variant)[0]
    assert (row.reason, row.on_hand_delta, row.on_hand_after, row.actor, row.note) == (
        "damaged", -3, 7, "staff:a@example.com", "wet box")


@pytest.mark.parametrize("delta, reason", [(5, "damaged"), (-5, "received"), (0, "correction"),
                                           (3, "unknown"), (10**7, "received")])
def test_adjust_refuses_nonsense(variant, delta, reason):
    with pytest.raises(inventory.InvalidQuantity):
        inventory.adjust(variant, delta, reason, actor="t")
    assert levels(variant) == (10, 0, 0, 10)


def test_idempotency_key_applies_once(variant):
    first = inventory.adjust(variant, 5, "received", actor="api", idempotency_key="k1")
    again = inventory.adjust(variant, 5, "received", actor="api", idempotency_key="k1")
    assert not first.replayed and again.replayed
    assert levels(variant)[0] == 15
    with pytest.raises(inventory.IdempotencyConflict):
        inventory.adjust(variant, 6, "received", actor="api", idempotency_key="k1")


def test_count_is_compare_and_swap(variant):
    inventory.count(variant, 8, 10, actor="staff")
    assert levels(variant)[0] == 8
    with pytest.raises(inventory.StaleCount) as stale:
        inventory.count(variant, 12, 10, actor="staff")
    assert "it is now 8" in stale.value.message
    assert levels(variant)[0] == 8


def test_count_below_allocated_is_refused(variant):
    inventory.hold("order:1", {variant: 6}, later())
    with pytest.raises(inventory.WouldBreakStock):
        inventory.count(variant, 4, 10, actor="staff")
    assert levels(variant) == (10, 6, 0, 4)


def test_unknown_variant(app):
    with pytest.raises(inventory.UnknownVariant):
        inventory.adjust(999_999, 1, "received", actor="t")


@pytest.mark.parametrize("statement", [
    "UPDATE stock_level SET on_hand = -1",
    "UPDATE stock_level SET reserved = -1",
    "UPDATE stock_level SET committed = -1",
    "UPDATE stock_level SET reserved = on_hand + 1",
    "UPDATE stock_level SET reserved = on_hand, committed = 1",
])
def test_database_refuses_raw_updates_that_break_the_promise(variant, statement):
    with pytest.raises(IntegrityError):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert levels(variant) == (10, 0, 0, 10)


def test_reconcile_reports_drift(variant):
    db.session.execute(text("UPDATE stock_level SET on_hand = on_hand + 2"))
    db.session.commit()
    drift = inventory.reconcile()
    assert [(d.variant_id, d.counters.on_hand, d.ledger.on_hand) for d in drift] == [
        (variant, 12, 10)]


def test_reconcile_and_release_expired_commands(runner, variant):
    inventory.hold("order:1", {variant: 2}, utcnow() - timedelta(minutes=1))
    swept = runner.invoke(args=["inventory", "release-expired"])
    assert swept.exit_code == 0 and "Released 2 unit(s) on 1 variant(s)" in swept.output
    ok = runner.invoke(args=["inventory", "reconcile"])
    assert ok.exit_code == 0 and "match" in ok.output
    db.session.execute(text("UPDATE stock_level SET on_hand = on_hand + 1"))
    db.session.commit()
    drift = runner.invoke(args=["inventory", "reconcile"])
    assert drift.exit_code == 1
    assert f"variant {variant}" in drift.output
