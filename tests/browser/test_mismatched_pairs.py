"""Mismatched pairs in a real browser: a different size or width for each foot, picked
with the product page's form (no JavaScript needed), one cart line, both shoes held and sold."""

import re

import pytest

from storefront.extensions import db
from storefront.inventory import service as inventory
from tests.browser.conftest import DESKTOP, PHONE, serious_violations
from tests.browser.steps import ADDRESS, set_available
from tests.browser.test_flows import tab_to

PRODUCT = "/products/harbor-afo-walker?colour=black"  # sold as mismatched pairs
LEFT, RIGHT = "HAW-9-M-BLA", "HAW-10-W-BLA"  # US 9 medium on the left, US 10 wide on the right


def levels(app, *variant_ids):
    """{variant_id: (reserved, committed, available)} straight from the inventory."""
    with app.app_context():
        found = inventory.levels(variant_ids)
        db.session.remove()
    return {vid: (found[vid].reserved, found[vid].committed, found[vid].available)
            for vid in variant_ids}


def pick(page, select, starts_with):
    """Choose the option of `select` whose text starts with `starts_with`; returns its value."""
    option = page.locator(f"{select} option", has_text=re.compile("^" + re.escape(starts_with)))
    assert option.count() == 1, f"{select} has no single option {starts_with!r}"
    value = option.get_attribute("value")
    page.select_option(select, value)
    return value


@pytest.fixture
def no_script_page(browser):
    """A shopper whose browser runs no JavaScript: only plain HTML forms can work."""
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_pair_with_a_different_size_and_width_per_foot_is_one_line_held_and_sold(
        shop, no_script_page):
    app, url = shop
    page = no_script_page
    left_id = set_available(app, LEFT, 3)
    right_id = set_available(app, RIGHT, 3)
    page.goto(url + PRODUCT)
    form = page.locator("form.pair-form")
    assert page.locator("#pair-heading").inner_text() == "Different size or width for each foot"
    assert form.get_attribute("method") == "post" and form.get_attribute("action") == "/cart/add"
    # The labels name the feet, so the shopper knows which select is which.
    assert page.locator("label[for=pair-left]").inner_text() == "Left foot"
    assert page.locator("label[for=pair-right]").inner_text() == "Right foot"
    assert pick(page, "#pair-left", "Size 9, Medium, Black") == str(left_id)
    assert pick(page, "#pair-right", "Size 10, Wide, Black") == str(right_id)
    page.fill("#pair-quantity", "1")
    page.click("form.pair-form button[type=submit]")
    page.wait_for_url(re.compile(r"/cart$"))

    assert "Added 1 pair of Harbor AFO Walker (left size 9 Medium, right size 10 Wide, " \
           "Black)" in page.locator("#flash-region").inner_text()
    lines = page.locator(".cart-line")
    assert lines.count() == 1  # one line describing both shoes, not two lines
    text = lines.inner_text()
    assert "Mismatched pair: Left size 9 Medium, right size 10 Wide, Black" in text
    assert f"SKU {LEFT} (left), {RIGHT} (right)" in text
    assert page.input_value(".cart-line input.qty") == "1"
    assert page.locator(".cart-subtotal strong").inner_text() == "$139.00"
    # Nothing is held while the pair only sits in the cart.
    assert levels(app, left_id, right_id) == {left_id: (0, 0, 3), right_id: (0, 0, 3)}

    page.click("text=Check out")
    page.wait_for_url(re.compile(r"/checkout/demo/"))
    # Checking out holds one shoe of each variant: the pair as the shopper chose it.
    assert levels(app, left_id, right_id) == {left_id: (1, 0, 2), right_id: (1, 0, 2)}
    for selector, value in ADDRESS.items():
        page.fill(selector, value)
    page.click("form.address-form button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/"))
    assert page.locator(".order-status").inner_text().startswith("Status: Paid")
    order_lines = page.locator(".order-lines tbody tr")
    assert order_lines.count() == 1
    assert f"SKU {LEFT} (left), {RIGHT} (right)" in order_lines.inner_text()
    assert order_lines.locator("td").nth(2).inner_text() == "1"
    # Paid: the holds became one sold unit of each shoe.
    assert levels(app, left_id, right_id) == {left_id: (0, 1, 2), right_id: (0, 1, 2)}


def test_a_sold_out_shoe_cannot_be_picked_for_either_foot(shop, no_script_page):
    app, url = shop
    page = no_script_page
    gone = set_available(app, RIGHT, 0)
    set_available(app, LEFT, 2)
    page.goto(url + PRODUCT)
    for select in ("#pair-left", "#pair-right"):
        option = page.locator(f"{select} option[value='{gone}']")
        assert option.is_disabled()
        assert option.inner_text().endswith("(sold out)")
        assert not page.locator(f"{select} option", has_text="Size 9, Medium, Black").is_disabled()


def test_a_product_not_sold_as_mismatched_pairs_offers_no_pair_form(shop, page):
    _, url = shop
    page.goto(url + "/products/linden-dual-strap-sandal")
    page.wait_for_selector("h1:has-text('Linden Dual-Strap Sandal')")
    assert page.locator("form.pair-form").count() == 0
    assert page.locator("#pair-left, #pair-right, input[name=right_variant_id], "
                        "select[name=right_variant_id]").count() == 0
    assert "Different size or width for each foot" not in page.locator("main").inner_text()


def test_a_mismatched_pair_can_be_chosen_added_and_checked_out_by_keyboard(shop, page):
    app, url = shop
    left_id = set_available(app, LEFT, 2)
    right_id = set_available(app, RIGHT, 2)
    page.goto(url + PRODUCT)
    tab_to(page, "#pair-left")
    page.keyboard.type("Size 9, Medium")  # a closed select takes type-ahead
    assert page.input_value("#pair-left") == str(left_id)
    tab_to(page, "#pair-right")
    page.keyboard.type("Size 10, Wide")
    assert page.input_value("#pair-right") == str(right_id)
    tab_to(page, "#pair-quantity")
    page.keyboard.press("Enter")  # Enter in a field submits its form
    page.wait_for_url(re.compile(r"/cart$"))
    assert f"SKU {LEFT} (left), {RIGHT} (right)" in page.locator(".cart-line").inner_text()
    tab_to(page, "form[action='/checkout'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/checkout/demo/"))
    assert levels(app, left_id, right_id) == {left_id: (1, 0, 1), right_id: (1, 0, 1)}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_pair_form_and_cart_with_a_pair_have_no_serious_violations(shop, page, viewport):
    app, url = shop
    set_available(app, LEFT, 2)
    set_available(app, RIGHT, 2)
    page.set_viewport_size(viewport)
    found = {}
    page.goto(url + PRODUCT)
    found["product with the pair form"] = serious_violations(page)
    pick(page, "#pair-left", "Size 9, Medium, Black")
    pick(page, "#pair-right", "Size 10, Wide, Black")
    page.click("form.pair-form button[type=submit]")
    page.wait_for_url(re.compile(r"/cart$"))
    assert page.locator(".cart-line").count() == 1
    found["cart with a pair"] = serious_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
