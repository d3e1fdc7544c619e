"""The cart as a shopper uses it: add from the product page, change, remove, see prices."""

import re

from storefront.extensions import db
from storefront.inventory import service as inventory


def text(response):
    return response.get_data(as_text=True)


def page_of(variant):
    return (f"/products/{variant.product.slug}?size={variant.size.label}"
            f"&width={variant.width.code}&colour={variant.colour.slug}")


def add(client, variant, quantity=1, **kwargs):
    return client.submit(page_of(variant), "/cart/add",
                         {"variant_id": variant.id, "quantity": quantity}, **kwargs)


def cart_json(client):
    return client.get("/cart.json").get_json()


def test_product_page_offers_add_to_cart_only_for_an_available_variant(client, make_product):
    product = make_product([3, 0])
    in_stock, sold_out = product.variants
    body = text(client.get(page_of(in_stock)))
    assert 'action="/cart/add"' in body
    assert f'name="variant_id" value="{in_stock.id}"' in body
    assert 'action="/cart/add"' not in text(client.get(page_of(sold_out)))


def test_adding_shows_the_line_a_message_and_the_header_count(client, make_product):
    variant = make_product([5], title="Harbor Walker", price=12900).variants[0]
    response = add(client, variant, 2, follow_redirects=True)
    body = text(response)
    assert re.search(r'role="status".*Added 2 pairs of Harbor Walker', body, re.S)
    assert "Harbor Walker" in body and "$258.00" in body
    assert re.search(r'class="cart-count">2<', body)
    data = cart_json(client)
    assert data["lines"] == [{
        "variant_id": variant.id, "quantity": 2, "unit_price": 12900, "line_total": 25800,
        "title": "Harbor Walker", "available": 5, "problem": None, "sku": variant.sku,
        "size": variant.size.label, "width": "M", "colour": "Navy"}]
    assert data["subtotal"] == 25800 and data["can_checkout"] is True


def test_adding_again_adds_up_and_respects_the_line_cap(app, client, make_product):
    variant = make_product([50]).variants[0]
    add(client, variant, 6)
    response = add(client, variant, 5, follow_redirects=True)
    assert "at most 10 of one item" in text(response)
    assert cart_json(client)["lines"][0]["quantity"] == 6
    add(client, variant, 4)
    assert cart_json(client)["lines"][0]["quantity"] == 10


def test_quantity_must_be_a_whole_number_in_range(client, make_product):
    variant = make_product([5]).variants[0]
    for bad in ["0", "-1", "1.5", "two", "", "11", "99999999999"]:
        response = add(client, variant, bad, follow_redirects=True)
        assert "Quantity must be a whole number from 1 to 10." in text(response), bad
    assert cart_json(client)["lines"] == []


def test_cannot_add_more_than_is_available(client, make_product):
    variant = make_product([2], title="Scarce Boot").variants[0]
    response = add(client, variant, 3, follow_redirects=True)
    assert "Only 2 of Scarce Boot" in text(response)
    assert cart_json(client)["lines"] == []


def test_unknown_and_unpublished_variants_are_refused(client, make_product):
    visible = make_product([5]).variants[0]
    hidden = make_product([5], published=False).variants[0]
    token_page = page_of(visible)
    for variant_id in [hidden.id, 999999, 2**31, 2**63, "abc", "", "²"]:  # 2**31: past INTEGER
        response = client.submit(token_page, "/cart/add",
                                 {"variant_id": variant_id, "quantity": 1},
                                 follow_redirects=True)
        body = text(response)
        assert "not for sale" in body or "not found" in body, variant_id
    assert cart_json(client)["lines"] == []


def test_tampered_price_field_is_ignored(client, make_product):
    variant = make_product([5], price=15000).variants[0]
    client.submit(page_of(variant), "/cart/add",
                  {"variant_id": variant.id, "quantity": 1, "price": 1, "unit_price": 1})
    assert cart_json(client)["subtotal"] == 15000


def test_update_changes_and_zero_removes(client, make_product):
    variant = make_product([5], title="Calm Clog").variants[0]
    add(client, variant, 1)
    response = client.submit("/cart", "/cart/update",
                             {"variant_id": variant.id, "quantity": 3}, follow_redirects=True)
    assert "quantity is now 3" in text(response)
    assert cart_json(client)["lines"][0]["quantity"] == 3
    response = client.submit("/cart", "/cart/update",
                             {"variant_id": variant.id, "quantity": 0}, follow_redirects=True)
    assert "Removed Calm Clog" in text(response)
    assert cart_json(client)["lines"] == []
    assert "Your cart is empty" in text(response)


def test_update_refuses_more_than_available_and_leaves_the_cart(client, make_product):
    variant = make_product([4]).variants[0]
    add(client, variant, 2)
    response = client.submit("/cart", "/cart/update",
                             {"variant_id": variant.id, "quantity": 5}, follow_redirects=True)
    assert "Only 4 of" in text(response)
    assert cart_json(client)["lines"][0]["quantity"] == 2


def test_prices_come_from_the_database_at_each_render(client, make_product):
    variant = make_product([5], price=10000).variants[0]
    add(client, variant, 1)
    variant.price_cents = 8000
    db.session.commit()
    assert cart_json(client)["subtotal"] == 8000
    assert "$80.00" in text(client.get("/cart"))


def test_a_line_that_sold_out_since_is_marked_and_blocks_checkout(client, make_product):
    variant = make_product([2], title="Gone Loafer").variants[0]
    add(client, variant, 2)
    inventory.adjust(variant.id, -2, "damaged", actor="test")
    body = text(client.get("/cart"))
    assert "Sold out since you added it" in body
    assert 'action="/checkout"' not in body
    assert "Fix the items marked above" in body
    data = cart_json(client)
    assert data["lines"][0]["problem"] == "sold_out" and data["can_checkout"] is False
    # Checking out anyway is refused, and nothing is held.
    response = client.post("/checkout", data={"csrf_token": _token(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert inventory.get_levels(variant.id).reserved == 0


def _token(client):
    match = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/cart")))
    return match.group(1)


def test_a_withdrawn_product_is_marked_and_can_be_removed(client, make_product):
    product = make_product([5], title="Retired Runner")
    variant = product.variants[0]
    add(client, variant, 1)
    product.published = False
    db.session.commit()
    body = text(client.get("/cart"))
    assert "No longer sold" in body
    response = client.submit("/cart", "/cart/update", {"variant_id": variant.id, "quantity": 0},
                             follow_redirects=True)
    assert "Removed" in text(response)
    assert cart_json(client)["lines"] == []


def test_json_clients_get_json_from_the_post_routes(client, make_product):
    variant = make_product([3]).variants[0]
    token = client.csrf_token(page_of(variant))
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    ok = client.post("/cart/add", json={"variant_id": variant.id, "quantity": 2},
                     headers=headers)
    assert ok.status_code == 200
    assert ok.get_json()["cart"]["lines"][0]["quantity"] == 2
    short = client.post("/cart/add", json={"variant_id": variant.id, "quantity": 2},
                        headers=headers)
    assert short.status_code == 409
    assert short.get_json()["error"] == "not_enough_stock"
    bad = client.post("/cart/update", data={"variant_id": variant.id, "quantity": "x",
                                            "csrf_token": token},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "whole number" in bad.get_json()["message"]


def test_posts_without_csrf_token_are_refused(client, make_product):
    variant = make_product([3]).variants[0]
    response = client.post("/cart/add", data={"variant_id": variant.id, "quantity": 1})
    assert response.status_code == 400
    assert cart_json(client)["lines"] == []


def test_a_tampered_session_cart_is_cleaned_not_a_crash(client, make_product):
    variant = make_product([3]).variants[0]
    with client.session_transaction() as session:
        session["cart"] = {str(variant.id): 2, "x": 1, "5": -3, "6": "many", "7": True}
    data = cart_json(client)
    assert [line["variant_id"] for line in data["lines"]] == [variant.id]
