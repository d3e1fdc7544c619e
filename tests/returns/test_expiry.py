"""Exchange holds outlast checkout holds, then run out after EXCHANGE_HOLD_DAYS."""

from datetime import timedelta

from sqlalchemy import select, update

from storefront.checkout.models import OrderEvent
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold
from storefront.models import utcnow
from storefront.returns.models import ShopReturn
from tests.returns.helpers import ask, available, mails, shipped_order, text


def _age(shop_return, days):
    """Pretend the return was asked for `days` ago."""
    db.session.execute(update(StockHold).where(StockHold.reference == shop_return.stock_reference)
                       .values(expires_at=utcnow() + timedelta(days=30 - days)))
    db.session.commit()


def _exchange(app, client, make_product):
    product = make_product(stock=[3, 1], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    return order, wanted, db.session.scalars(select(ShopReturn)).one()


def test_the_hold_lasts_for_the_setting(app, client, make_product):
    app.config["EXCHANGE_HOLD_DAYS"] = 12
    order, wanted, shop_return = _exchange(app, client, make_product)
    hold = db.session.scalars(select(StockHold).where(StockHold.kind == "exchange")).one()
    assert timedelta(days=11, hours=23) < hold.expires_at - utcnow() <= timedelta(days=12)
    # Checkout holds expiring around it leave it alone.
    assert inventory.release_expired() == [] and available(wanted) == 0


def test_the_sweeper_releases_an_old_hold_and_tells_the_shopper(app, client, runner,
                                                                make_product):
    order, wanted, shop_return = _exchange(app, client, make_product)
    _age(shop_return, 29)
    assert "Released 0 unit(s)" in runner.invoke(args=["inventory", "release-expired"]).output
    _age(shop_return, 31)
    result = runner.invoke(args=["inventory", "release-expired"])
    assert "Released 1 unit(s)" in result.output, result.output
    db.session.expire_all()
    assert available(wanted) == 1
    assert shop_return.hold_status == "expired"
    assert inventory.history(wanted.id)[0].reason == "exchange_expired"
    mail = mails("exchange_hold_expired")[-1]
    assert shop_return.number in mail.text_body and "30 days" in mail.text_body
    assert any("was released" in e.message for e in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id)))
    page = text(client.get(f"/orders/{order.token}"))
    assert "Released: the hold ran out" in page
    assert inventory.reconcile() == []


def test_the_next_sale_of_that_size_releases_an_expired_hold_too(app, client, make_product,
                                                                 login_as):
    order, wanted, shop_return = _exchange(app, client, make_product)
    _age(shop_return, 31)
    # A checkout of the size frees the expired unit on the way, with the same e-mail.
    inventory.hold("order:next-shopper", {wanted.id: 1}, utcnow() + timedelta(minutes=30))
    db.session.expire_all()
    assert shop_return.hold_status == "expired"
    assert len(mails("exchange_hold_expired")) == 1
    # The parcel still arrives: the warehouse refunds instead of shipping.
    login_as("warehouse")
    page = f"/staff/returns/{shop_return.id}"
    client.submit(page, f"{page}/receive", {f"condition-{shop_return.lines[0].id}": "restock"})
    assert "Refund $99.00" in text(client.get(page))
    client.submit(page, f"{page}/refund", {})
    db.session.expire_all()
    assert shop_return.status == "refunded" and shop_return.refunded_cents == 9900
    assert inventory.reconcile() == []
