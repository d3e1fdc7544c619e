"""Cached public pages: shared by every shopper, never stale, personal parts filled per visitor."""

import re
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import text

from storefront import create_app, pagecache
from storefront.catalogue.models import Product
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.models import utcnow
from tests.conftest import base_config


def body(response):
    return response.get_data(as_text=True)


def test_a_cached_page_costs_one_query(client, make_product, count_queries):
    product = make_product([9])
    client.get(f"/products/{product.slug}")
    with count_queries() as queries:
        fresh = client.application.test_client().get(f"/products/{product.slug}")
    assert fresh.status_code == 200
    assert len(queries) == 1, queries  # the content version


def test_stock_changes_show_at_once(client, make_product):
    product = make_product([9], threshold=3)
    variant = product.variants[0].id
    assert client.get(f"/products/{product.slug}.json").get_json()["variants"][0][
        "available"] == 9
    inventory.adjust(variant, -7, "damaged", actor="test")
    data = client.get(f"/products/{product.slug}.json").get_json()["variants"][0]
    assert (data["available"], data["status"]) == (2, "low_stock")
    assert "Only 2 left" in body(client.get("/products"))


def test_catalogue_edits_show_at_once(client, make_product):
    product = make_product([3], title="Old Name")
    assert "Old Name" in body(client.get("/products"))
    db.session.get(Product, product.id).title = "New Name"
    db.session.commit()
    page = body(client.get("/products"))
    assert "New Name" in page and "Old Name" not in page


def test_each_visitor_gets_their_own_csrf_token_and_it_works(app, make_product):
    product = make_product([5])
    url = f"/products/{product.slug}?size=6&width=M&colour=navy"
    tokens = []
    for _ in range(2):
        with app.test_client() as visitor:
            page = body(visitor.get(url))
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            tokens.append(token)
            added = visitor.post("/cart/add", data={
                "csrf_token": token, "variant_id": product.variants[0].id, "quantity": 1})
            assert added.status_code in (302, 303), body(added)
            assert visitor.get("/cart.json").get_json()["lines"][0]["quantity"] == 1
            # The same cached page now shows this visitor's cart count.
            assert re.search(r'class="cart-count">1<', body(visitor.get(url)))
        from flask import g
        g.pop("csrf_token", None)  # tests share one app context; a browser would not
    assert tokens[0] != tokens[1]
    assert "\ue000" not in page


def test_flash_messages_reach_cached_pages(client, make_product):
    product = make_product([5])
    client.get("/products")  # cache the page without any message
    response = client.submit(
        f"/products/{product.slug}?size=6&width=M&colour=navy", "/cart/add",
        {"variant_id": product.variants[0].id, "quantity": 99}, follow_redirects=False)
    assert response.status_code == 303
    page = body(client.get("/products"))
    assert '<p class="flash flash-error">Quantity must be a whole number from 1 to 10' in page
    assert 'class="flash' not in body(client.get("/products"))  # shown once


def test_unchanged_page_answers_304_to_a_fresh_visitor(app, make_product):
    product = make_product([5])
    first = app.test_client().get(f"/products/{product.slug}.json")
    etag = first.headers["ETag"]
    again = app.test_client().get(f"/products/{product.slug}.json",
                                  headers={"If-None-Match": etag})
    assert again.status_code == 304
    inventory.adjust(product.variants[0].id, 1, "received", actor="test")
    changed = app.test_client().get(f"/products/{product.slug}.json",
                                    headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


# -- the watcher: on PostgreSQL, cached pages cost no query and follow notifications --

def wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def listening(app, backend, request):
    """Turn on the notification watcher the way a production worker has it; it re-reads
    the version every 0.2 s, or every 60 s where a test shows that notifications alone
    bring changes (@pytest.mark.recheck(60))."""
    if backend != "postgresql":
        pytest.skip("notifications are PostgreSQL's; SQLite reads the version per request")
    marker = request.node.get_closest_marker("recheck")
    app.config.update(PAGE_CACHE_LISTEN=True,
                      PAGE_CACHE_RECHECK_SECONDS=marker.args[0] if marker else 0.2)

    def watcher():
        return app.extensions.get("page_cache_watcher")

    yield watcher
    pagecache.stop_watcher(app)


def watcher_current(watcher):
    return wait_until(lambda: watcher() is not None and watcher().current() is not None)


@pytest.fixture
def other_worker(database_url):
    """Another app process in all but name: changes made here reach `app` only
    through PostgreSQL's notifications, as a change on another server would."""
    other = create_app(base_config(database_url))

    @contextmanager
    def context():
        with other.app_context():
            yield
            db.session.remove()

    yield context
    with other.app_context():
        db.engine.dispose()


def available(client, slug):
    return client.get(f"/products/{slug}.json").get_json()["variants"][0]["available"]


@pytest.mark.real_commits  # the watcher reads what is committed
def test_with_the_watcher_a_cached_page_costs_no_query(client, make_product, count_queries,
                                                       listening):
    product = make_product([9])
    client.get(f"/products/{product.slug}")
    assert watcher_current(listening)
    with count_queries() as queries:
        page = client.application.test_client().get(f"/products/{product.slug}")
    assert page.status_code == 200
    assert queries == []


@pytest.mark.real_commits  # the watcher reads what is committed
def test_a_change_in_this_process_shows_on_the_next_request(client, make_product, listening):
    product = make_product([9])
    assert available(client, product.slug) == 9
    assert watcher_current(listening)
    version = listening().current()
    key = ("http", "localhost", f"/products/{product.slug}.json", "")
    assert client.application.extensions["page_cache"].get(key) is not None
    inventory.adjust(product.variants[0].id, -4, "damaged", actor="test")
    # This process drops the page at COMMIT, before its notification comes back; the
    # content version is unchanged, so the other pages stay.
    assert client.application.extensions["page_cache"].get(key) is None
    assert listening().current() == version
    assert available(client, product.slug) == 5
    db.session.get(Product, product.id).title = "Renamed Walker"
    db.session.commit()
    assert "Renamed Walker" in body(client.get("/products"))


@pytest.mark.real_commits  # the watcher reads what is committed
@pytest.mark.recheck(60)
def test_a_change_on_another_server_arrives_by_notification(client, make_product, listening,
                                                            other_worker):
    product = make_product([9])
    variant = product.variants[0].id
    assert available(client, product.slug) == 9
    assert watcher_current(listening)
    store = client.application.extensions["page_cache"]
    key = ("http", "localhost", f"/products/{product.slug}.json", "")
    assert store.get(key) is not None
    with other_worker():
        inventory.adjust(variant, 3, "received", actor="test")
    # Only the notification (naming the variant) can drop it: no re-read for 60 s.
    assert wait_until(lambda: store.get(key) is None)
    assert available(client, product.slug) == 12


@pytest.mark.real_commits  # the watcher reads what is committed
def test_a_lost_notification_connection_falls_back_to_reading_per_request(
        app, client, make_product, listening, other_worker):
    product = make_product([9])
    assert available(client, product.slug) == 9
    assert watcher_current(listening)
    first = listening()
    killed = db.session.execute(text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'storefront page cache'"
    )).scalars().all()
    db.session.commit()
    assert killed == [True]
    with other_worker():
        inventory.adjust(product.variants[0].id, -9, "damaged", actor="test")
    # Until the watcher is back, every request reads the version itself: never stale.
    assert wait_until(lambda: available(client, product.slug) == 0)
    assert watcher_current(listening) and listening() is first  # reconnected, same thread
    with other_worker():
        inventory.adjust(product.variants[0].id, 2, "received", actor="test")
    assert wait_until(lambda: available(client, product.slug) == 2)


@pytest.mark.real_commits  # the watcher reads what is committed
def test_a_scheduled_article_comes_out_on_time_without_any_write(client, listening):
    from storefront.articles import service

    article = service.save_article(None, service.ArticleInput(
        title="Due Soon", slug="", summary="Soon.", body="Words.", tags="", featured=""))
    service.schedule(article.id, utcnow() + timedelta(seconds=1))
    assert "Due Soon" not in body(client.get("/blog"))
    assert watcher_current(listening)
    assert wait_until(lambda: "Due Soon" in body(client.get("/blog")), seconds=5)


NOTIFY_TRIGGERS = ["content_version_content_changed", "stock_movement_stock_changed"]


def notify_triggers():
    return db.session.execute(text(
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")).scalars().all()


def test_the_models_install_the_notify_triggers(app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no notifications")
    assert notify_triggers() == NOTIFY_TRIGGERS  # tests/test_migrations.py: migrations too


# -- ready pages: a visitor without cookies is answered before Flask ----------------

@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask (the ready-page layer answers the others)."""
    seen = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(1))
    return seen


def ready(app, url, **headers):
    """GET `url` as a new visitor without cookies."""
    return app.test_client(use_cookies=False).get(url, headers=headers)


@pytest.mark.real_commits  # the watcher reads what is committed
def test_a_visitor_without_cookies_gets_the_ready_page_unchanged(
        app, make_product, listening, flask_requests, count_queries):
    product = make_product([9, 4])  # options to choose first: no form on the page yet
    url = f"/products/{product.slug}"
    first = ready(app, url)
    assert watcher_current(listening)
    assert len(flask_requests) == 1
    with count_queries() as queries:
        again = ready(app, url, **{"X-Request-ID": "trace-me-12345"})
    assert len(flask_requests) == 1 and queries == []  # answered before Flask
    assert again.status_code == 200 and again.data == first.data
    for name in ("Content-Type", "ETag", "Cache-Control", "Vary", "Content-Security-Policy",
                 "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                 "Permissions-Policy", "Cross-Origin-Opener-Policy"):
        assert again.headers[name] == first.headers[name], name
    assert again.headers["X-Request-ID"] == "trace-me-12345"
    assert "Set-Cookie" not in again.headers
    not_modified = ready(app, url, **{"If-None-Match": again.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert len(flask_requests) == 1


@pytest.mark.real_commits  # the watcher reads what is committed
def test_ready_pages_are_never_stale(app, make_product, listening, flask_requests,
                                     other_worker):
    product = make_product([9])
    url = f"/products/{product.slug}.json"
    ready(app, url)
    assert watcher_current(listening)
    inventory.adjust(product.variants[0].id, -2, "damaged", actor="test")
    assert ready(app, url).get_json()["variants"][0]["available"] == 7  # this process
    with other_worker():
        inventory.adjust(product.variants[0].id, -3, "damaged", actor="test")
    assert wait_until(lambda: ready(app, url).get_json()["variants"][0]["available"] == 4)


@pytest.mark.real_commits  # the watcher reads what is committed
def test_a_page_with_a_form_gets_each_visitor_a_token_that_works(app, make_product, listening,
                                                                  flask_requests):
    product = make_product([9, 4])
    with_form = f"/products/{product.slug}?size=6&width=M&colour=navy"  # add-to-cart form
    ready(app, with_form)
    assert watcher_current(listening)
    before = len(flask_requests)
    token = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    tokens = []
    for _ in range(2):
        g.pop("csrf_token", None)  # tests share one app context; two browsers would not
        with app.test_client() as visitor:
            page = visitor.get(with_form)
            assert page.headers["Set-Cookie"].startswith("session=")
            tokens.append(token.search(body(page)).group(1))
            added = visitor.post("/cart/add", data={
                "csrf_token": tokens[-1], "variant_id": product.variants[0].id, "quantity": 1})
            assert added.status_code == 303, body(added)
    assert len(flask_requests) == before + 2  # the two posts; both pages were ready
    assert tokens[0] != tokens[1]


@pytest.mark.real_commits  # the watcher reads what is committed
def test_visitors_with_cookies_go_through_flask(app, client, make_product, listening,
                                                flask_requests):
    product = make_product([9, 4])
    plain = f"/products/{product.slug}"
    ready(app, plain)
    assert watcher_current(listening)
    before = len(flask_requests)
    client.get(plain)
    assert len(flask_requests) == before  # no cookie yet: ready
    client.submit(f"{plain}?size=6&width=M&colour=navy", "/cart/add",
                  {"variant_id": product.variants[0].id, "quantity": 1})
    assert client.get_cookie("session") is not None
    before = len(flask_requests)
    page = client.get(plain)
    assert len(flask_requests) == before + 1
    assert re.search(r'class="cart-count">1<', body(page))


# -- scoped: a stock change renews only the pages that showed that stock -------------

def publish_article(title, featured=""):
    from storefront.articles import service

    article = service.save_article(None, service.ArticleInput(
        title=title, slug="", summary=f"{title}.", body="Words about walking.", tags="",
        featured=featured))
    service.publish(article.id, now=utcnow() - timedelta(days=1))
    return article


@pytest.fixture
def two_products(make_product):
    """Product A (4 left) and product B (6 left), an article featuring each, and the
    URLs of the pages that show A, and of those that do not."""
    a = make_product([4], title="Alpha Walker", threshold=5)
    b = make_product([6], title="Bravo Runner", threshold=9)
    with_a = publish_article("Walking with Alpha", featured=a.slug)
    without_a = publish_article("Running with Bravo", featured=b.slug)
    showing_a = [f"/products/{a.slug}", f"/products/{a.slug}.json", "/products",
                 "/products?q=Alpha", "/products?in_stock=1", f"/blog/{with_a.slug}"]
    not_showing_a = [f"/products/{b.slug}", f"/products/{b.slug}.json", "/products?q=Bravo",
                     f"/blog/{without_a.slug}", "/blog"]
    return a, b, showing_a, not_showing_a


def served(app, url, count_queries):
    """GET `url` as a visitor with a cookie (no ready page): (page, statements run)."""
    visitor = app.test_client()
    visitor.set_cookie("seen", "1")
    with count_queries() as queries:
        page = visitor.get(url)
    assert page.status_code == 200, url
    return body(page), queries


def cached(queries, listening=None):
    """A page from the cache reads only its versions, in one query; none with a watcher."""
    return len(queries) == (0 if listening is not None else 1)


def test_holding_a_stock_leaves_pages_without_a_cached(app, two_products, count_queries):
    a, b, showing_a, not_showing_a = two_products
    before = {url: served(app, url, count_queries)[0] for url in showing_a + not_showing_a}
    assert all(cached(served(app, url, count_queries)[1]) for url in before)

    inventory.hold("order-1", {a.variants[0].id: 1}, utcnow() + timedelta(minutes=30))

    for url in not_showing_a:
        page, queries = served(app, url, count_queries)
        assert cached(queries), (url, queries)
        assert page == before[url]
    for url in showing_a:
        page, queries = served(app, url, count_queries)
        assert not cached(queries), url  # rendered again, with A's new stock
    assert "Only 3 left" in served(app, f"/products/{a.slug}", count_queries)[0]
    assert available(app.test_client(), a.slug) == 3
    assert "Only 3 left" in served(app, "/products", count_queries)[0]


@pytest.mark.real_commits  # another app's connection must see the shop
def test_a_stock_change_in_another_process_renews_only_pages_that_showed_it(
        app, two_products, count_queries, other_worker):
    a, b, showing_a, not_showing_a = two_products
    before = {url: served(app, url, count_queries)[0] for url in showing_a + not_showing_a}
    variant = a.variants[0].id
    db.session.commit()  # SQLite: let the other process write
    with other_worker():
        inventory.adjust(variant, -4, "damaged", actor="test")
    for url in not_showing_a:
        page, queries = served(app, url, count_queries)
        assert cached(queries) and page == before[url], url
    assert available(app.test_client(), a.slug) == 0
    assert "Sold out" in served(app, f"/products/{a.slug}", count_queries)[0]
    assert "Alpha Walker" not in served(app, "/products?in_stock=1", count_queries)[0]


@pytest.mark.real_commits  # the watcher reads what is committed
@pytest.mark.recheck(60)
def test_with_the_watcher_another_servers_hold_drops_only_pages_that_showed_it(
        app, two_products, count_queries, listening, other_worker):
    a, b, showing_a, not_showing_a = two_products
    served(app, "/products", count_queries)  # starts the watcher
    assert watcher_current(listening)
    before = {url: served(app, url, count_queries)[0] for url in showing_a + not_showing_a}
    for url in before:
        assert cached(served(app, url, count_queries)[1], listening), url
    variant = a.variants[0].id
    with other_worker():
        inventory.hold("order-2", {variant: 2}, utcnow() + timedelta(minutes=30))
    assert wait_until(lambda: available(app.test_client(), a.slug) == 2)
    for url in not_showing_a:
        page, queries = served(app, url, count_queries)
        assert cached(queries, listening) and page == before[url], url
    for url in showing_a:
        assert "Only 2 left" in served(app, url, count_queries)[0] or url.endswith(
            (".json", "in_stock=1", "q=Alpha")) or url.startswith("/blog/"), url


def test_every_after_request_hook_is_known_to_the_ready_pages(app):
    """Ready pages skip Flask: a hook added to every response must be added to
    `responses.finish` (which both paths call), or listed with why ready pages skip it."""
    from storefront import responses

    def name(hook):
        return getattr(hook, "func", hook).__qualname__

    hooks = [name(hook) for funcs in app.after_request_funcs.values() for hook in funcs]
    assert "_finish_flask_response" in hooks
    unknown = [hook for hook in hooks
               if hook != "_finish_flask_response" and hook not in responses.READY_PATH_SKIPS]
    assert unknown == [], "teach ReadyPages (storefront/responses.py) about these hooks"
