"""axe-core on every public page and the main staff pages: no serious or critical issues."""

import re

from tests.browser.conftest import serious_violations
from tests.browser.steps import ADDRESS, add_to_cart, product_id, set_available, staff_login

SKU = "HAW-9-W-BLA"


def _check(page, found, name):
    found[name] = serious_violations(page)


def test_public_pages_along_a_purchase_have_no_serious_violations(shop, page):
    app, url = shop
    set_available(app, SKU, 4)
    found = {}
    for name, path in [("home", "/"), ("catalogue", "/products?size=9&width=W"),
                       ("product", "/products/harbor-afo-walker?size=9&width=W&colour=black"),
                       ("blog index", "/blog"), ("author", "/blog/authors/mira-marketing"),
                       ("404", "/no-such-page"),
                       ("empty cart", "/cart"), ("sign in", "/account/login")]:
        page.goto(url + path)
        _check(page, found, name)
    page.goto(url + "/blog")
    page.locator("main article a, main h2 a").first.click()
    page.wait_for_selector("#comment-form")
    _check(page, found, "article")
    # A failed comment shows the error summary and marked fields.
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector(".form-errors")
    _check(page, found, "article with comment errors")

    add_to_cart(page, url, "harbor-afo-walker", 9, "W", "black")
    _check(page, found, "cart with a line")
    page.fill("#discount-code", "NO-SUCH-CODE")
    page.click("text=Apply code")
    page.wait_for_selector("#discount-code-error")
    _check(page, found, "cart with a refused code")
    page.click("text=Check out")
    page.wait_for_url(re.compile(r"/checkout/demo/"))
    _check(page, found, "demo payment page")
    page.click("form.address-form button[type=submit]")  # empty: the field errors show
    page.wait_for_selector(".field-error")
    _check(page, found, "demo payment page with errors")
    for selector, value in ADDRESS.items():
        page.fill(selector, value)
    page.click("form.address-form button[type=submit]")
    page.wait_for_url(re.compile(r"/orders/"))
    _check(page, found, "order page")
    # The phone layout stacks and hides things differently: check the main pages again.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ["/", "/products?size=9", "/products/harbor-afo-walker", "/cart",
                 "/blog/foot-drop-explained"]:
        page.goto(url + path)
        _check(page, found, "phone " + path)
    assert {name: v for name, v in found.items() if v} == {}


def test_main_staff_pages_have_no_serious_violations(shop, browser, page):
    app, url = shop
    vid = set_available(app, SKU, 4)
    # An order and a pending comment, so their pages have something to show.
    shopper = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        buyer = shopper.new_page()
        add_to_cart(buyer, url, "harbor-afo-walker", 9, "W", "black")
        buyer.click("text=Check out")
        buyer.wait_for_url(re.compile(r"/checkout/demo/"))
        for selector, value in ADDRESS.items():
            buyer.fill(selector, value)
        buyer.click("form.address-form button[type=submit]")
        buyer.wait_for_url(re.compile(r"/orders/"))
        buyer.goto(url + "/blog")
        buyer.locator("main article a, main h2 a").first.click()
        buyer.fill("#name", "June Park")
        buyer.fill("#email", "june@example.com")
        buyer.fill("#body", "Measuring with the brace on helped.")
        buyer.click("#comment-form button[type=submit]")
        buyer.wait_for_load_state()
    finally:
        shopper.close()

    found = {}
    page.goto(url + "/staff/login")
    _check(page, found, "login")
    staff_login(page, app, url, "admin")
    pages = [("staff home", "/staff/"), ("inventory", "/staff/inventory"),
             ("variant", f"/staff/inventory/{vid}"), ("orders", "/staff/orders"),
             ("returns", "/staff/returns"), ("returns report", "/staff/returns/report"),
             ("articles", "/staff/articles"), ("new article", "/staff/articles/new"),
             ("comments", "/staff/comments"), ("author profile", "/staff/profile"),
             ("product photos",
              f"/staff/products/{product_id(app, 'harbor-afo-walker')}/photos"),
             ("discount codes", "/staff/discounts"),
             ("new discount code", "/staff/discounts/new"),
             ("shipping rates", "/staff/shipping"), ("new shipping rate", "/staff/shipping/new"),
             ("tax rates", "/staff/taxes"), ("new tax rate", "/staff/taxes/new")]
    for name, path in pages:
        response = page.goto(url + path)
        assert response.status == 200, path
        _check(page, found, name)
    page.goto(url + "/staff/orders")
    page.locator("main a[href*='/staff/orders/']").first.click()
    page.wait_for_url(re.compile(r"/staff/orders/\d+"))
    _check(page, found, "order")
    page.goto(url + "/staff/articles")
    page.locator("main a[href$='/edit']").first.click()
    page.wait_for_url(re.compile(r"/staff/articles/\d+/edit"))
    _check(page, found, "article editor")
    # A rejected adjustment shows the error state of the variant page.
    page.goto(f"{url}/staff/inventory/{vid}")
    page.fill("#delta", "-999")
    page.select_option("#reason", "correction")
    page.click("text=Save adjustment")
    page.wait_for_selector(".flash-error")
    _check(page, found, "variant with an error")
    assert {name: v for name, v in found.items() if v} == {}
