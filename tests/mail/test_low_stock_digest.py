"""`flask mail low-stock-digest`: one message a day listing what runs out, to the warehouse."""

from sqlalchemy import select

from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from storefront.staff.models import StaffUser


def staff(email, role, active=True):
    db.session.add(StaffUser(email=email, password_hash="x", role=role, active=active))
    db.session.commit()


def test_digest_lists_variants_at_or_under_threshold_for_warehouse_staff(app, runner,
                                                                         make_product):
    shoe = make_product(stock=[0, 3, 5, 6, 40], threshold=5, title="Trail Walker")
    make_product(stock=[1], threshold=5, title="Hidden Draft", published=False)
    staff("wh@shop.test", "warehouse")
    staff("old@shop.test", "warehouse", active=False)
    staff("mk@shop.test", "marketing")

    result = runner.invoke(args=["mail", "low-stock-digest"])
    assert result.exit_code == 0, result.output
    assert "3 variant(s), 1 sold out" in result.output
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipients == ["wh@shop.test"]
    text = message.text_body
    sold_out, three, five = (v.sku for v in shoe.variants[:3])
    assert text.index(sold_out) < text.index(three) < text.index(five)
    for hidden in (shoe.variants[3].sku, shoe.variants[4].sku, "Hidden Draft"):
        assert hidden not in text
    assert f"http://shop.test/staff/inventory/{shoe.variants[0].id}" in message.html_body

    again = runner.invoke(args=["mail", "low-stock-digest"])
    assert again.exit_code == 0 and "already queued" in again.output
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_digest_to_named_addresses_and_clear_refusals(app, runner, make_product):
    make_product(stock=[10], threshold=5)
    assert "no digest queued" in runner.invoke(args=["mail", "low-stock-digest"]).output

    make_product(stock=[2], threshold=5)
    nobody = runner.invoke(args=["mail", "low-stock-digest"])
    assert nobody.exit_code == 1 and "No active warehouse staff" in nobody.output

    bad = runner.invoke(args=["mail", "low-stock-digest", "--to", "not-an-address"])
    assert bad.exit_code == 1 and "“not-an-address” is not an e-mail address" in bad.output

    ok = runner.invoke(args=["mail", "low-stock-digest", "--to", "boss@shop.test"])
    assert ok.exit_code == 0 and "to boss@shop.test: 1 variant(s)" in ok.output
