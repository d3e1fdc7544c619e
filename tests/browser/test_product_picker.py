"""Picking options on a product page, with JavaScript (updated in place, announced) and
without it (the answer loads at the result, not at the top of the page)."""

import re

import pytest

from tests.browser.conftest import PHONE
from tests.browser.steps import set_available

PRODUCT = "/products/harbor-afo-walker"


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def no_script_phone_page(browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _pick(page, size, width, colour):
    page.locator(".options-size label.option", has_text=size).first.click()
    page.locator(".options-width label.option", has_text=width).first.click()
    page.locator(".options-colour label.option", has_text=colour).first.click()


def test_picking_options_updates_price_stock_and_cart_form_in_place(shop, phone_page):
    app, url = shop
    page = phone_page
    wide = set_available(app, "HAW-9-W-BLA", 2)
    set_available(app, "HAW-9-M-BLA", 0)
    page.goto(url + PRODUCT)
    page.evaluate("() => { window.stayedOnThePage = true; }")
    _pick(page, "9", "Wide", "Black")
    page.wait_for_selector("#selection form.add-to-cart")
    assert page.locator("#selection .stock").inner_text() == "Only 2 left"
    assert page.locator("#selection input[name=variant_id]").get_attribute("value") == str(wide)
    assert page.locator("#add-quantity").get_attribute("max") == "2"
    # The status region tells screen reader users what the choice means.
    status = page.locator("#flash-region")
    assert "Only 2 left" in status.inner_text()
    assert "HAW" not in status.inner_text()
    assert re.search(r"size=9&width=W&colour=black$", page.url)
    # Switching to a sold-out width swaps the cart form for the back-in-stock sign-up.
    page.locator(".options-width label.option", has_text="Medium").first.click()
    page.wait_for_selector("#selection .notify-form")
    assert page.locator("#selection form.add-to-cart").count() == 0
    assert page.locator("#selection .stock").inner_text() == "Sold out"
    page.wait_for_function(
        "() => document.getElementById('flash-region').innerText.includes('Sold out')")
    # None of that reloaded the page.
    assert page.evaluate("() => window.stayedOnThePage") is True
    # The swapped-in cart form works.
    page.locator(".options-width label.option", has_text="Wide").first.click()
    page.wait_for_selector("#selection form.add-to-cart")
    page.click("#selection form.add-to-cart button[type=submit]")
    page.wait_for_url(re.compile(r"/cart$"))
    assert "HAW-9-W-BLA" in page.locator("main").inner_text()


def test_without_javascript_the_answer_loads_at_the_result(shop, no_script_phone_page):
    app, url = shop
    page = no_script_phone_page
    set_available(app, "HAW-9-W-BLA", 3)
    page.goto(url + PRODUCT)
    _pick(page, "9", "Wide", "Black")
    page.click("form.picker button[type=submit]")
    page.wait_for_url(re.compile(r"size=9&width=W&colour=black#selection$"))
    assert page.locator("#selection .stock").inner_text() == "Only 3 left"
    # The result and its Add to cart button are on screen, not below the gallery.
    button = page.locator("#selection form.add-to-cart button[type=submit]")
    box = button.bounding_box()
    assert page.evaluate("() => window.scrollY") > 0
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
