"""Back-in-stock sign-up in a real browser: the notify-me form on a sold-out option,
the confirmation message and e-mail (double opt-in), errors at the field, the keyboard."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from storefront.notices.models import BackInStockRequest
from tests.browser.conftest import DESKTOP, PHONE, serious_violations
from tests.browser.steps import set_available
from tests.browser.test_flows import tab_to

SKU = "HAW-9-W-BLA"
PRODUCT = "/products/harbor-afo-walker?size=9&width=W&colour=black"
NAME = "Harbor AFO Walker (Size 9, Wide, Black)"
BAD_ADDRESS = "Enter an e-mail address like name@example.com."


def confirmation_mails(app):
    """The back-in-stock confirmation e-mails in the outbox: [(recipients, text body)]."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)
                                  .where(OutboxMessage.kind == "back_in_stock_confirm")
                                  .order_by(OutboxMessage.id)).all()
        found = [(row.recipients, row.text_body) for row in rows]
        db.session.remove()
    return found


def sign_ups(app):
    """[(email, variant id, confirmed?)] of every back-in-stock sign-up."""
    with app.app_context():
        rows = db.session.scalars(select(BackInStockRequest)
                                  .order_by(BackInStockRequest.id)).all()
        found = [(r.email, r.variant_id, r.confirmed_at is not None) for r in rows]
        db.session.remove()
    return found


def open_sold_out_option(page, app, url):
    vid = set_available(app, SKU, 0)
    page.goto(url + PRODUCT)
    assert page.locator(".selection .stock").inner_text() == "Sold out"
    assert page.locator("form.add-to-cart").count() == 0
    return vid


def assert_field_error(page, typed):
    """The bad address is refused at the field: error beside it, tied to it, input kept."""
    error = page.locator("form.notify-form .field-error")
    assert error.inner_text() == BAD_ADDRESS
    field = page.locator("#notify-email")
    assert field.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in field.get_attribute("aria-describedby").split()
    assert page.input_value("#notify-email") == typed
    # Still on the option the shopper chose, so they can correct the address and resend.
    assert f"SKU {SKU}" in page.locator(".selection").inner_text()


def test_shopper_signs_up_for_a_sold_out_size_and_is_asked_to_confirm_by_email(shop, page):
    app, url = shop
    vid = open_sold_out_option(page, app, url)
    form = page.locator("form.notify-form")
    assert "we will write once when Size 9, Wide, Black is back" in form.inner_text()
    assert page.locator("label[for=notify-email]").inner_text() == "E-mail address"
    page.fill("#notify-email", "Walker@Example.com")
    page.click("form.notify-form button[type=submit]")
    page.wait_for_load_state()

    message = page.locator("#flash-region .flash-success").inner_text()
    assert message == (f"Almost done: we sent a link to walker@example.com. Open it to "
                       f"confirm, and we will e-mail you once when {NAME} is back.")
    # Back on the same option, which is still sold out.
    assert f"SKU {SKU}" in page.locator(".selection").inner_text()
    assert sign_ups(app) == [("walker@example.com", vid, False)]  # not until confirmed
    [(recipients, body)] = confirmation_mails(app)
    assert recipients == ["walker@example.com"]
    assert "Harbor AFO Walker" in body and "Size 9, Wide, Black" in body

    # The e-mailed link confirms the sign-up (double opt-in).
    link = re.search(r"https?://\S+/notices/confirm/[\w-]+", body).group(0)
    page.goto(url + urlsplit(link).path)
    assert page.locator("h1").inner_text() == "Confirmed: we will let you know"
    assert (f"We will e-mail walker@example.com once when {NAME} is back in stock."
            in page.locator("main").inner_text())
    assert sign_ups(app) == [("walker@example.com", vid, True)]


def test_a_malformed_address_is_refused_by_the_browser_and_nothing_is_sent(shop, page):
    app, url = shop
    open_sold_out_option(page, app, url)
    page.fill("#notify-email", "not-an-address")
    page.click("form.notify-form button[type=submit]")
    # The field is type=email and required: the browser itself stops the form and says why.
    assert page.url == url + PRODUCT
    assert page.eval_on_selector("#notify-email", "el => !el.validity.valid")
    assert page.eval_on_selector("#notify-email", "el => el.validationMessage") != ""
    assert confirmation_mails(app) == [] and sign_ups(app) == []


def test_an_address_the_shop_refuses_gets_an_error_next_to_the_field(shop, page):
    app, url = shop
    vid = open_sold_out_option(page, app, url)
    # Browsers accept an address without a dot in the domain; the shop does not.
    page.fill("#notify-email", "walker@example")
    page.click("form.notify-form button[type=submit]")
    page.wait_for_load_state()
    assert_field_error(page, "walker@example")
    assert confirmation_mails(app) == [] and sign_ups(app) == []

    page.fill("#notify-email", "walker@example.com")
    page.click("form.notify-form button[type=submit]")
    page.wait_for_load_state()
    assert "we sent a link to walker@example.com" in page.locator("#flash-region").inner_text()
    assert page.locator("form.notify-form .field-error").count() == 0
    assert sign_ups(app) == [("walker@example.com", vid, False)]
    assert len(confirmation_mails(app)) == 1


def test_the_notify_form_works_with_the_keyboard_alone(shop, page):
    app, url = shop
    vid = open_sold_out_option(page, app, url)
    tab_to(page, "#notify-email")
    page.keyboard.type("walker@example")
    page.keyboard.press("Enter")
    page.wait_for_selector("form.notify-form .field-error")
    assert_field_error(page, "walker@example")
    tab_to(page, "#notify-email")
    page.keyboard.press("Control+A")
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Enter")
    page.wait_for_selector("#flash-region .flash-success")
    assert "we sent a link to keys@example.com" in page.locator("#flash-region").inner_text()
    assert sign_ups(app) == [("keys@example.com", vid, False)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_sign_up_pages_have_no_serious_violations(shop, page, viewport):
    app, url = shop
    page.set_viewport_size(viewport)
    open_sold_out_option(page, app, url)
    found = {"sold-out option with the form": serious_violations(page)}
    page.fill("#notify-email", "walker@example")
    page.click("form.notify-form button[type=submit]")
    page.wait_for_selector("form.notify-form .field-error")
    found["form with an error"] = serious_violations(page)
    page.fill("#notify-email", "walker@example.com")
    page.click("form.notify-form button[type=submit]")
    page.wait_for_selector("#flash-region .flash-success")
    found["signed up"] = serious_violations(page)
    [(_, body)] = confirmation_mails(app)
    page.goto(url + urlsplit(re.search(r"https?://\S+/notices/confirm/[\w-]+", body)
                             .group(0)).path)
    found["confirmed"] = serious_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
