"""Random sequences of every stock transition keep the promise after every step.

A small model tracks what each counter must be (on hand and committed from
the events, reserved from the open holds); after each step the database must
match it, nothing may be negative, and the ledger must sum to the counters.
A refused change must leave the database exactly as it was.
"""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold, StockLevel, StockMovement
from storefront.models import utcnow
from tests.factories import make_product

# Whole minutes away from now, so no hold changes sides while a sequence runs.
EXPIRY_MINUTES = st.integers(1, 120).flatmap(lambda m: st.sampled_from([-m, m]))
UNITS = st.integers(1, 4)
VARIANT = st.integers(0, 2)
# Examples share one database, so order references must never repeat across them.
ORDER_NUMBERS = itertools.count(1)


@dataclass
class Order:
    lines: dict  # variant id -> units
    holds: dict = field(default_factory=dict)  # variant id -> (units, expired) while active
    paid: bool = False


class StockMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.variants = []
        self.on_hand = {}
        self.committed = {}
        self.orders = {}

    @initialize(stock=st.lists(st.integers(0, 8), min_size=3, max_size=3))
    def open_shop(self, stock):
        self.variants = [v.id for v in make_product(stock).variants]
        self.on_hand = dict(zip(self.variants, stock, strict=True))
        self.committed = dict.fromkeys(self.variants, 0)

    # -- the model ------------------------------------------------------------------

    def reserved(self, variant_id, *, live_only=False):
        return sum(units for order in self.orders.values()
                   for vid, (units, expired) in order.holds.items()
                   if vid == variant_id and not (live_only and expired))

    def available_after_sweep(self, variant_id):
        """What a change that first releases this variant's expired holds can use."""
        return (self.on_hand[variant_id] - self.committed[variant_id]
                - self.reserved(variant_id, live_only=True))

    def sweep(self, variant_id):
        for order in self.orders.values():
            if order.holds.get(variant_id, (0, False))[1]:
                del order.holds[variant_id]

    def variant(self, index):
        return self.variants[index % len(self.variants)]

    def snapshot(self):
        db.session.expire_all()
        mine = self.variants
        return (
            db.session.execute(select(StockLevel.variant_id, StockLevel.on_hand,
                                      StockLevel.reserved, StockLevel.committed)
                               .where(StockLevel.variant_id.in_(mine))
                               .order_by(StockLevel.variant_id)).all(),
            db.session.execute(select(StockHold.id, StockHold.status)
                               .where(StockHold.variant_id.in_(mine))
                               .order_by(StockHold.id)).all(),
            db.session.scalar(select(db.func.count()).select_from(StockMovement)
                              .where(StockMovement.variant_id.in_(mine))),
        )

    def refused(self, exception, call):
        """`call` must raise `exception` and change nothing at all."""
        before = self.snapshot()
        with pytest.raises(exception):
            call()
        assert self.snapshot() == before

    # -- rules: one per transition ------------------------------------------------------

    @rule(picks=st.dictionaries(VARIANT, UNITS, min_size=1, max_size=3), minutes=EXPIRY_MINUTES)
    def hold(self, picks, minutes):
        lines = {self.variant(i): q for i, q in picks.items()}
        reference = f"order:{next(ORDER_NUMBERS)}"
        expires_at = utcnow() + timedelta(minutes=minutes)
        call = lambda: inventory.hold(reference, lines, expires_at)  # noqa: E731
        if all(q <= self.available_after_sweep(v) for v, q in lines.items()):
            call()
            for v in lines:
                self.sweep(v)
            self.orders[reference] = Order(
                lines, {v: (q, minutes < 0) for v, q in lines.items()})
        else:
            self.refused(inventory.OutOfStock, call)

    def open_orders(self):
        return [r for r, o in self.orders.items() if o.holds and not o.paid]

    @precondition(lambda self: self.open_orders())
    @rule(pick=st.integers(0, 50))
    def release(self, pick):
        reference = self.open_orders()[pick % len(self.open_orders())]
        order = self.orders[reference]
        released = inventory.release(reference)
        assert released == {v: units for v, (units, _) in order.holds.items()}
        order.holds.clear()

    def unpaid_orders(self):
        return [r for r, o in self.orders.items() if not o.paid]

    @precondition(lambda self: self.unpaid_orders())
    @rule(pick=st.integers(0, 50))
    def confirm(self, pick):
        """Payment for an order whose holds may be live, expired, released or swept."""
        reference = self.unpaid_orders()[pick % len(self.unpaid_orders())]
        order = self.orders[reference]
        call = lambda: inventory.confirm(reference, order.lines)  # noqa: E731
        # Lines still held convert as they are; the others need fresh stock after a sweep.
        fits = all(q <= self.available_after_sweep(v) for v, q in order.lines.items()
                   if v not in order.holds)
        if fits:
            call()
            for v, q in order.lines.items():
                if v not in order.holds:
                    self.sweep(v)
                self.committed[v] += q
            order.holds.clear()
            order.paid = True
        else:
            self.refused(inventory.OutOfStock, call)

    def paid_orders(self):
        return [r for r, o in self.orders.items() if o.paid]

    @precondition(lambda self: self.paid_orders())
    @rule(pick=st.integers(0, 50), restock=st.booleans())
    def ship_or_cancel(self, pick, restock):
        reference = self.paid_orders()[pick % len(self.paid_orders())]
        order = self.orders.pop(reference)
        if restock:
            inventory.cancel_committed(reference, order.lines, note="customer cancelled")
        else:
            inventory.ship(reference, order.lines)
        for v, q in order.lines.items():
            self.committed[v] -= q
            if not restock:
                self.on_hand[v] -= q

    @rule(index=VARIANT, extra=UNITS, restock=st.booleans())
    def ship_or_cancel_more_than_committed(self, index, extra, restock):
        v = self.variant(index)
        call = inventory.cancel_committed if restock else inventory.ship
        self.refused(inventory.InvalidQuantity,
                     lambda: call("order:none", {v: self.committed[v] + extra}))

    @rule(index=VARIANT, reason=st.sampled_from(sorted(inventory.STAFF_REASONS)),
          units=UNITS, sign=st.sampled_from([1, -1]))
    def adjust(self, index, reason, units, sign):
        v = self.variant(index)
        delta = units * sign
        call = lambda: inventory.adjust(v, delta, reason, actor="staff:test")  # noqa: E731
        wrong_way = (reason in ("received", "return_restock") and delta < 0
                     or reason in ("damaged", "theft_or_loss", "promotion") and delta > 0)
        if wrong_way:
            self.refused(inventory.InvalidQuantity, call)
        elif delta >= -self.available_after_sweep(v):
            assert call().levels.on_hand == self.on_hand[v] + delta
            self.sweep(v)
            self.on_hand[v] += delta
        else:
            self.refused(inventory.WouldBreakStock, call)

    @rule(index=VARIANT, counted=st.integers(0, 12), off_by=st.sampled_from([0, 0, 1, -1, 3]))
    def count(self, index, counted, off_by):
        v = self.variant(index)
        expected = self.on_hand[v] + off_by
        if expected < 0:
            return
        call = lambda: inventory.count(v, counted, expected, actor="staff:test")  # noqa: E731
        if off_by:
            self.refused(inventory.StaleCount, call)
        elif counted >= self.on_hand[v] - self.available_after_sweep(v):
            assert call().on_hand == counted
            self.sweep(v)
            self.on_hand[v] = counted
        else:
            self.refused(inventory.WouldBreakStock, call)

    @rule()
    def release_expired(self):
        released = inventory.release_expired()
        expected = {}
        for order in self.orders.values():
            for v, (units, expired) in list(order.holds.items()):
                if expired:
                    expected[v] = expected.get(v, 0) + units
                    del order.holds[v]
        # Earlier examples' shoes share the database; judge this example's variants only.
        assert {r.variant_id: r.units for r in released if r.variant_id in self.variants} == (
            expected)

    # -- after every step -------------------------------------------------------------

    @invariant()
    def promise_kept(self):
        if not self.variants:
            return
        db.session.expire_all()
        current = inventory.levels(self.variants)
        for v in self.variants:
            lv = current[v]
            assert min(lv.on_hand, lv.reserved, lv.committed) >= 0
            assert lv.reserved + lv.committed <= lv.on_hand
            assert lv.on_hand - lv.reserved - lv.committed >= 0
            assert (lv.on_hand, lv.reserved, lv.committed) == (
                self.on_hand[v], self.reserved(v), self.committed[v])
        assert inventory.reconcile() == []


def test_random_transitions_keep_the_promise(app):
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=30, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
