"""What a shopper sees and can do in a real browser: finding a shoe, the picker, focus."""

import re

import pytest

from tests.browser.conftest import serious_violations

PUBLIC_PAGES = ["/", "/products", "/products?size=8&width=W&in_stock=1",
                "/products/harbor-afo-walker", "/products/linden-dual-strap-sandal",
                "/no-such-page"]


def test_shopper_finds_a_shoe_by_size_and_width(shop, page):
    _, url = shop
    page.goto(url + "/products")
    page.select_option("#size", "9")
    page.select_option("#width", "W")
    page.check("#in_stock")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"size=9"))
    assert "width=W" in page.url and "in_stock=1" in page.url
    cards = page.locator(".card-title")
    assert cards.count() > 0
    first = cards.first.inner_text()
    cards.first.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == first
    page.locator("label.option", has_text="9").first.click()
    page.locator(".options-width label.option", has_text="Wide").first.click()
    page.locator(".options-colour label.option").first.click()
    page.click("form.picker button[type=submit]")
    status = page.locator(".selection .stock").inner_text()
    assert status in ("In stock", "Sold out") or status.startswith("Only ")
    assert "-" not in status


def test_picker_is_keyboard_operable(shop, page):
    _, url = shop
    page.goto(url + "/products/harbor-afo-walker")
    page.focus(".options-size input[type=radio] >> nth=0")
    page.keyboard.press("ArrowRight")  # moves within the radio group, as native radios do
    page.keyboard.press("Tab")          # to the width group
    page.keyboard.press("Space")
    page.keyboard.press("Tab")          # to the colour group
    page.keyboard.press("Space")
    page.keyboard.press("Tab")          # to "Check availability"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"size=9&width=M&colour=black"))
    assert "SKU HAW-9-M-BLA" in page.locator(".selection").inner_text()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_accessibility_violations(shop, page, path):
    _, url = shop
    page.goto(url + path)
    assert serious_violations(page) == []


def test_every_control_on_the_product_page_is_reachable_by_tab_with_visible_focus(shop, page):
    _, url = shop
    page.goto(url + "/products/tessa-easy-entry-sneaker?size=8&width=W&colour=navy")
    expected = page.evaluate("""() => [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea')]
        .filter(el => el.offsetParent !== null || el.type === 'radio')
        .map(el => el.outerHTML.slice(0, 80))""")
    reached, unfocused = set(), []
    for _ in range(len(expected) + 10):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement;
            const target = el.matches('.option input') ? el.nextElementSibling : el;
            const style = getComputedStyle(target);
            const visible = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                || style.boxShadow !== 'none';
            return {html: el.outerHTML.slice(0, 80), visible};
        }""")
        if info["html"].startswith("<body"):
            continue  # past the last control the browser focuses the page itself
        reached.add(info["html"])
        if not info["visible"]:
            unfocused.append(info["html"])
    radios = [h for h in expected if 'type="radio"' in h]
    others = [h for h in expected if 'type="radio"' not in h]
    # One radio per group takes focus (arrow keys move inside a group), so check groups.
    assert all(h in reached for h in others), set(others) - reached
    assert len([h for h in reached if 'type="radio"' in h]) >= 3 or not radios
    assert unfocused == []


def test_targets_are_at_least_44px(shop, page):
    _, url = shop
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url + "/products/harbor-afo-walker")
    small = page.evaluate("""() => [...document.querySelectorAll(
        'a[href], button, select, input[type=search], .option > span')]
        .filter(el => el.offsetParent !== null)
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.height < 44 && !el.closest('p, li, td, nav.breadcrumbs'); })
        .map(el => el.outerHTML.slice(0, 60))""")
    assert small == []
