"""Checkout fixtures: the fake Stripe server, and a shop configured to use it."""

import re
import threading
from dataclasses import dataclass

import pytest

from tests.fake_stripe import FakeStripe


@pytest.fixture(scope="session")
def fake_stripe_server():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(app, fake_stripe_server):
    """A clean fake Stripe account, with the app's Stripe settings pointing at it."""
    fake_stripe_server.reset()
    app.config.update(
        STRIPE_SECRET_KEY=fake_stripe_server.api_key,
        STRIPE_WEBHOOK_SECRET=fake_stripe_server.webhook_secret,
        STRIPE_API_BASE=fake_stripe_server.url,
    )
    return fake_stripe_server


def page_of(variant):
    return (f"/products/{variant.product.slug}?size={variant.size.label}"
            f"&width={variant.width.code}&colour={variant.colour.slug}")


@dataclass(frozen=True)
class Pick:
    """A variant as a shopper's browser knows it: its id and its product page."""

    id: int
    page: str


def pick(variant):
    """A Pick, safe to hand to another thread (it needs no database session)."""
    return Pick(variant.id, page_of(variant))


def fill_cart(client, *lines):
    """Add (variant or Pick, quantity) pairs through the product pages' forms."""
    for variant, quantity in lines:
        chosen = variant if isinstance(variant, Pick) else pick(variant)
        response = client.submit(chosen.page, "/cart/add",
                                 {"variant_id": chosen.id, "quantity": quantity})
        assert response.status_code == 303, response.get_data(as_text=True)


def check_out(client, *lines, **form):
    """Fill the cart and press Check out; returns the POST /checkout response."""
    fill_cart(client, *lines)
    return client.submit("/cart", "/checkout", form)


def session_id_from(response):
    match = re.search(r"/c/pay/(cs_test_[0-9a-f]+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def as_another_shopper(app, fn):
    """Run fn(client) in its own thread with its own client, as a second browser would.

    Requests in the test's own thread share its app context (and so its `g`,
    where the CSRF token is cached); a thread gets its own, like a real server.
    """
    from storefront.extensions import db
    from tests.conftest import ShopClient

    db.session.commit()  # on SQLite an open transaction here holds the write lock
    outcome = {}

    def run():
        try:
            outcome["value"] = fn(ShopClient(app.test_client()))
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
