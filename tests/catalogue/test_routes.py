"""Catalogue pages as a shopper sees them."""

import re

import pytest

from storefront.inventory import service as inventory


def text(response):
    return response.get_data(as_text=True)


def test_home_shows_featured_products_only(client, make_product):
    make_product([3], title="Featured Walker", featured=True)
    make_product([3], title="Quiet Loafer", featured=False)
    body = text(client.get("/"))
    assert "Featured Walker" in body
    assert "Quiet Loafer" not in body


def test_listing_shows_price_and_stock_words(client, make_product):
    make_product([20], title="Plenty Shoe", price=12900)
    make_product([2], title="Scarce Shoe")
    make_product([0, 0], title="Gone Shoe")
    body = text(client.get("/products"))
    assert "$129.00" in body
    assert re.search(r"Plenty Shoe.*?In stock", body, re.S)
    assert re.search(r"Scarce Shoe.*?Only 2 left", body, re.S)
    assert re.search(r"Gone Shoe.*?Sold out", body, re.S)


def test_unpublished_products_are_hidden_everywhere(client, make_product):
    hidden = make_product([5], title="Secret Prototype", published=False)
    assert "Secret Prototype" not in text(client.get("/products"))
    assert client.get(f"/products/{hidden.slug}").status_code == 404
    assert client.get(f"/products/{hidden.slug}.json").status_code == 404


def test_size_filter_and_in_stock_show_only_products_with_that_size_available(
    client, make_product
):
    make_product([4, 0], title="Has Eight", sizes=["8", "9"])
    make_product([0, 4], title="Eight Sold Out", sizes=["8", "9"])
    make_product([4], title="No Eight", sizes=["10"])
    listed = text(client.get("/products?size=8"))
    assert "Has Eight" in listed and "Eight Sold Out" in listed and "No Eight" not in listed
    available = text(client.get("/products?size=8&in_stock=1"))
    assert "Has Eight" in available
    assert "Eight Sold Out" not in available


def test_search_matches_title_and_sku(client, make_product):
    product = make_product([4], title="Harbor Zip Boot")
    make_product([4], title="Other Shoe")
    assert "Harbor Zip Boot" in text(client.get("/products?q=harbor"))
    by_sku = text(client.get(f"/products?q={product.variants[0].sku}"))
    assert "Harbor Zip Boot" in by_sku and "Other Shoe" not in by_sku


@pytest.mark.parametrize("query", [
    "page=abc", "page=-5", "page=99999999999999999999", "sort=drop%20table", "size=%C3%A9",
    "in_stock=maybe", "gender=robot", "q=" + "x" * 5000, "width[]=1",
])
def test_malformed_query_parameters_never_500(client, make_product, query):
    make_product([3])
    assert client.get(f"/products?{query}").status_code == 200


def test_nul_bytes_in_parameters_are_a_clear_400(client):
    response = client.get("/products?size=%00")
    assert response.status_code == 400
    assert "characters that are not allowed" in response.get_data(as_text=True)


def test_pagination_keeps_filters(client, make_product):
    for _ in range(26):
        make_product([3], sizes=["8"])
    first = text(client.get("/products?size=8"))
    assert "Page 1 of 2" in first
    assert 'href="/products?size=8&amp;page=2"' in first
    assert "Page 2 of 2" in text(client.get("/products?size=8&page=2"))


def test_product_page_picker_resolves_variant_and_marks_sold_out_options(
    client, make_product
):
    product = make_product([0, 3], sizes=["8", "9"], widths=["W", "W"])
    page = text(client.get(f"/products/{product.slug}"))
    assert "Choose a size, width and colour" in page
    assert re.search(r'value="8"[^>]*>\s*<span>8<span class="option-note"> \(sold out\)', page)
    chosen = text(client.get(f"/products/{product.slug}?size=9&width=W&colour=navy"))
    assert product.variants[1].sku in chosen
    assert "Only 3 left" in chosen
    sold = text(client.get(f"/products/{product.slug}?size=8&width=W&colour=navy"))
    assert "Sold out" in sold


def test_product_page_for_unknown_slug_is_404(client):
    response = client.get("/products/does-not-exist")
    assert response.status_code == 404
    assert "could not find" in text(response) or "no product" in text(response)


def test_product_json_matches_contract(client, make_product):
    product = make_product([12, 2, 0], price=8900)
    data = client.get(f"/products/{product.slug}.json").get_json()
    assert data["title"] == product.title
    variants = {v["sku"]: v for v in data["variants"]}
    first = variants[product.variants[0].sku]
    assert set(first) >= {"id", "sku", "size", "width", "colour", "price", "available", "status"}
    assert first["price"] == 8900
    assert [v["status"] for v in data["variants"]] == ["in_stock", "low_stock", "sold_out"]
    assert [v["available"] for v in data["variants"]] == [12, 2, 0]


def test_held_units_are_not_shown_as_available(client, make_product):
    product = make_product([3])
    variant_id = product.variants[0].id
    inventory.hold("order:1", {variant_id: 3}, inventory_expiry())
    data = client.get(f"/products/{product.slug}.json").get_json()
    assert data["variants"][0]["available"] == 0
    assert data["variants"][0]["status"] == "sold_out"
    assert "-" not in str(data["variants"][0]["available"])


def inventory_expiry(minutes=30):
    from datetime import timedelta

    from storefront.models import utcnow
    return utcnow() + timedelta(minutes=minutes)


def _queries_for(client, count_queries, url):
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_catalogue_page_issues_a_fixed_small_number_of_queries(client, make_product,
                                                               count_queries):
    make_product([5, 1, 0], sizes=["7", "8", "9"])
    few = _queries_for(client, count_queries, "/products")
    for _ in range(20):
        make_product([5, 1, 0], sizes=["7", "8", "9"])
    many = _queries_for(client, count_queries, "/products")
    # One of them lists the shop pages in the footer.
    assert few == many <= 11


def test_product_page_issues_a_fixed_small_number_of_queries(client, make_product,
                                                             count_queries):
    small = make_product([3, 3], sizes=["5", "6"])
    big = make_product([3] * 30, sizes=[str(5 + i * 0.5) for i in range(30)])
    few = _queries_for(client, count_queries, f"/products/{small.slug}?size=5&width=M&colour=navy")
    many = _queries_for(client, count_queries, f"/products/{big.slug}?size=5&width=M&colour=navy")
    # One of them lists the shop pages in the footer.
    assert few == many <= 9


def test_filters_fold_behind_a_disclosure_that_counts_the_active_ones(client, make_product):
    make_product([3], title="Counted Walker")
    body = text(client.get("/products"))
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", body, re.S).group(1)
    assert summary.strip() == "Filter"
    body = text(client.get("/products?size=9&width=W&in_stock=1&q=walker&sort=price_asc"))
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", body, re.S).group(1)
    # Size, width and in-stock are filters; the search words and the order are not.
    assert re.sub(r"<[^>]+>", "", summary).split() == ["Filter", "(3", "active)"]
    assert re.search(r'<details class="filters-disclosure"[^>]*>\s*<summary', body)
    assert '<details class="filters-disclosure" id="filters" open' not in body


def test_the_first_product_picture_on_the_home_page_is_not_lazy_loaded(client, make_product):
    make_product([3], title="First Walker", featured=True)
    make_product([3], title="Second Walker", featured=True)
    images = re.findall(r'<img src="[^"]*"[^>]*>', text(client.get("/")))
    cards = [i for i in images if 'width="412"' in i]
    assert len(cards) == 2
    assert "loading=" not in cards[0] and 'fetchpriority="high"' in cards[0]
    assert 'loading="lazy"' in cards[1]
