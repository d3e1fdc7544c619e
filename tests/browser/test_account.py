"""Shopper accounts in a real browser at phone width: sign in by the e-mailed link, set the
fit profile by keyboard, filter "Fits me", buy the mismatched pair the product page
preselects from the profile; axe clean and no sideways scrolling on every account page."""

import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from tests.browser.conftest import PHONE, serious_violations
from tests.browser.steps import set_available
from tests.browser.test_flows import arrow_to, tab_to
from tests.browser.test_reflow import _explain, overflow

EMAIL = "june.park@example.com"
LEFT, RIGHT = "HAW-9-M-BLA", "HAW-10-W-BLA"  # US 9 medium on the left, US 10 wide on the right


def sign_in_link(app, email):
    """The path of the newest sign-in link e-mailed to `email`, read from the outbox."""
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "account_sign_in").order_by(OutboxMessage.id.desc())).all()
        body = next(m.text_body for m in messages if m.recipients == [email])
        db.session.remove()
    return re.search(r"https?://[^/\s]+(/account/login/[\w-]+)", body).group(1)


def choose_by_keyboard(page, select, text):
    """Tab to a select and type the start of an option, as a keyboard user picks one."""
    tab_to(page, select)
    page.keyboard.type(text)
    assert page.eval_on_selector(select, "s => s.options[s.selectedIndex].text") == text


def test_sign_in_set_the_fit_by_keyboard_filter_and_buy_a_preselected_pair(shop, browser):
    app, url = shop
    set_available(app, LEFT, 3)
    set_available(app, RIGHT, 3)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    found, wide = {}, {}

    def check(name):
        found[name] = serious_violations(page)
        sideways = overflow(page)
        if sideways:
            wide[name] = sideways

    try:
        page.goto(url + "/")
        page.click("a.account-link")  # "Sign in" in the header
        page.wait_for_url(re.compile(r"/account/login$"))
        check("sign in")
        tab_to(page, "#email")
        page.keyboard.type(EMAIL)
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Check your e-mail")
        check("link sent")
        page.goto(url + sign_in_link(app, EMAIL))
        page.wait_for_url(re.compile(r"/account$"))
        assert f"You are signed in as {EMAIL}." in page.inner_text("#flash-region")
        check("account")

        page.click("text=Set my fit profile")
        page.wait_for_url(re.compile(r"/account/fit$"))
        check("fit profile")
        choose_by_keyboard(page, "#left_size", "9")
        choose_by_keyboard(page, "#left_width", "Medium")
        choose_by_keyboard(page, "#right_size", "10")
        choose_by_keyboard(page, "#right_width", "Wide")
        tab_to(page, "input[name=brace]")
        arrow_to(page, "left")
        tab_to(page, "#closure-zip")
        page.keyboard.press("Space")
        tab_to(page, "form.fit-form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Fit profile saved")
        assert page.is_checked("#brace-left") and page.is_checked("#closure-zip")

        page.goto(url + "/products?fit=me")
        check("fits me")
        titles = page.locator("h3.card-title").all_inner_texts()
        assert "Harbor AFO Walker" in titles
        assert set(page.locator("p.fit-tag").all_inner_texts()) == {"In your size"}
        page.goto(url + "/products")
        tags = page.locator("p.fit-tag").all_inner_texts()
        assert "Not in your size" in tags and "In your size" in tags

        page.goto(url + "/products/harbor-afo-walker")
        check("product with a preselected pair")
        left = page.eval_on_selector("#pair-left", "s => s.options[s.selectedIndex].text")
        right = page.eval_on_selector("#pair-right", "s => s.options[s.selectedIndex].text")
        assert left.startswith("Size 9, Medium,") and right.startswith("Size 10, Wide,")
        assert left.split(",")[2] == right.split(",")[2]  # one colour
        page.click("form.pair-form button[type=submit]")
        page.wait_for_url(re.compile(r"/cart"))
        assert "Left size 9 Medium, right size 10 Wide" in page.inner_text("main")

        page.goto(url + "/account/addresses/new")
        check("new address")
        page.click("form.address-form button[type=submit]")
        page.wait_for_selector(".field-error")
        check("new address with errors")
        page.goto(url + "/account/privacy")
        check("privacy")
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert wide == {}, _explain(wide)
