"""Fifty shoppers race for six pairs through the HTTP layer, on PostgreSQL's row locks."""

import threading

import pytest
from sqlalchemy import select

from storefront.checkout.models import Order
from storefront.extensions import db, limiter
from storefront.inventory import service as inventory
from tests.checkout.conftest import fill_cart, pick
from tests.conftest import ShopClient

# Fifty shoppers, each on a thread and a connection of its own.
pytestmark = pytest.mark.real_commits

SHOPPERS = 50
UNITS = 6


def run_all(targets):
    """Start every target in its own thread and wait; re-raise the first failure."""
    errors = []

    def guarded(target):
        def run():
            try:
                target()
            except BaseException as error:
                errors.append(error)
        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]


@pytest.fixture
def one_address_many_shoppers():
    """All fifty shoppers come from 127.0.0.1; per-address rate limits would stop them."""
    limiter.enabled = False
    yield
    limiter.enabled = True


def test_fifty_shoppers_six_pairs_exactly_six_paid(app, backend, fake_stripe, make_product,
                                                  one_address_many_shoppers):
    if backend != "postgresql":
        pytest.skip("race tests run on PostgreSQL with real concurrent connections")
    last_pairs = pick(make_product([UNITS], title="Last Pairs Walker").variants[0])
    db.session.commit()

    clients = [ShopClient(app.test_client()) for _ in range(SHOPPERS)]
    checkout_at_once = threading.Barrier(SHOPPERS, timeout=120)
    results = [None] * SHOPPERS

    def shopper(n):
        def go():
            client = clients[n]
            fill_cart(client, (last_pairs, 1))
            token = client.csrf_token("/cart")
            checkout_at_once.wait()
            response = client.post("/checkout", data={"csrf_token": token})
            assert response.status_code == 303
            location = response.headers["Location"]
            if "/c/pay/" in location:
                results[n] = ("to_payment", location.rsplit("/", 1)[1])
            else:
                assert location.endswith("/cart")
                results[n] = ("back_to_cart", client.get("/cart").get_data(as_text=True))
        return go

    run_all([shopper(n) for n in range(SHOPPERS)])

    sessions = [value for kind, value in results if kind == "to_payment"]
    refused = [value for kind, value in results if kind == "back_to_cart"]
    assert len(sessions) == UNITS
    assert len(refused) == SHOPPERS - UNITS
    for page in refused:
        assert "Last Pairs Walker" in page and "is sold out" in page
        assert "Nothing was charged" in page

    def payer(session_id):
        def go():
            event = fake_stripe.event("checkout.session.completed",
                                      fake_stripe.complete(session_id))
            response = fake_stripe.deliver(app.test_client(), event)
            assert response.status_code == 200
            assert response.get_json()["outcome"] == "paid"
        return go

    run_all([payer(s) for s in sessions])

    db.session.expire_all()
    statuses = db.session.scalars(select(Order.status)).all()
    assert statuses.count("paid") == UNITS
    assert len(statuses) == UNITS  # the refused shoppers never got an order: nothing was held
    levels = inventory.get_levels(last_pairs.id)
    assert (levels.on_hand, levels.reserved, levels.committed) == (UNITS, 0, UNITS)
    assert levels.available == 0
    assert inventory.reconcile() == []
