"""Search, adaptive-feature facets, fit guide and SEO on the catalogue."""

import json
import re

import pytest

from storefront.catalogue.models import Feature
from storefront.extensions import db


def names(response):
    return set(re.findall(r'<h3 class="card-title">([^<]+)</h3>', response.get_data(as_text=True)))


@pytest.fixture
def shelf(make_product):
    afo = Feature(slug="afo-compatible", name="Brace / AFO compatible", position=0)
    easy = Feature(slug="easy-closure", name="Easy closure", position=1)
    db.session.add_all([afo, easy])
    boot = make_product([3], title="Marlow Wrap Boot", description="Warm boots for winter walks.")
    sneaker = make_product([3], title="Tessa Sneaker", description="Walking shoe with a zip.")
    slipper = make_product([0], title="Juniper House Shoe", description="Grippy sole for home.")
    boot.features = [easy]
    sneaker.features = [afo, easy]
    db.session.commit()
    return boot, sneaker, slipper


@pytest.mark.parametrize("q, expected", [
    ("boot", {"Marlow Wrap Boot"}),
    ("boots", {"Marlow Wrap Boot"}),
    ("walking", {"Marlow Wrap Boot", "Tessa Sneaker"}),
    ("shoes", {"Tessa Sneaker", "Juniper House Shoe"}),
    ("zip sneaker", {"Tessa Sneaker"}),
    ("GRIPPY", {"Juniper House Shoe"}),
    ("afo", {"Tessa Sneaker"}),
    ("100%_", set()),
])
def test_plain_words_find_the_same_products_on_every_backend(client, shelf, q, expected):
    assert names(client.get("/products", query_string={"q": q})) == expected


def test_search_by_sku(client, shelf):
    sku = shelf[2].variants[0].sku
    assert names(client.get("/products", query_string={"q": sku.lower()})) == {
        "Juniper House Shoe"}


def test_feature_facets_combine_with_and(client, shelf):
    assert names(client.get("/products?feature=easy-closure")) == {
        "Marlow Wrap Boot", "Tessa Sneaker"}
    assert names(client.get("/products?feature=easy-closure&feature=afo-compatible")) == {
        "Tessa Sneaker"}
    assert names(client.get("/products?feature=no-such-thing")) == set()


def test_filters_combine_and_stay_in_the_url(client, shelf):
    page = client.get("/products?feature=easy-closure&in_stock=1&sort=title&q=walk")
    body = page.get_data(as_text=True)
    assert names(page) == {"Marlow Wrap Boot", "Tessa Sneaker"}
    assert 'value="easy-closure" checked' in body
    assert 'name="in_stock" value="1" checked' in body


def test_relevance_sort_puts_title_matches_first(client, shelf):
    body = client.get("/products?q=boot&sort=relevance").get_data(as_text=True)
    assert "Best match" in body
    assert names(client.get("/products?q=walk&sort=relevance"))


def test_product_page_has_fit_guide_features_and_json_ld(client, shelf):
    boot = shelf[0]
    body = client.get(f"/products/{boot.slug}").get_data(as_text=True)
    assert "Fit guide" in body and "Foot length" in body
    # Women's US 6 (the factory's first size) is (6 + 21) / 3 = 9.0 inches.
    assert re.search(r"<td>6</td><td>9.0</td><td>22.9</td>", body)
    assert "Easy closure" in body
    data = json.loads(re.search(r'<script type="application/ld\+json">(.+?)</script>', body,
                                re.S).group(1))
    assert data["@type"] == "Product" and data["name"] == "Marlow Wrap Boot"
    assert data["offers"][0]["availability"] == "https://schema.org/InStock"
    assert 'property="og:title"' in body and 'rel="canonical"' in body


def test_sold_out_offer_is_out_of_stock_in_json_ld(client, shelf):
    body = client.get(f"/products/{shelf[2].slug}").get_data(as_text=True)
    assert "https://schema.org/OutOfStock" in body


def test_robots_txt_keeps_crawlers_out_of_private_pages(client):
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /staff/" in body and "Disallow: /orders/" in body
    assert "Sitemap: http://shop.test/sitemap.xml" in body
