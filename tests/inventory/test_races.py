"""Concurrent shoppers and staff on real database connections: the promise holds under load.

Each worker is a thread with its own app context, so its own session and its
own pooled connection; a barrier releases them together so their transactions
really overlap. PostgreSQL serialises them with row locks; SQLite with
BEGIN IMMEDIATE and busy_timeout. Both must end with the same truths.
"""

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from storefront import create_app
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold, StockMovement
from storefront.models import utcnow
from tests.conftest import base_config

# Buyers race on connections of their own: their commits must be real.
pytestmark = pytest.mark.real_commits

WORKERS_MAX = 40
JOIN_SECONDS = 90


@pytest.fixture
def shop(app, database_url):
    """A second app on the test database whose pool can give every worker its own connection."""
    config = base_config(database_url)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": WORKERS_MAX + 2, "max_overflow": 0}
    racing = create_app(config)
    yield racing
    with racing.app_context():
        db.engine.dispose()


def race(shop, jobs):
    """Run every job in its own thread and session, all released at once; returns outcomes.

    An outcome is ("ok", return value) or ("error", exception), in job order.
    """
    # End the test's own transaction: on SQLite an open one would hold the write lock.
    db.session.commit()
    with shop.app_context():
        # Open the connections now so the race measures locking, not connecting.
        connections = [db.engine.connect() for _ in jobs]
        for connection in connections:
            connection.close()
    barrier = threading.Barrier(len(jobs), timeout=120)
    outcomes = [None] * len(jobs)

    def worker(index, job):
        with shop.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[index] = ("ok", job())
            except Exception as exc:  # noqa: BLE001 (every failure is an outcome to judge)
                outcomes[index] = ("error", exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job), daemon=True)
               for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "a worker is stuck: lock wait or deadlock"
    db.session.expire_all()
    return outcomes


def errors_of(outcomes):
    return [value for kind, value in outcomes if kind == "error"]


def assert_no_database_errors(outcomes):
    """Deadlocks, serialisation failures and lock timeouts surface as DBAPIError."""
    crashed = [e for e in errors_of(outcomes) if isinstance(e, DBAPIError)]
    assert crashed == [], f"database errors under load: {crashed[:3]}"
    unexpected = [e for e in errors_of(outcomes) if not isinstance(e, inventory.InventoryError)]
    assert unexpected == [], f"unexpected errors: {unexpected[:3]}"


def levels(variant_id):
    lv = inventory.get_levels(variant_id)
    return lv.on_hand, lv.reserved, lv.committed


def active_held(variant_id):
    return db.session.scalar(
        select(func.coalesce(func.sum(StockHold.quantity), 0))
        .where(StockHold.variant_id == variant_id, StockHold.status == "active")
    )


def later(minutes=30):
    return utcnow() + timedelta(minutes=minutes)


def test_forty_buyers_for_the_last_five_units(shop, make_product):
    variant = make_product([5]).variants[0].id

    def buy(n):
        return lambda: inventory.hold(f"order:{n}", {variant: 1}, later())

    outcomes = race(shop, [buy(n) for n in range(40)])

    assert_no_database_errors(outcomes)
    assert sum(kind == "ok" for kind, _ in outcomes) == 5
    refusals = errors_of(outcomes)
    assert len(refusals) == 35
    assert all(isinstance(e, inventory.OutOfStock) for e in refusals)
    assert all(e.message == f"Not enough stock for variant {variant}: 1 requested, "
                            "0 available." for e in refusals)
    assert levels(variant) == (5, 5, 0)
    assert active_held(variant) == 5
    assert inventory.reconcile() == []


def test_random_orders_never_hold_more_than_there_is(shop, make_product):
    variant = make_product([10]).variants[0].id
    wanted = [random.Random(n).randint(1, 3) for n in range(30)]

    def order(n):
        return lambda: inventory.hold(f"order:{n}", {variant: wanted[n]}, later())

    outcomes = race(shop, [order(n) for n in range(30)])

    assert_no_database_errors(outcomes)
    held = sum(wanted[n] for n, (kind, _) in enumerate(outcomes) if kind == "ok")
    assert 8 <= held <= 10  # a refusal only happens when fewer units are left than asked
    for n, (kind, error) in enumerate(outcomes):
        if kind == "error":
            [shortage] = error.shortages
            assert shortage.requested == wanted[n] > shortage.available
    assert levels(variant) == (10, held, 0)
    assert active_held(variant) == held
    ledger = db.session.scalars(
        select(StockMovement.reserved_after).where(StockMovement.variant_id == variant)
    ).all()
    assert max(ledger) == held <= 10
    assert inventory.reconcile() == []


def test_staff_counts_during_checkouts_apply_whole_or_not_at_all(shop, make_product):
    variant = make_product([20]).variants[0].id
    inventory.hold("order:paid", {variant: 4}, later())
    inventory.confirm("order:paid", {variant: 4})
    counted = {0: 17, 1: 19, 2: 22, 3: 25}

    def buy(n):
        return lambda: inventory.hold(f"order:{n}", {variant: 1}, later())

    def count(n):
        return lambda: inventory.count(variant, counted[n], 20, actor=f"staff:{n}",
                                       note=f"count {n}")

    def ship():
        return inventory.ship("order:paid", {variant: 4})

    jobs = [buy(n) for n in range(16)] + [count(n) for n in counted] + [ship]
    outcomes = race(shop, jobs)

    assert_no_database_errors(outcomes)
    buys, counts, shipped = outcomes[:16], outcomes[16:20], outcomes[20]
    assert shipped[0] == "ok"
    applied = [n for n, (kind, _) in zip(counted, counts, strict=True) if kind == "ok"]
    # Every count started from 20; once one applies (or the shipment lands) the rest are stale.
    assert len(applied) <= 1
    for n, (kind, value) in zip(counted, counts, strict=True):
        if kind == "ok":
            assert value.on_hand == counted[n]
            row = db.session.scalars(select(StockMovement).where(
                StockMovement.reason == "count", StockMovement.note == f"count {n}")).one()
            assert (row.on_hand_delta, row.on_hand_after, row.actor) == (
                counted[n] - 20, counted[n], f"staff:{n}")
        elif isinstance(value, inventory.StaleCount):
            assert value.expected == 20 and value.actual != 20
        else:
            # Counted fewer than the units already held or sold at that moment.
            assert isinstance(value, inventory.WouldBreakStock)
            assert counted[n] < value.levels.reserved + value.levels.committed

    held = sum(kind == "ok" for kind, _ in buys)
    for kind, value in buys:
        assert kind == "ok" or isinstance(value, inventory.OutOfStock)
    on_hand = (counted[applied[0]] if applied else 20) - 4
    assert levels(variant) == (on_hand, held, 0)
    assert held == active_held(variant) <= on_hand
    counts_in_ledger = db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.variant_id == variant, StockMovement.reason == "count"))
    assert counts_in_ledger == len(applied)
    assert inventory.reconcile() == []


def test_carts_taking_two_variants_in_opposite_order_never_deadlock(shop, make_product):
    a, b = (v.id for v in make_product([100, 100]).variants)
    # Expired holds on both make every checkout lock both rows to sweep them first.
    inventory.hold("order:stale", {a: 2, b: 2}, utcnow() - timedelta(minutes=1))

    def cart(n):
        lines = {a: 1, b: 1} if n % 2 else {b: 1, a: 1}

        def checkout():
            reference = f"order:{n}"
            inventory.hold(reference, lines, later())
            if n % 3 == 0:
                inventory.release(reference)
            else:
                inventory.confirm(reference, lines)
            return reference

        return checkout

    outcomes = race(shop, [cart(n) for n in range(24)])

    assert errors_of(outcomes) == []
    paid = sum(1 for n in range(24) if n % 3)
    assert levels(a) == levels(b) == (100, 0, paid)
    assert inventory.reconcile() == []


def test_same_idempotency_key_fired_together_applies_once(shop, make_product):
    variant = make_product([10]).variants[0].id

    def post():
        return inventory.adjust(variant, 6, "received", actor="api:warehouse",
                                note="delivery 42", idempotency_key="delivery-42")

    outcomes = race(shop, [post] * 12)

    assert errors_of(outcomes) == []
    results = [value for _, value in outcomes]
    assert sum(not r.replayed for r in results) == 1
    assert all(r.levels.on_hand == 16 for r in results)
    assert levels(variant) == (16, 0, 0)
    rows = db.session.scalars(
        select(StockMovement).where(StockMovement.idempotency_key == "delivery-42")).all()
    assert [(r.on_hand_delta, r.reason) for r in rows] == [(6, "received")]
    assert inventory.reconcile() == []
