"""Cart and checkout posts are rate limited per address, and the count is shared by
every shop process through Redis (RATELIMIT_STORAGE_URI), as in production."""

import json
import os
import subprocess
import sys
import uuid

import pytest

from storefront import create_app
from storefront.config import ROOT
from storefront.extensions import db, limiter
from tests.conftest import ShopClient, base_config

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
JSON = {"Accept": "application/json"}


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in TEST_REDIS_URL; its keys are deleted afterwards."""
    if not TEST_REDIS_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but TEST_REDIS_URL is not set: the Redis test is mandatory.")
        pytest.skip("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    import redis

    prefix = f"storefront-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    connection = redis.Redis.from_url(TEST_REDIS_URL)
    for key in connection.scan_iter(match=f"*{prefix}*"):
        connection.delete(key)
    connection.close()


class Worker:
    """The other shop process: one app of its own, driven line by line."""

    def __init__(self, config, page):
        env = dict(os.environ, SHOP_WORKER_CONFIG=json.dumps(config), SHOP_WORKER_PAGE=page)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.hardening.rate_limit_worker"], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def post(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.mark.real_commits
def test_limits_hold_across_two_app_instances_sharing_redis(app, backend, make_product,
                                                            redis_prefix, monkeypatch):
    if backend != "sqlite":
        pytest.skip("the limit lives in Redis; one database backend is enough")
    variant = make_product([50]).variants[0]
    variant_id, page = variant.id, f"/products/{variant.product.slug}"
    # SQLite: release this session's lock so the two shop instances can write.
    db.session.commit()
    db.session.close()
    config = base_config(app.config["SQLALCHEMY_DATABASE_URI"]) | {
        "RATELIMIT_STORAGE_URI": TEST_REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "CART_RATE_LIMIT": "4 per minute",
        "CHECKOUT_RATE_LIMIT": "2 per minute",
    }
    # The limiter is one object; let this test's prefix replace (then restore) its own.
    monkeypatch.setattr(limiter, "_key_prefix", "")
    here = ShopClient(create_app(config).test_client())
    token = here.csrf_token(page)
    headers = JSON | {"X-CSRFToken": token}

    def add_here():
        return here.post("/cart/add", json={"variant_id": variant_id}, headers=headers)

    worker = Worker(config, page)
    try:
        statuses = []
        for i in range(4):
            statuses.append(add_here().status_code if i % 2 == 0
                            else worker.post(f"cart {variant_id}"))
        assert statuses == [200, 200, 200, 200]
        assert worker.post(f"cart {variant_id}") == 429
        refused = add_here()
        assert refused.status_code == 429
        body = refused.get_json()
        assert body["error"] == "too_many_requests"
        assert "wait a minute" in body["message"]
        # A browser gets a page saying the same, not a bare status.
        page_refused = here.post("/cart/add", data={"variant_id": variant_id,
                                                    "csrf_token": token})
        assert page_refused.status_code == 429
        assert "Please wait a minute, then try again." in page_refused.get_data(as_text=True)

        # Checkout has its own, smaller budget, untouched by the cart posts above.
        assert here.post("/checkout", json={}, headers=headers).status_code != 429
        assert worker.post("checkout") != 429
        assert here.post("/checkout", json={}, headers=headers).status_code == 429
        assert worker.post("checkout") == 429
    finally:
        worker.close()


def test_shopper_limits_are_settings_with_generous_defaults(app):
    assert app.config["CART_RATE_LIMIT"] == "30 per minute"
    assert app.config["CHECKOUT_RATE_LIMIT"] == "10 per minute"
