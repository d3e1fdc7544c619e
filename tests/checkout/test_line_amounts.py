"""What a shopper paid for part of an order line: the refund of returned units."""

from storefront.checkout.models import OrderLine


def test_units_of_a_discounted_line_are_worth_their_share_of_what_was_paid(app):
    line = OrderLine(quantity=3, unit_price_cents=5000, line_total_cents=15000,
                     discount_cents=1000)
    assert line.charged_cents == 14000
    assert [line.paid_for(units, "USD") for units in (0, 1, 2, 3)] == [0, 4666, 9333, 14000]
    # Refunded in parts, the units never add up to more than the line cost.
    assert line.paid_for(1, "USD") * 3 <= line.charged_cents


def test_a_part_of_a_three_decimal_line_is_an_amount_stripe_can_refund(app):
    line = OrderLine(quantity=3, unit_price_cents=1250, line_total_cents=3750,
                     discount_cents=380)
    # 3370 fils / 3 = 1123.3; Stripe takes KWD amounts in tens of fils.
    assert line.paid_for(1, "KWD") == 1120
    assert line.paid_for(3, "KWD") == 3370


def test_an_undiscounted_line_refunds_its_price_per_unit(app):
    line = OrderLine(quantity=2, unit_price_cents=8000, line_total_cents=16000,
                     discount_cents=0)
    assert line.paid_for(1, "USD") == 8000


def test_units_of_a_taxed_line_are_worth_their_share_of_the_tax_too(app):
    line = OrderLine(quantity=2, unit_price_cents=8000, line_total_cents=16000,
                     discount_cents=1000, tax_cents=1238)
    assert line.paid_for(1, "USD") == 8119
    assert line.paid_for(2, "USD") == 16238
