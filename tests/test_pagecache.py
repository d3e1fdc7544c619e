"""Cached public pages: shared by every shopper, never stale, personal parts filled per visitor."""

import re

from storefront.catalogue.models import Product
from storefront.extensions import db
from storefront.inventory import service as inventory


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
