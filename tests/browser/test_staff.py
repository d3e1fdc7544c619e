"""What staff do in a real browser, and what shoppers then see: stock, articles, comments."""

import re

from sqlalchemy import select

from storefront.catalogue.models import Product
from storefront.extensions import db
from tests.browser.steps import set_available, staff_login

SKU = "HAW-9-W-BLA"
PRODUCT = "/products/harbor-afo-walker?size=9&width=W&colour=black"


def test_warehouse_adjusts_stock_and_the_product_page_shows_the_new_level(shop, page):
    app, url = shop
    vid = set_available(app, SKU, 3)
    page.goto(url + PRODUCT)
    assert page.locator(".selection .stock").inner_text() == "Only 3 left"

    staff_login(page, app, url, "warehouse")
    page.goto(f"{url}/staff/inventory/{vid}")
    page.fill("#delta", "12")
    page.select_option("#reason", "received")
    page.fill("#adjust-note", "Delivery 4471")
    page.click("text=Save adjustment")
    page.wait_for_url(re.compile(rf"/staff/inventory/{vid}$"))
    message = page.locator(".flash-success").inner_text()
    assert "On hand changed from" in message and "(+12, Received delivery)" in message
    assert "Available now 15" in message
    assert page.locator(".levels").get_by_text("Available").locator("xpath=..").inner_text() \
        .endswith("15")
    assert "Delivery 4471" in page.locator("table").inner_text()

    page.goto(url + PRODUCT)
    assert page.locator(".selection .stock").inner_text() == "In stock"
    assert page.locator("#add-quantity").get_attribute("max") in ("10", "15")


def _sell_out(app, slug):
    with app.app_context():
        product = db.session.scalar(select(Product).filter_by(slug=slug))
        skus = [v.sku for v in product.variants]
        db.session.remove()
    for sku in skus:
        set_available(app, sku, 0)


def test_marketing_publishes_an_article_whose_product_card_shows_live_stock(shop, page):
    app, url = shop
    staff_login(page, app, url, "marketing")
    page.goto(url + "/staff/articles/new")
    page.fill("#title", "Walking further with a brace")
    page.fill("#slug", "walking-further-with-a-brace")
    page.fill("#summary", "Three small changes that make an ankle brace easier to live with.")
    page.fill("#body", "Start with a shoe that opens wide.\n\n[[product:harbor-afo-walker]]\n\n"
                       "Then give the brace a day or two to settle in.")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r"/staff/articles/\d+/edit"))
    assert "Saved “Walking further with a brace” (draft)." in page.locator(".flash").inner_text()
    page.click("text=Publish now")
    page.wait_for_load_state()
    assert "it is live on the blog now" in page.locator(".flash").inner_text()

    page.goto(url + "/blog/walking-further-with-a-brace")
    card = page.locator("aside.article-product")
    assert card.locator(".article-product-title").inner_text() == "Harbor AFO Walker"
    stock = card.locator(".stock").inner_text()
    assert stock == "In stock" or re.fullmatch(r"Only \d+ left", stock)
    assert card.get_by_role("link", name=re.compile("Choose size and width")).count() == 1

    _sell_out(app, "harbor-afo-walker")
    page.reload()
    assert card.locator(".stock").inner_text() == "Sold out for now"
    assert card.get_by_role("link", name=re.compile("See the product page")).count() == 1


def test_a_comment_appears_only_after_approval(shop, browser, page):
    app, url = shop
    page.goto(url + "/blog")
    page.locator("main article a, main h2 a").first.click()
    page.wait_for_selector("#comment-form")
    article = page.url
    page.fill("#name", "June Park")
    page.fill("#email", "june@example.com")
    page.fill("#body", "The tip about measuring with the brace on saved me a return.")
    page.click("#comment-form button[type=submit]")
    page.wait_for_load_state()
    assert "once our team has approved it" in page.locator("#flash-region").inner_text()
    assert "saved me a return" not in page.locator("section.comments").inner_text()

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        moderator = staff.new_page()
        staff_login(moderator, app, url, "marketing")
        moderator.goto(url + "/staff/comments")
        item = moderator.locator(".moderation-item", has_text="June Park")
        assert "saved me a return" in item.inner_text()
        item.locator("input[type=checkbox]").check()
        moderator.click("button[name=action][value=approve]")
        moderator.wait_for_load_state()
        assert moderator.locator(".flash-success").inner_text() == "Approved: 1 comment."
    finally:
        staff.close()

    page.goto(article)
    comments = page.locator("section.comments")
    assert "June Park" in comments.inner_text()
    assert "saved me a return" in comments.inner_text()
