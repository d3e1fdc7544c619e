"""Signals reach subscribers when the change commits, and never for a change that
rolled back, savepoints and nested use cases included."""

from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storefront import signals
from storefront.catalogue.models import Product
from storefront.database import transactional
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement


@contextmanager
def heard(signal):
    """The data of every `signal` delivered to an ordinary (after-commit) subscriber."""
    seen = []

    def receiver(_sender, **data):
        seen.append(data)

    signal.connect(receiver)
    try:
        yield seen
    finally:
        signal.disconnect(receiver)


@contextmanager
def heard_in_transaction(signal, receiver):
    signals.before_commit(signal, receiver)
    try:
        yield
    finally:
        signals._in_transaction[signal].disconnect(receiver)


def variant_ids(seen):
    return sorted(v for data in seen for v in data["variant_ids"])


def test_a_change_is_heard_after_its_commit_and_not_before(make_product):
    variant = make_product([5]).variants[0].id
    during = []

    @transactional
    def receive_two():
        inventory.adjust(variant, 2, "received", actor="test")
        during.extend(seen)

    with heard(signals.stock_changed) as seen:
        receive_two()
    assert during == []
    assert variant_ids(seen) == [variant]


def test_a_rolled_back_change_is_never_heard(make_product):
    variant = make_product([5]).variants[0].id

    @transactional
    def receive_then_fail():
        inventory.adjust(variant, 2, "received", actor="test")
        raise RuntimeError("the use case failed after the stock change")

    with heard(signals.stock_changed) as seen, pytest.raises(RuntimeError):
        receive_then_fail()
    assert seen == []
    assert inventory.get_levels(variant).on_hand == 5


def test_a_rolled_back_savepoint_drops_its_signals_but_not_the_rest(make_product):
    first, second = (make_product([5]).variants[0].id for _ in range(2))

    @transactional
    def keep_one_undo_one():
        inventory.adjust(first, 1, "received", actor="test")
        savepoint = db.session.begin_nested()
        inventory.adjust(second, 1, "received", actor="test")
        savepoint.rollback()

    with heard(signals.stock_changed) as seen:
        keep_one_undo_one()
    assert variant_ids(seen) == [first]
    assert (inventory.get_levels(first).on_hand, inventory.get_levels(second).on_hand) == (6, 5)


def test_a_released_savepoint_waits_for_the_outer_commit(make_product):
    variant = make_product([5]).variants[0].id
    after_release = []

    @transactional
    def change_in_savepoint():
        with db.session.begin_nested():
            inventory.adjust(variant, 1, "received", actor="test")
        after_release.extend(seen)

    with heard(signals.stock_changed) as seen:
        change_in_savepoint()
    assert after_release == []
    assert variant_ids(seen) == [variant]


def test_nested_use_cases_are_heard_once_at_the_outer_commit(make_product):
    variant = make_product([5]).variants[0].id

    @transactional
    def outer():
        inventory.adjust(variant, 1, "received", actor="test")  # itself @transactional
        inventory.adjust(variant, 1, "received", actor="test")
        assert seen == []

    with heard(signals.stock_changed) as seen:
        outer()
    assert variant_ids(seen) == [variant, variant]


def test_a_subscriber_in_the_transaction_writes_with_the_change(make_product):
    product = make_product([0])
    variant = product.variants[0].id

    def rename(_sender, variant_ids):
        db.session.get(Product, product.id).title = "Back Again"

    with heard_in_transaction(signals.became_available, rename), \
            heard(signals.content_changed) as content:
        inventory.adjust(variant, 3, "received", actor="test")
    db.session.expire_all()
    assert db.session.get(Product, product.id).title == "Back Again"
    # Its edit sent content_changed in the same commit, and that was heard too.
    assert {"kind": "product", "ids": [product.id]} in content


def test_a_failing_subscriber_in_the_transaction_rolls_the_change_back(make_product):
    variant = make_product([0]).variants[0].id
    ledger = db.session.scalar(select(func.count()).select_from(StockMovement))

    def refuse(_sender, variant_ids):
        raise RuntimeError("could not queue the notices")

    with heard_in_transaction(signals.became_available, refuse), \
            heard(signals.stock_changed) as seen, pytest.raises(RuntimeError):
        inventory.adjust(variant, 3, "received", actor="test")
    db.session.rollback()
    assert seen == []
    assert inventory.get_levels(variant).on_hand == 0
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == ledger


def test_became_available_is_sent_only_when_stock_comes_back(make_product):
    variant = make_product([0]).variants[0].id
    with heard(signals.became_available) as seen:
        inventory.adjust(variant, 2, "received", actor="test")  # 0 -> 2: back
        inventory.adjust(variant, 3, "received", actor="test")  # 2 -> 5: not news
    assert variant_ids(seen) == [variant]


@pytest.mark.real_commits  # a connection and a session of its own
def test_a_commit_that_releases_a_savepoint_of_an_outer_transaction_delivers(app):
    # How a test (or a caller) can run a session inside a transaction of its own:
    # the session's commit releases a savepoint, and to the session it is the commit.
    with db.engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        with heard(signals.stock_changed) as seen:
            session.execute(text("SELECT 1"))
            signals.send(signals.stock_changed, session, variant_ids=[])
            assert seen == []
            session.commit()
        assert seen == [{"variant_ids": []}]
        session.close()
        outer.rollback()
