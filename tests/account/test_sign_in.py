"""Signing in by e-mail link: the whole flow read from the outbox, what a link refuses
(expired, reused, forged, another browser), limits, session renewal, signing out."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from storefront.account.models import Shopper, ShopperLink
from storefront.extensions import db
from storefront.models import utcnow
from tests.account.helpers import (
    ask_for_link,
    flashes,
    link_in,
    sign_in,
    sign_in_mails,
    text,
)
from tests.conftest import Browser
from tests.factories import make_product
from tests.staff.helpers import login as staff_login
from tests.staff.helpers import make_staff

EMAIL = "robin@example.com"


def cart_lines(client):
    lines = client.get("/cart.json").json["lines"]
    return [(line["variant_id"], line["quantity"]) for line in lines]


def test_a_shopper_signs_in_from_the_e_mailed_link_and_keeps_the_cart(app):
    browser = Browser(app)
    variant = make_product(stock=(5,)).variants[0]
    page = f"/products/{variant.product.slug}"
    assert browser.submit(page, "/cart/add", {"variant_id": variant.id, "quantity": 2}
                          ).status_code == 303
    assert browser.get("/account").headers["Location"].endswith("/account/login")

    sent = ask_for_link(browser, "  Robin@Example.com ")
    assert sent.status_code == 200
    assert "a sign-in link is on its way" in text(sent)
    (message,) = sign_in_mails()
    assert message.recipients == [EMAIL]
    assert "works once, for 15 minutes" in message.text_body
    assert db.session.scalar(select(func.count(Shopper.id))) == 0  # asking creates nothing

    response = browser.get(link_in(message))
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    home = browser.get("/account")
    assert home.status_code == 200
    assert f"You are signed in as {EMAIL}." in flashes(text(home))
    assert "Your account" in text(browser.get("/"))  # the header says so on every page
    assert cart_lines(browser) == [(variant.id, 2)]


def test_signing_in_renews_the_session(app):
    browser = Browser(app)
    with browser.session_transaction() as session:
        session["planted"] = "by someone who gave this browser its cookie"
    old_token = browser.csrf_token("/account/login")
    sign_in(browser, EMAIL)
    with browser.session_transaction() as session:
        assert "planted" not in session
        assert session["shopper"].startswith(f"{db.session.scalar(select(Shopper.id))}:")
    assert browser.csrf_token("/account") != old_token


def test_the_answer_is_the_same_for_every_address(app):
    sign_in(Browser(app), EMAIL)  # this address has an account now
    answers = []
    for email in (EMAIL, "nobody@example.com"):
        response = ask_for_link(Browser(app), email)
        answers.append((response.status_code, text(response).replace(email, "EMAIL")))
    assert answers[0] == answers[1]


def test_a_link_works_once(app):
    browser = Browser(app)
    sign_in(browser, EMAIL)
    link = link_in(sign_in_mails(EMAIL)[-1])
    again = browser.get(link)
    assert again.status_code == 410
    assert "expired, was used already, or is not one we sent" in text(again)
    assert again.headers["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_is_refused_and_signs_nobody_in(app):
    browser = Browser(app)
    ask_for_link(browser, EMAIL)
    db.session.execute(update(ShopperLink).values(expires_at=utcnow()))
    db.session.commit()
    response = browser.get(link_in(sign_in_mails(EMAIL)[-1]))
    assert response.status_code == 410
    assert browser.get("/account").status_code == 303
    assert db.session.scalar(select(func.count(Shopper.id))) == 0


@pytest.mark.parametrize("token", ["forged", "A" * 43, "x" * 500, "%00", "..%2F..%2Fstaff"])
def test_forged_tokens_are_refused_without_a_500(client, token):
    response = client.get(f"/account/login/{token}")
    assert response.status_code in (400, 404, 410)  # a NUL byte is a 400 everywhere
    assert client.get("/account").status_code == 303


def test_a_link_opened_in_another_browser_is_refused_and_still_works_in_its_own(app):
    asking, other = Browser(app), Browser(app)
    ask_for_link(asking, EMAIL)
    link = link_in(sign_in_mails(EMAIL)[-1])
    refused = other.get(link)
    assert refused.status_code == 403
    assert "works only in the browser where it was asked for" in text(refused)
    assert other.get("/account").status_code == 303
    assert asking.get(link).status_code == 303
    assert asking.get("/account").status_code == 200


def test_signing_in_ends_the_address_other_open_links(app):
    browser = Browser(app)
    ask_for_link(browser, EMAIL)
    first = link_in(sign_in_mails(EMAIL)[-1])
    # As if the first was asked for two minutes ago (still open): a second mail may go.
    db.session.execute(update(ShopperLink).values(created_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    ask_for_link(browser, EMAIL)
    second = link_in(sign_in_mails(EMAIL)[-1])
    assert browser.get(second).status_code == 303
    assert browser.get(first).status_code == 410


def test_at_most_one_mail_per_address_per_minute(app):
    browser = Browser(app)
    for _ in range(3):
        assert ask_for_link(browser, EMAIL).status_code == 200
    assert len(sign_in_mails(EMAIL)) == 1
    ask_for_link(browser, "someone.else@example.com")
    assert len(sign_in_mails()) == 2


def test_a_flood_from_one_client_is_limited(app):
    browser = Browser(app)
    for n in range(5):
        assert ask_for_link(browser, f"flood{n}@example.com").status_code == 200
    assert ask_for_link(browser, "flood9@example.com").status_code == 429
    assert len(sign_in_mails()) == 5


def test_a_flood_for_one_address_from_many_clients_is_limited(app):
    for n in range(10):
        browser = Browser(app)
        browser.client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        assert ask_for_link(browser, EMAIL).status_code == 200
    browser = Browser(app)
    browser.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert ask_for_link(browser, EMAIL.upper()).status_code == 429
    assert len(sign_in_mails(EMAIL)) == 1


@pytest.mark.parametrize("email, message", [
    ("", "Enter your e-mail address."),
    ("robin", "Enter an e-mail address like name@example.com."),
    ("robin@localhost", "Enter an e-mail address like name@example.com."),
    ("robin@@example.com", "Enter an e-mail address like name@example.com."),
    ("robin@exa mple.com", "Enter an e-mail address like name@example.com."),
    ("rob..in@example.com", "Enter an e-mail address like name@example.com."),
    ("robin@-example.com", "Enter an e-mail address like name@example.com."),
    ("røbin@exämple.com", "Enter the address with plain letters, digits and dots"),
    ("a" * 250 + "@example.com", "That e-mail address is too long"),
])
def test_a_bad_address_is_refused_at_the_field_and_sends_nothing(app, email, message):
    response = ask_for_link(Browser(app), email)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert re.search(r'aria-invalid="true"', page)
    assert sign_in_mails() == []


def test_signing_out_ends_the_session_on_every_device(app):
    laptop, phone = Browser(app), Browser(app)
    sign_in(laptop, EMAIL)
    sign_in_later = db.session.execute(update(ShopperLink).values(
        created_at=utcnow() - timedelta(minutes=2)))
    assert sign_in_later.rowcount == 1
    db.session.commit()
    sign_in(phone, EMAIL)
    response = laptop.submit("/account", "/account/logout", {})
    assert response.status_code == 303
    assert laptop.get("/account").status_code == 303
    assert phone.get("/account").status_code == 303
    assert "Sign in" in text(phone.get("/"))


def test_shopper_and_staff_sessions_do_not_open_each_other(app):
    staff = make_staff("admin")
    browser = Browser(app)
    assert staff_login(browser, staff.email).status_code == 302
    assert browser.get("/account").status_code == 303  # a staff login is no shopper
    shopper = Browser(app)
    sign_in(shopper, staff.email)  # the same address, as a shopper
    assert shopper.get("/staff/").status_code == 302  # still asked to log in as staff
    assert browser.get("/staff/").status_code == 200


def test_links_are_forgotten_a_day_after_they_were_made(app):
    browser = Browser(app)
    ask_for_link(browser, EMAIL)
    old = link_in(sign_in_mails(EMAIL)[-1])
    db.session.execute(update(ShopperLink).values(created_at=utcnow().replace(year=2020)))
    db.session.commit()
    ask_for_link(Browser(app), "someone.else@example.com")
    db.session.expire_all()
    assert db.session.scalars(select(ShopperLink.email)).all() == ["someone.else@example.com"]
    assert browser.get(old).status_code == 410
