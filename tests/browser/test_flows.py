"""Whole shopper journeys in a real browser: find, pick, pay, and the last pair."""

import re

from tests.browser.steps import ADDRESS, add_to_cart, check_out_and_pay, set_available

SKU = "HAW-9-W-BLA"  # Harbor AFO Walker, US 9, wide, black


def tab_to(page, selector, limit=80):
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def arrow_to(page, value, limit=20):
    """Move through the focused radio group with the arrow key until `value` is checked."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement.value") == value:
            # Tab into a group with nothing checked focuses the first radio unchecked.
            if not page.evaluate("() => document.activeElement.checked"):
                page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the radio group has no {value}")


def test_shopper_finds_a_shoe_picks_options_pays_and_sees_the_paid_order(shop, page):
    app, url = shop
    set_available(app, SKU, 7)
    page.goto(url + "/products")
    page.select_option("#size", "9")
    page.select_option("#width", "W")
    page.check("#in_stock")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"size=9"))
    page.locator(".card-title", has_text="Harbor AFO Walker").click()
    page.wait_for_selector("h1:has-text('Harbor AFO Walker')")
    page.locator(".options-size label.option", has_text=re.compile(r"^\s*9\s*$")).click()
    page.locator(".options-width label.option", has_text=re.compile(r"^\s*Wide")).click()
    page.locator(".options-colour label.option", has_text="Black").click()
    page.click("form.picker button[type=submit]")
    assert "SKU " + SKU in page.locator(".selection").inner_text()
    assert page.locator(".selection .stock").inner_text() == "In stock"  # 7 is above the low mark
    page.fill("#add-quantity", "2")
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_url(re.compile(r"/cart"))
    line = page.locator(".cart-line")
    assert line.count() == 1
    assert "Harbor AFO Walker" in line.inner_text() and SKU in line.inner_text()
    assert page.input_value(".cart-line input.qty") == "2"

    check_out_and_pay(page)
    assert page.locator(".order-status").inner_text().startswith("Status: Paid")
    lines = page.locator(".order-lines tbody tr")
    assert lines.count() == 1
    assert "Harbor AFO Walker" in lines.inner_text() and SKU in lines.inner_text()
    assert lines.locator("td").nth(2).inner_text() == "2"
    assert "Rosa Marsh" in page.locator("address").inner_text()
    # The two pairs left the shelf: the product page now shows 5 available.
    page.goto(f"{url}/products/harbor-afo-walker?size=9&width=W&colour=black")
    assert page.locator(".selection .stock").inner_text() == "Only 5 left"


def test_the_whole_purchase_works_with_the_keyboard_alone(shop, page):
    app, url = shop
    set_available(app, SKU, 5)
    page.goto(url + "/products")
    tab_to(page, "#size")
    page.keyboard.type("9")        # a closed select takes type-ahead, as in any browser
    tab_to(page, "#width")
    page.keyboard.type("Wide")
    tab_to(page, "#in_stock")
    page.keyboard.press("Space")
    tab_to(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"size=9&.*width=W"))
    assert "in_stock=1" in page.url
    tab_to(page, "a[href^='/products/harbor-afo-walker']")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Harbor AFO Walker')")
    tab_to(page, ".options-size input")
    arrow_to(page, "9")
    tab_to(page, ".options-width input")
    arrow_to(page, "W")
    tab_to(page, ".options-colour input")
    arrow_to(page, "black")
    tab_to(page, "form.picker button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"colour=black"))
    assert "SKU " + SKU in page.locator(".selection").inner_text()
    tab_to(page, "form.add-to-cart button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cart"))
    assert SKU in page.locator(".cart-line").inner_text()
    tab_to(page, "form[action='/checkout'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/checkout/demo/"))
    for selector, value in ADDRESS.items():
        tab_to(page, selector)
        page.keyboard.type(value)
    tab_to(page, "form.address-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/orders/"))
    assert page.locator(".order-status").inner_text().startswith("Status: Paid")
    assert SKU in page.locator(".order-lines tbody").inner_text()


def test_a_second_shopper_sees_the_last_pair_sold_out_and_cannot_add_it(shop, browser, page):
    app, url = shop
    set_available(app, SKU, 1)
    product = f"{url}/products/harbor-afo-walker?size=9&width=W&colour=black"
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        b = other.new_page()
        b.goto(product)
        assert b.locator(".selection .stock").inner_text() == "Only 1 left"

        add_to_cart(page, url, "harbor-afo-walker", 9, "W", "black")
        check_out_and_pay(page)
        assert page.locator(".order-status").inner_text().startswith("Status: Paid")

        # Shopper B still has the old page open and tries to add the pair anyway.
        b.click("form.add-to-cart button[type=submit]")
        b.wait_for_load_state()
        assert "Sold out" in b.locator("main").inner_text()
        b.goto(url + "/cart")
        assert b.locator(".cart-line").count() == 0 or \
            "Sold out" in b.locator(".cart-line").inner_text()
        # A fresh look at the product: the option is marked sold out and cannot be added.
        b.goto(product)
        assert b.locator(".selection .stock").inner_text() == "Sold out"
        assert b.locator("form.add-to-cart").count() == 0
        wide = b.locator(".options-width label.option", has_text=re.compile(r"^\s*Wide"))
        assert "(sold out)" in wide.inner_text()
        row = b.get_by_role("row", name=re.compile(r"^Black 9 Wide "))
        assert "Sold out" in row.inner_text()
    finally:
        other.close()
