"""A reference holds each variant once: a repeat is refused and changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.database import transactional
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold, StockLevel, StockMovement
from storefront.models import utcnow


def later(minutes=30):
    return utcnow() + timedelta(minutes=minutes)


def stock_state():
    """Counters, ledger and holds of every variant, as plain tuples."""
    db.session.expire_all()
    return (
        db.session.execute(select(StockLevel.variant_id, StockLevel.on_hand,
                                  StockLevel.reserved, StockLevel.committed)
                           .order_by(StockLevel.variant_id)).all(),
        db.session.execute(select(StockMovement.id, StockMovement.variant_id,
                                  StockMovement.reserved_delta, StockMovement.reason,
                                  StockMovement.reference)
                           .order_by(StockMovement.id)).all(),
        db.session.execute(select(StockHold.id, StockHold.reference, StockHold.variant_id,
                                  StockHold.quantity, StockHold.status)
                           .order_by(StockHold.id)).all(),
    )


@pytest.fixture
def two(make_product):
    product = make_product([10, 10])
    return sorted(v.id for v in product.variants)


def test_holding_a_variant_twice_under_one_reference_is_refused(two):
    a, _ = two
    inventory.hold("order:1", {a: 3}, later())
    before = stock_state()
    with pytest.raises(inventory.AlreadyHeld) as refused:
        inventory.hold("order:1", {a: 2}, later())
    error = refused.value
    assert (error.status, error.code, error.variant_id) == (409, "already_held", a)
    assert f"Variant {a} was already held for order:1" in error.message
    assert error.to_dict()["variant_id"] == a
    assert stock_state() == before
    assert inventory.get_levels(a).reserved == 3
    assert inventory.reconcile() == []


def test_holding_again_after_release_is_refused(two):
    a, _ = two
    inventory.hold("order:1", {a: 4}, later())
    inventory.release("order:1")
    before = stock_state()
    with pytest.raises(inventory.AlreadyHeld):
        inventory.hold("order:1", {a: 4}, later())
    assert stock_state() == before
    assert inventory.get_levels(a).available == 10


def test_a_repeat_on_a_later_line_undoes_the_earlier_lines(two):
    a, b = two
    inventory.hold("order:1", {b: 1}, later())
    before = stock_state()
    with pytest.raises(inventory.AlreadyHeld) as refused:
        inventory.hold("order:1", {a: 2, b: 1}, later())
    assert refused.value.variant_id == b
    assert stock_state() == before
    assert inventory.active_holds(a) == []


def test_a_joined_transaction_is_rolled_back_and_the_session_stays_usable(two):
    a, b = two
    inventory.hold("order:1", {b: 1}, later())
    before = stock_state()

    @transactional
    def receive_then_hold():
        inventory.adjust(a, 5, "received", actor="staff")
        with pytest.raises(inventory.AlreadyHeld):
            inventory.hold("order:1", {a: 1, b: 1}, later())
        # The same session goes on working, and sees none of the joined changes.
        return inventory.get_levels(a).on_hand

    assert receive_then_hold() == 10
    assert stock_state() == before
    inventory.hold("order:2", {a: 1, b: 1}, later())
    assert inventory.get_levels(b).reserved == 2


def test_other_integrity_errors_still_surface(two):
    a, _ = two
    before = stock_state()
    with pytest.raises(IntegrityError) as failed:
        inventory.hold("order:1", {a: 1}, None)  # a hold must have an expiry
    assert not isinstance(failed.value, inventory.AlreadyHeld)
    assert "expires_at" in str(failed.value.orig)
    assert stock_state() == before


def test_a_hold_that_succeeds_pays_no_extra_statement_for_the_check(two, backend,
                                                                    count_queries):
    a, _ = two
    with count_queries() as statements:
        inventory.hold("order:1", {a: 1}, later())
    # PostgreSQL: one statement per line (counters, ledger and hold row). SQLite: the
    # guarded UPDATE, the ledger row, the expired-hold check and the hold row.
    assert len(statements) == (1 if backend == "postgresql" else 4), statements
