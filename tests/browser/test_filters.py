"""The catalogue's filters on a phone: folded behind a "Filter" disclosure, so the shoes
come first, and usable by keyboard alone."""

import re

from tests.browser.conftest import PHONE


def test_on_a_phone_the_shoes_come_before_the_folded_filters(shop, page):
    _, url = shop
    page.set_viewport_size(PHONE)
    page.goto(url + "/products")
    assert page.locator("#filters").get_attribute("open") is None
    assert not page.locator("#size").is_visible()
    first_card = page.locator(".card").first.bounding_box()
    assert first_card["y"] < PHONE["height"]


def test_on_a_desktop_the_filters_start_unfolded(shop, page):
    _, url = shop
    page.goto(url + "/products")
    assert page.locator("#size").is_visible()


def test_the_filter_disclosure_works_by_keyboard_and_counts_active_filters(shop, page):
    _, url = shop
    page.set_viewport_size(PHONE)
    page.goto(url + "/products")
    page.focus("#filters > summary")
    page.keyboard.press("Enter")
    assert page.locator("#size").is_visible()
    page.focus("#size")
    page.select_option("#size", "9")
    page.keyboard.press("Tab")  # to the width select
    page.select_option("#width", "W")
    page.focus("form.filters button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"size=9&width=W"))
    summary = page.locator("#filters > summary")
    assert summary.inner_text() == "Filter (2 active)"
    # Folded again after the reload: the matching shoes are what the shopper sees first.
    assert not page.locator("#size").is_visible()
    page.focus("#filters > summary")
    page.keyboard.press("Space")
    assert page.locator("#size").input_value() == "9"
