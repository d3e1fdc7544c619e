"""The test harness itself: isolated tests see production's commit behaviour, and
reaching past the test's connection fails loudly instead of leaking data."""

import threading

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from storefront.catalogue.models import Product
from storefront.extensions import db
from tests.conftest import IsolationBroken, _Isolation


def test_commit_releases_a_savepoint_and_fires_after_commit(app, make_product):
    committed = []

    def seen(session):
        committed.append(session)

    event.listen(Session, "after_commit", seen)
    try:
        product = make_product([3])  # commits, through inventory's transactional service
    finally:
        event.remove(Session, "after_commit", seen)
    assert committed
    product_id, title = product.id, product.title
    db.session.remove()  # a new session joins the same transaction and sees the commit
    assert db.session.get(Product, product_id).title == title
    with db.engine.connect() as conn:  # what the page cache and readiness probe use
        assert conn.scalar(select(Product.title).where(Product.id == product_id)) == title


def test_a_rollback_in_code_under_test_undoes_only_its_own_transaction(app, make_product):
    product = make_product([3])
    product.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    assert db.session.get(Product, product.id).title != "Never saved"


def test_a_second_connection_fails_the_isolated_test(app):
    isolation = _Isolation.current
    with pytest.raises(IsolationBroken, match="real_commits"):
        db.engine.pool.connect()
    assert isolation.problems  # the fixture would fail the test at teardown
    isolation.problems.clear()


def test_db_session_from_another_thread_fails_the_isolated_test(app):
    isolation = _Isolation.current
    errors = []

    def run():
        try:
            with app.app_context():
                db.session.scalar(select(Product.id))
        except IsolationBroken as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert errors and isolation.problems
    isolation.problems.clear()


@pytest.mark.real_commits
def test_a_real_commits_test_sees_no_rows_from_isolated_tests(app):
    assert db.session.scalars(select(Product)).all() == []
