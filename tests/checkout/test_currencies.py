"""Every currency charged as shown: the product page, the order, the amount Stripe is
asked for, the order page and the confirmation e-mail agree, for a two-, a zero- and a
three-decimal currency."""

import pytest
from sqlalchemy import select

from storefront import money
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from tests.checkout.conftest import check_out, page_of, session_id_from

NBSP = "\u00a0"


@pytest.mark.parametrize(("currency", "price", "shown", "stripe_unit", "total_shown"), [
    ("USD", 12900, "$129.00", 12900, "$258.00"),
    # A ¥8,000 shoe is 8000 yen to Stripe, never 800000.
    ("JPY", 8000, "¥8,000", 8000, "¥16,000"),
    # 12.340 dinars is 12340 fils; Stripe wants the same three-decimal figure.
    ("KWD", 12340, f"KWD{NBSP}12.340", 12340, f"KWD{NBSP}24.680"),
])
def test_a_currency_is_charged_as_it_is_shown(app, client, fake_stripe, make_product,
                                              currency, price, shown, stripe_unit,
                                              total_shown):
    app.config["SHOP_CURRENCY"] = currency
    variant = make_product([5], title="Tide Runner", price=price).variants[0]
    assert shown in client.get(page_of(variant)).get_data(as_text=True)

    session_id = session_id_from(check_out(client, (variant, 2)))
    order = db.session.scalars(select(Order)).one()
    assert (order.currency, order.total_cents) == (currency, 2 * price)
    (_, _, params, _), = fake_stripe.calls("POST", "/v1/checkout/sessions")
    [item] = params["line_items"]
    assert item["price_data"]["currency"] == currency.lower()
    assert item["price_data"]["unit_amount"] == str(stripe_unit)

    session = fake_stripe.complete(session_id)
    response = fake_stripe.deliver(client, fake_stripe.event("checkout.session.completed",
                                                             session))
    assert response.get_json()["outcome"] == "paid"
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "paid"
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert total_shown in page and shown in page

    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert f"Total paid: {total_shown}" in mail.text_body
    assert total_shown in mail.html_body


def test_stripe_counts_some_currencies_in_its_own_units():
    # Icelandic krónur have no decimals, but Stripe takes them as two-decimal figures.
    assert money.to_stripe(5000, "ISK") == 500000
    assert money.from_stripe(500000, "ISK") == 5000
    assert money.to_stripe(8000, "JPY") == 8000 and money.to_stripe(12900, "USD") == 12900
    assert [money.step(c) for c in ("USD", "JPY", "KWD", "TWD")] == [1, 1, 10, 100]
    with pytest.raises(ValueError, match="not a chargeable amount"):
        money.to_stripe(12345, "KWD")


def test_amounts_are_rounded_once_to_what_can_be_charged():
    assert money.round_to_step(12344, "KWD") == 12340
    assert money.round_to_step(12345, "KWD") == 12350
    assert money.round_to_step(1999, "USD") == 1999


def test_an_unknown_currency_is_refused_by_name():
    with pytest.raises(money.UnknownCurrency, match="'XYZ' is not a currency code"):
        money.exponent("XYZ")


def test_check_deploy_refuses_an_unknown_currency(app, runner):
    app.config["SHOP_CURRENCY"] = "DOLLARS"
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "C001" in result.output and "'DOLLARS'" in result.output
