"""Slugs and absolute links, the same rule wherever the shop makes them."""

from flask import url_for

from storefront.links import absolute_url, slugify


def test_slugs_are_lower_case_ascii_words_cut_without_a_trailing_hyphen():
    assert slugify("Trail Walker — Wide (2E)") == "trail-walker-wide-2e"
    assert slugify("  ¡Hola!  ") == "hola"
    assert slugify("ab cd", max_length=3) == "ab"
    assert slugify("☃") == ""


def test_absolute_links_use_public_url_not_the_host_a_request_came_in_on(app):
    # 127.0.0.1 is a host the shop answers on in development, but not its public address.
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert url_for("catalogue.product", slug="x", _external=True).startswith(
            "http://127.0.0.1:5000")
        assert absolute_url("catalogue.product", slug="x") == "http://shop.test/products/x"
    assert absolute_url("articles.index", page=None) == "http://shop.test/blog"
