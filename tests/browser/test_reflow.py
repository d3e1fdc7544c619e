"""Reflow (WCAG 1.4.10): every page fits a 320 and a 390 CSS px wide screen with no
sideways scrolling of the page. Wide tables scroll inside their own labelled region.

The page lists are plain data: a new public or staff page is one more line.
"""

import re

from tests.browser.steps import ADDRESS, add_to_cart, product_id, set_available, staff_login

WIDTHS = (320, 390)
SKU = "HAW-9-W-BLA"

# Public pages that need nothing but the demo data.
PUBLIC_PAGES = [
    "/",
    "/products",
    "/products?size=9&width=W&in_stock=1",
    "/products?q=velcro",
    "/products/harbor-afo-walker",
    "/products/harbor-afo-walker?size=9&width=W&colour=black",
    "/products/linden-dual-strap-sandal",
    "/blog",
    "/blog/foot-drop-explained",
    "/blog/choosing-shoes-to-wear-with-an-afo",
    "/blog/authors/mira-marketing",
    "/pages/shipping",
    "/pages/accessibility",
    "/cart",
    "/account/login",
    "/no-such-page",
]

# Staff pages, visited logged in as admin. `{vid}` is the demo variant's id.
STAFF_PAGES = [
    "/staff/",
    "/staff/inventory",
    "/staff/inventory/{vid}",
    "/staff/inventory/receive",
    "/staff/inventory/import",
    "/staff/orders",
    "/staff/returns",
    "/staff/returns/report",
    "/staff/articles",
    "/staff/articles/new",
    "/staff/articles/report",
    "/staff/comments",
    "/staff/notices",
    "/staff/products",
    "/staff/products/{pid}/photos",
    "/staff/pages",
    "/staff/pages/new",
    "/staff/search",
    "/staff/profile",
    "/staff/discounts",
    "/staff/discounts/new",
    "/staff/shipping",
    "/staff/shipping/new",
    "/staff/taxes",
    "/staff/taxes/new",
]

# Pages found by following a link from a listing: (listing, link selector, name).
STAFF_DETAIL_PAGES = [
    ("/staff/orders", "main a[href*='/staff/orders/']", "staff order"),
    ("/staff/articles", "main a[href$='/edit']", "article editor"),
    ("/staff/products", "main a[href$='/edit']", "product editor"),
    ("/staff/pages", "main a[href$='/edit']", "shop page editor"),
]

# Widest element sticking out of the viewport, to make a failure readable.
MEASURE = """() => {
  const width = window.innerWidth;
  const doc = document.documentElement.scrollWidth;
  const sticking = [];
  if (doc > width) {
    // Elements that stick out while their parent does not: where the overflow starts.
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('.table-scroll')) continue;  // scrolls in its own region
      const parent = el.parentElement.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && parent.right <= width + 1 && sticking.length < 4) {
        const cls = typeof el.className === 'string' ? el.className : '';
        sticking.push(`${el.tagName.toLowerCase()}.${cls} right=${Math.round(r.right)}`);
      }
    }
  }
  return {scrollWidth: doc, innerWidth: width, sticking};
}"""


def overflow(page):
    """{width: measurement} for each width in WIDTHS where the page scrolls sideways."""
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        seen = page.evaluate(MEASURE)
        if seen["scrollWidth"] > seen["innerWidth"]:
            found[width] = seen
    page.set_viewport_size({"width": WIDTHS[-1], "height": 800})
    return found


def _explain(found):
    return "\n".join(f"{name} at {width} px: {seen}" for name, wide in found.items()
                     for width, seen in wide.items())


def _record(page, found, name):
    wide = overflow(page)
    if wide:
        found[name] = wide


def test_public_pages_and_a_whole_purchase_reflow_at_320_and_390_px(shop, browser):
    app, url = shop
    set_available(app, SKU, 4)
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    found = {}
    try:
        for path in PUBLIC_PAGES:
            page.goto(url + path)
            _record(page, found, path)
        # Every page of a purchase, in the order a shopper meets them.
        add_to_cart(page, url, "harbor-afo-walker", 9, "W", "black")
        _record(page, found, "cart with a line")
        page.fill("#discount-code", "NO-SUCH-CODE")
        page.click("text=Apply code")
        page.wait_for_selector("#discount-code-error")
        _record(page, found, "cart with a refused code")
        page.click("text=Check out")
        page.wait_for_url(re.compile(r"/checkout/demo/"))
        _record(page, found, "demo payment page")
        page.click("form.address-form button[type=submit]")
        page.wait_for_selector(".field-error")
        _record(page, found, "demo payment page with errors")
        for selector, value in ADDRESS.items():
            page.fill(selector, value)
        page.click("form.address-form button[type=submit]")
        page.wait_for_url(re.compile(r"/orders/"))
        _record(page, found, "order page")
    finally:
        context.close()
    assert found == {}, _explain(found)


def test_staff_pages_reflow_at_320_and_390_px(shop, browser):
    app, url = shop
    vid = set_available(app, SKU, 4)
    pid = product_id(app, "harbor-afo-walker")
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    found = {}
    try:
        # An order for the order pages to show.
        add_to_cart(page, url, "harbor-afo-walker", 9, "W", "black")
        page.click("text=Check out")
        page.wait_for_url(re.compile(r"/checkout/demo/"))
        for selector, value in ADDRESS.items():
            page.fill(selector, value)
        page.click("form.address-form button[type=submit]")
        page.wait_for_url(re.compile(r"/orders/"))

        page.goto(url + "/staff/login")
        _record(page, found, "staff login")
        staff_login(page, app, url, "admin")
        for path in STAFF_PAGES:
            response = page.goto(url + path.format(vid=vid, pid=pid))
            assert response.status == 200, path
            _record(page, found, path)
        for listing, link, name in STAFF_DETAIL_PAGES:
            page.goto(url + listing)
            page.locator(link).first.click()
            page.wait_for_load_state()
            _record(page, found, name)
    finally:
        context.close()
    assert found == {}, _explain(found)


def test_wide_tables_scroll_in_a_labelled_focusable_region(shop, page):
    app, url = shop
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(url + "/products/harbor-afo-walker")
    regions = page.locator(".table-scroll")
    assert regions.count() > 0
    for i in range(regions.count()):
        region = regions.nth(i)
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("tabindex") == "0"
        label_id = region.get_attribute("aria-labelledby")
        assert label_id and page.locator(f"#{label_id}").inner_text().strip()
    # The options table is wider than the phone, so its own region scrolls, by keyboard too.
    options = page.locator(".table-scroll:has(table.variants)")
    assert options.evaluate("el => el.scrollWidth > el.clientWidth")
    options.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=options.element_handle())
