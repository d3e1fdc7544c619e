"""The back office in a real browser: a merchant adds a new shoe, makes its variants,
the warehouse receives it, and shoppers can buy it; the pages pass axe at phone width."""

import re

from sqlalchemy import select

from storefront.catalogue.models import Colour, Size, Width
from storefront.extensions import db
from tests.browser.conftest import serious_violations
from tests.browser.steps import staff_login

NARROW = {"width": 320, "height": 700}


def _option_ids(app):
    with app.app_context():
        ids = {
            "sizes": [db.session.scalar(select(Size.id).where(Size.label == s)) for s in "78"],
            "width": db.session.scalar(select(Width.id).where(Width.code == "M")),
            "colours": [db.session.scalar(select(Colour.id).where(Colour.slug == c))
                        for c in ("navy", "black")],
        }
        db.session.remove()
    return ids


def _overflow(page):
    """How far the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_new_shoe_from_the_editor_to_the_shop(shop, page, context):
    app, url = shop
    ids = _option_ids(app)
    found = {}
    staff_login(page, app, url, "admin")

    page.goto(url + "/staff/products")
    page.click("text=New product")
    page.fill("#title", "Juniper Zip Boot")
    page.fill("#summary", "An ankle boot with a zip from heel to toe.")
    page.select_option("#category", "boots")
    page.select_option("#gender", "women")
    page.fill("#tags", "Easy closure, Water resistant")
    page.fill("#size_chart", "7: 23.8\n8: 24.6")
    found["new product"] = serious_violations(page)
    page.click("text=Create product")
    page.wait_for_url(re.compile(r"/staff/products/\d+/edit$"))
    assert "Created Juniper Zip Boot as a draft" in page.locator(".flash-success").inner_text()
    found["editor"] = serious_violations(page)

    page.click("text=Variants and prices")
    page.wait_for_url(re.compile(r"/variants$"))
    for size in ids["sizes"]:
        page.check(f"#size-{size}")
    page.check(f"#width-{ids['width']}")
    for colour in ids["colours"]:
        page.check(f"#colour-{colour}")
    page.fill("#price", "129.00")
    page.fill("#compare_at", "149.00")
    page.click("button[value=preview]")
    assert "Preview: 4 new variant(s)" in page.locator(".grid-preview h3").inner_text()
    assert "JZB-7-M-NAVY" in page.locator(".grid-preview").inner_text()
    found["variant grid preview"] = serious_violations(page)
    page.click("button[value=create]")
    page.wait_for_url(re.compile(r"/variants$"))
    assert "Made 4 variant(s) at $129.00" in page.locator(".flash-success").inner_text()
    assert page.locator(".variant-grid tbody tr").count() == 4
    found["variant grid"] = serious_violations(page)

    page.fill(f"#{page.locator('input[id^=price-]').first.get_attribute('id')}", "119.00")
    page.click("text=Save variants")
    assert "price $129.00 → $119.00" in page.locator(".flash-success").inner_text()

    page.locator(".breadcrumbs a").nth(1).click()
    page.wait_for_url(re.compile(r"/edit$"))
    page.check("input[name=status][value=published]")
    page.click("text=Save")
    assert "now published" in page.locator(".flash-success").inner_text()

    page.goto(url + "/staff/inventory/receive")
    page.fill("#lines", "JZB-7-M-NAVY, 6")
    page.click("main button[type=submit]")
    assert "Received 6 unit(s)" in page.locator(".flash-success").inner_text()

    shopper = context.browser.new_context(viewport=NARROW)
    try:
        buyer = shopper.new_page()
        buyer.goto(url + "/products/juniper-zip-boot?size=7&width=M&colour=navy")
        assert buyer.locator("h1").inner_text() == "Juniper Zip Boot"
        assert buyer.locator(".selection .stock").inner_text() == "In stock"
        chart = buyer.locator(".fit-guide table").first.inner_text()
        assert "23.8" in chart and "24.6" in chart
        buyer.goto(url + "/products/juniper-zip-boot?size=8&width=M&colour=black")
        assert buyer.locator(".selection .stock").inner_text() == "Sold out"
    finally:
        shopper.close()

    page.set_viewport_size(NARROW)
    for name, path in (("products", "/staff/products"), ("new product", "/staff/products/new"),
                       ("editor", page.url.replace(url, "")),
                       ("variant grid", page.url.replace(url, "").replace("/edit",
                                                                          "/variants"))):
        page.goto(url + path)
        found[f"{name} at 320 px"] = serious_violations(page)
        assert _overflow(page) <= 0, f"{name} scrolls sideways at 320 px"
    assert {name: v for name, v in found.items() if v} == {}
