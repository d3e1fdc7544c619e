"""Back-in-stock notices: double opt-in, no duplicates, unsubscribe, exactly one notice."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.mail.models import OutboxMessage
from storefront.models import utcnow
from storefront.notices import service as notices
from storefront.notices.models import BackInStockRequest
from tests.inventory.test_races import assert_no_database_errors, race, shop  # noqa: F401


def page_of(variant):
    return (f"/products/{variant.product.slug}?size={variant.size.label}"
            f"&width={variant.width.code}&colour={variant.colour.slug}")


def mails(kind):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)).all()


def sign_up(client, variant, email="walker@example.com"):
    return client.submit(page_of(variant), f"/products/{variant.product.slug}/notify",
                         {"variant_id": variant.id, "email": email}, follow_redirects=True)


def link(message, kind):
    match = re.search(rf"https?://\S+/notices/{kind}/([\w-]+)", message.text_body)
    assert match, message.text_body
    return match.group(0), match.group(1)


def confirmed(client, variant, email="walker@example.com"):
    sign_up(client, variant, email)
    message = [m for m in mails("back_in_stock_confirm") if email in m.recipients][-1]
    _, token = link(message, "confirm")
    client.get(f"/notices/confirm/{token}")
    return token


def test_sold_out_option_offers_the_form_and_sign_up_sends_one_confirmation(client,
                                                                             make_product):
    product = make_product(stock=[0, 4])
    sold_out, in_stock = product.variants
    page = client.get(page_of(sold_out)).get_data(as_text=True)
    assert "E-mail me when it is back" in page
    assert "E-mail me when it is back" not in client.get(page_of(in_stock)).get_data(as_text=True)

    response = sign_up(client, sold_out, "Walker@Example.com ")
    assert "we sent a link to walker@example.com" in response.get_data(as_text=True)
    [message] = mails("back_in_stock_confirm")
    assert message.recipients == ["walker@example.com"]
    assert "Confirm" in message.subject
    request = db.session.scalars(select(BackInStockRequest)).one()
    assert request.confirmed_at is None and request.variant_id == sold_out.id


def test_bad_input_gets_clear_messages_and_nothing_stored(client, make_product):
    product = make_product(stock=[0, 3])
    sold_out, in_stock = product.variants
    text = sign_up(client, sold_out, "not-an-address").get_data(as_text=True)
    assert "Enter an e-mail address" in text
    back = sign_up(client, in_stock)
    assert "is in stock now" in back.get_data(as_text=True)
    assert back.request.args["size"] == in_stock.size.label  # the option, ready to add
    other = make_product(stock=[0]).variants[0]
    for variant_id in (other.id, 2**31):  # not this product's; not an id at all
        response = client.submit(page_of(sold_out), f"/products/{product.slug}/notify",
                                 {"variant_id": variant_id, "email": "a@example.com"})
        assert response.status_code == 303, variant_id
    assert db.session.scalars(select(BackInStockRequest)).all() == []
    assert client.post(f"/products/{product.slug}/notify",
                       data={"variant_id": sold_out.id, "email": "a@example.com"}
                       ).status_code == 400  # no CSRF token


def test_a_refused_address_shows_the_same_option_with_the_error_at_the_field(client,
                                                                             make_product):
    product = make_product(stock=[0, 3])
    sold_out, in_stock = product.variants
    typed = 'walker@example"><b>x'
    response = client.submit(page_of(sold_out), f"/products/{product.slug}/notify",
                             {"variant_id": sold_out.id, "email": typed})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"SKU {sold_out.sku}" in page  # still the option the shopper chose
    assert ('<p class="field-error" id="notify-email-error">Enter an e-mail address like '
            'name@example.com.</p>') in page
    assert ('value="walker@example&#34;&gt;&lt;b&gt;x" aria-invalid="true" '
            'aria-describedby="notify-email-error notify-help"') in page
    assert db.session.scalars(select(BackInStockRequest)).all() == []
    assert mails("back_in_stock_confirm") == []
    # An option back in stock says so rather than asking to fix an address it does not need.
    text = sign_up(client, in_stock, "not-an-address").get_data(as_text=True)
    assert "is in stock now" in text and "Enter an e-mail address" not in text


def test_confirm_once_and_duplicates_say_so(client, make_product):
    variant = make_product(stock=[0]).variants[0]
    sign_up(client, variant)
    text = sign_up(client, variant).get_data(as_text=True)
    assert "have not confirmed it yet" in text
    assert len(mails("back_in_stock_confirm")) == 2  # re-sent while unconfirmed

    _, token = link(mails("back_in_stock_confirm")[-1], "confirm")
    page = client.get(f"/notices/confirm/{token}").get_data(as_text=True)
    assert "Confirmed: we will let you know" in page
    page = client.get(f"/notices/confirm/{token}").get_data(as_text=True)
    assert "Already confirmed" in page

    text = sign_up(client, variant).get_data(as_text=True)
    assert "already on the list" in text
    assert len(mails("back_in_stock_confirm")) == 2  # no new mail once confirmed
    assert len(db.session.scalars(select(BackInStockRequest)).all()) == 1
    assert client.get("/notices/confirm/" + "x" * 30).status_code == 404


def test_unsubscribe_from_the_link_and_one_click(client, make_product):
    variant = make_product(stock=[0]).variants[0]
    token = confirmed(client, variant)
    other = confirmed(client, variant, "second@example.com")
    page = client.get(f"/notices/unsubscribe/{token}").get_data(as_text=True)
    assert "Unsubscribe</button>" in page
    response = client.submit(f"/notices/unsubscribe/{token}",
                             f"/notices/unsubscribe/{token}", {})
    assert "We will not e-mail walker@example.com" in response.get_data(as_text=True)

    # RFC 8058: a mail client posts this body with no cookie and no CSRF token.
    response = client.application.test_client().post(
        f"/notices/unsubscribe/{other}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    request = db.session.scalars(select(BackInStockRequest)
                                 .where(BackInStockRequest.token == other)).one()
    assert request.unsubscribed_at is not None
    inventory.adjust(variant.id, 3, "received", actor="staff@example.com")
    assert mails("back_in_stock") == []


def test_restock_by_adjust_notifies_confirmed_subscribers_exactly_once(client, make_product):
    variant = make_product(stock=[0]).variants[0]
    confirmed(client, variant, "one@example.com")
    sign_up(client, variant, "unconfirmed@example.com")
    inventory.adjust(variant.id, 2, "received", actor="staff@example.com")
    [notice] = mails("back_in_stock")
    assert notice.recipients == ["one@example.com"]
    assert "is back in stock" in notice.subject
    assert notice.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _, token = link(notice, "unsubscribe")
    assert token

    # Sold out again and back again: no second notice for the same sign-up.
    inventory.adjust(variant.id, -2, "damaged", actor="staff@example.com")
    inventory.adjust(variant.id, 1, "received", actor="staff@example.com")
    inventory.count(variant.id, 5, 1, actor="staff@example.com")
    assert len(mails("back_in_stock")) == 1


def test_never_notified_while_still_sold_out(client, make_product):
    variant = make_product(stock=[2]).variants[0]
    inventory.hold("order:A", {variant.id: 2}, utcnow() + timedelta(minutes=30))
    confirmed(client, variant)
    inventory.confirm("order:A", {variant.id: 2})
    inventory.ship("order:A", {variant.id: 2})
    assert mails("back_in_stock") == []
    assert notices.variants_due() == []


def test_hold_released_or_expired_notifies(client, make_product):
    variant = make_product(stock=[1]).variants[0]
    inventory.hold("order:B", {variant.id: 1}, utcnow() + timedelta(minutes=30))
    confirmed(client, variant, "release@example.com")
    inventory.release("order:B")
    assert [m.recipients for m in mails("back_in_stock")] == [["release@example.com"]]

    other = make_product(stock=[1]).variants[0]
    inventory.hold("order:C", {other.id: 1}, utcnow() - timedelta(minutes=1))
    confirmed(client, other, "expiry@example.com")
    inventory.release_expired()
    assert len(mails("back_in_stock")) == 2


def test_expired_hold_taken_again_in_the_same_transaction_sends_nothing(client, make_product):
    variant = make_product(stock=[1]).variants[0]
    inventory.hold("order:D", {variant.id: 1}, utcnow() - timedelta(minutes=1))
    confirmed(client, variant)
    # The next shopper's hold expires the old one and takes the unit straight away.
    inventory.hold("order:E", {variant.id: 1}, utcnow() + timedelta(minutes=30))
    assert mails("back_in_stock") == []


def test_confirming_after_stock_returned_notifies_at_once(client, make_product):
    variant = make_product(stock=[0]).variants[0]
    sign_up(client, variant)
    inventory.adjust(variant.id, 3, "received", actor="s")
    assert mails("back_in_stock") == []
    _, token = link(mails("back_in_stock_confirm")[-1], "confirm")
    client.get(f"/notices/confirm/{token}")
    assert len(mails("back_in_stock")) == 1


def test_send_command_catches_up_once(client, runner, make_product):
    variant = make_product(stock=[0]).variants[0]
    confirmed(client, variant)
    # A sign-up written straight to the table while stock is there (a missed hook).
    inventory.adjust(variant.id, 3, "received", actor="s")
    db.session.add(BackInStockRequest(variant_id=variant.id, email="late@example.com",
                                      token="t" * 40, confirmed_at=utcnow()))
    db.session.commit()
    result = runner.invoke(args=["notices", "send"])
    assert "Queued 1 back-in-stock notice(s) for 1 variant(s)" in result.output
    result = runner.invoke(args=["notices", "send"])
    assert "Queued 0" in result.output
    assert len(mails("back_in_stock")) == 2


def test_staff_see_waiting_demand(client, make_product, login_as):
    variant = make_product(stock=[0]).variants[0]
    confirmed(client, variant, "a@example.com")
    confirmed(client, variant, "b@example.com")
    sign_up(client, variant, "c@example.com")
    login_as("warehouse")
    page = client.get("/staff/notices").get_data(as_text=True)
    assert variant.sku in page
    assert re.search(r'<td class="num">2</td>\s*<td class="num">1</td>', page)
    page = client.get(f"/staff/inventory/{variant.id}").get_data(as_text=True)
    assert "<strong>2</strong> shoppers waiting" in page


def test_staff_list_is_for_warehouse_and_admin(client, login_as):
    assert client.get("/staff/notices").status_code in (302, 401)
    login_as("marketing")
    assert client.get("/staff/notices").status_code == 403


@pytest.mark.real_commits  # restocks race on connections of their own
def test_concurrent_restocks_notify_once(client, make_product, shop, backend):  # noqa: F811
    if backend != "postgresql":
        pytest.skip("real concurrent connections need PostgreSQL")
    variant = make_product(stock=[0]).variants[0]
    for n in range(3):
        confirmed(client, variant, f"racer{n}@example.com")
    vid = variant.id

    def restock():
        return inventory.adjust(vid, 1, "received", actor="staff@example.com")

    def sweep():
        return notices.send_for_variant(vid)

    outcomes = race(shop, [restock] * 8 + [sweep] * 8)
    assert_no_database_errors(outcomes)
    notices_sent = mails("back_in_stock")
    assert sorted(m.recipients[0] for m in notices_sent) == [
        "racer0@example.com", "racer1@example.com", "racer2@example.com"]
    assert inventory.get_levels(vid).on_hand == 8
