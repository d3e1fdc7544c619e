"""A shopper on a phone asks for an exchange from the order page by keyboard alone; the
replacement is held at once. The return pages pass axe and fit a 320 px screen."""

import re

from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from tests.browser.conftest import PHONE, serious_violations
from tests.browser.steps import add_to_cart, check_out_and_pay, set_available, staff_login
from tests.browser.test_flows import arrow_to, tab_to
from tests.browser.test_reflow import overflow

BOUGHT = "HAW-9-W-BLA"
WANTED = "HAW-10-W-BLA"
WANTED_LABEL = "Size 10, Wide, Black"


def _ship_last_order(app):
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        checkout.ship_order(order.id, "USPS", "9400BROWSER", actor="packer@demo.shop")
        db.session.remove()


def _available(app, vid):
    with app.app_context():
        units = inventory.get_levels(vid).available
        db.session.remove()
    return units


def _choose(page, text, limit=60):
    """On the focused select, press ArrowDown until the chosen option reads `text`."""
    for _ in range(limit):
        chosen = page.evaluate(
            "() => document.activeElement.selectedOptions[0].textContent")
        if text in chosen:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {text!r}")


def test_a_shopper_on_a_phone_exchanges_by_keyboard(shop, browser):
    app, url = shop
    set_available(app, BOUGHT, 3)
    wanted = set_available(app, WANTED, 1)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    wide, problems = {}, {}
    try:
        add_to_cart(page, url, "harbor-afo-walker", 9, "W", "black")
        check_out_and_pay(page)
        order_url = page.url
        _ship_last_order(app)

        page.goto(order_url)
        tab_to(page, "a[href$='/returns/new']")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/returns/new$"))
        problems["return form"] = serious_violations(page)
        wide["return form"] = overflow(page)

        tab_to(page, "select[id^='quantity-']")
        _choose(page, "1")
        tab_to(page, "select[id^='variant-']")
        _choose(page, WANTED_LABEL)
        tab_to(page, "input[name=resolution]")
        arrow_to(page, "exchange")
        tab_to(page, "#reason")
        _choose(page, "Too small")
        tab_to(page, "#note")
        page.keyboard.type("Toes touch the end with the brace in.")
        tab_to(page, "form.return-form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(order_url)

        flash = page.locator("#flash-region").inner_text()
        assert re.search(r"Return R-SA-\w+-1 is requested", flash), flash
        returns = page.locator("section[aria-labelledby=returns-title]").inner_text()
        assert WANTED_LABEL in returns and "Held for you until" in returns
        # Held the moment it was asked: nobody else can buy the last one now.
        assert _available(app, wanted) == 0
        problems["order page with a return"] = serious_violations(page)
        wide["order page with a return"] = overflow(page)

        staff_login(page, app, url, "admin")
        for path in ("/staff/returns", "/staff/returns/report"):
            page.goto(url + path)
            problems[path] = serious_violations(page)
            wide[path] = overflow(page)
        page.goto(url + "/staff/returns")
        page.locator("main a[href*='/staff/returns/']:not([href$='report'])").first.click()
        page.wait_for_url(re.compile(r"/staff/returns/\d+$"))
        problems["staff return"] = serious_violations(page)
        wide["staff return"] = overflow(page)
    finally:
        context.close()
    assert {name: v for name, v in problems.items() if v} == {}
    assert {name: v for name, v in wide.items() if v} == {}
