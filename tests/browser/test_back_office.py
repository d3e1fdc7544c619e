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


def _outbox_link(app, kind):
    from storefront.mail.models import OutboxMessage

    with app.app_context():
        message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                     .order_by(OutboxMessage.id.desc())).first()
        body = message.text_body
        db.session.remove()
    return re.search(r"https?://[^/\s]+(/staff/password/[\w-]+)", body).group(1)


def test_an_admin_invites_a_packer_who_sets_a_password_and_is_then_disabled(shop, page,
                                                                             context):
    app, url = shop
    found = {}
    staff_login(page, app, url, "admin")
    page.goto(url + "/staff/accounts")
    page.fill("#invite-email", "robin@demo.shop")
    page.fill("#invite-name", "Robin Ames")
    page.select_option("#invite-role", "warehouse")
    page.click("text=Send invitation")
    assert "Invited robin@demo.shop as Warehouse" in page.locator(".flash-success").inner_text()
    found["accounts"] = serious_violations(page)

    newcomer = context.browser.new_context(viewport=NARROW, bypass_csp=True)
    try:
        robin = newcomer.new_page()
        robin.goto(url + _outbox_link(app, "staff_invite"))
        found["set password at 320 px"] = serious_violations(robin)
        assert _overflow(robin) <= 0
        robin.fill("#password", "packing boxes all day long")
        robin.fill("#confirm", "packing boxes all day long")
        robin.click("text=Set password")
        assert "Your password is set" in robin.locator(".flash-success").inner_text()
        robin.fill("#email", "robin@demo.shop")
        robin.fill("#password", "packing boxes all day long")
        robin.click("form.staff-form button[type=submit]")
        robin.wait_for_url(lambda u: "/staff/login" not in u)
        assert robin.goto(url + "/staff/inventory").status == 200

        page.goto(url + "/staff/accounts")
        page.locator("li.account", has_text="robin@demo.shop").locator(
            "button", has_text="Disable").click()
        assert "Disabled robin@demo.shop" in page.locator(".flash-success").inner_text()
        robin.goto(url + "/staff/inventory")
        assert "/staff/login" in robin.url
    finally:
        newcomer.close()

    page.goto(url + "/staff/audit")
    log = page.locator("table").inner_text()
    assert "Invited" in log and "Accepted the invitation" in log and "Disabled" in log
    found["audit"] = serious_violations(page)
    page.set_viewport_size(NARROW)
    for path in ("/staff/accounts", "/staff/audit"):
        page.goto(url + path)
        found[f"{path} at 320 px"] = serious_violations(page)
        assert _overflow(page) <= 0, f"{path} scrolls sideways at 320 px"
    page.context.clear_cookies()
    page.goto(url + "/staff/login")
    page.click("text=Forgot your password?")
    found["password reset at 320 px"] = serious_violations(page)
    assert _overflow(page) <= 0
    page.fill("#email", "admin@demo.shop")
    page.click("text=Send the link")
    assert "If admin@demo.shop belongs to a staff account" in page.locator(
        ".flash-success").inner_text()
    assert {name: v for name, v in found.items() if v} == {}


def test_the_dashboard_has_plots_tables_and_downloads_for_each_role(shop, page):
    app, url = shop
    found = {}
    for role in ("admin", "warehouse", "marketing"):
        page.context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 900})
        staff_login(page, app, url, role)
        page.goto(url + "/staff/")
        assert page.locator("svg.chart").count() >= 1
        page.locator("details summary").first.click()  # the table behind the first plot
        assert page.locator("details[open] table").count() == 1
        found[role] = serious_violations(page)
        link = page.locator("a.csv-link").first
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".csv")
        page.set_viewport_size(NARROW)
        page.goto(url + "/staff/?days=90")
        found[f"{role} at 320 px"] = serious_violations(page)
        assert _overflow(page) <= 0, f"the {role} dashboard scrolls sideways at 320 px"
    assert {name: v for name, v in found.items() if v} == {}
