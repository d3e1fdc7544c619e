"""The warehouse's side: receive per line, then refund or ship the exchange; the report."""

from sqlalchemy import select

from storefront.checkout import service as checkout
from storefront.checkout.models import Order, OrderEvent
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.returns.models import ShopReturn
from tests.checkout.conftest import pick
from tests.returns.helpers import ask, mails, shipped_order, text
from tests.staff.test_orders import ADDRESS


def _return():
    return db.session.scalars(select(ShopReturn).order_by(ShopReturn.id.desc())).first()


def _history(order):
    return [e.message for e in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))]


def _receive(client, shop_return, conditions):
    page = f"/staff/returns/{shop_return.id}"
    data = {f"condition-{line.id}": c for line, c in zip(shop_return.lines, conditions,
                                                          strict=True)}
    return client.submit(page, f"{page}/receive", data)


def test_a_refund_return_restocks_and_refunds_the_line(app, client, make_product, login_as):
    variant = make_product(stock=[4], price=12000, title="Harbour Walker").variants[0]
    order = shipped_order(app, variant, 2)
    ask(client, order, {order.lines[0]: (1, None)}, resolution="refund", reason="too_big")
    shop_return = _return()
    on_hand = inventory.get_levels(variant.id).on_hand
    login_as("warehouse")

    listing = text(client.get("/staff/returns"))
    assert shop_return.number in listing and "Requested, waiting for the parcel (1)" in listing
    missing = _receive(client, shop_return, [""])
    assert missing.status_code == 422 and "Choose restock or damaged" in text(missing)
    assert inventory.get_levels(variant.id).on_hand == on_hand

    response = _receive(client, shop_return, ["restock"])
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "1 pair(s) restocked" in page and "Refund $120.00" in page
    assert inventory.get_levels(variant.id).on_hand == on_hand + 1
    movement = inventory.history(variant.id)[0]
    assert (movement.reason, movement.reference) == ("return_restock",
                                                     f"return:{shop_return.number}")

    detail = f"/staff/returns/{shop_return.id}"
    response = client.submit(detail, f"{detail}/refund", {})
    assert response.status_code == 303
    assert "Refunded $120.00" in text(client.get(detail))
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.refunded_cents == 12000 and order.charged_cents == 24000
    assert _return().status == "refunded"
    # Sent again, the refund finds nothing owed and moves no money.
    assert client.submit(detail, f"{detail}/refund", {}).status_code in (303, 409)
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_cents == 12000
    assert mails("return_refunded")[-1].text_body.count("$120.00") >= 1
    story = " ".join(_history(order))
    assert "requested (refund)" in story and "received: 1 × Harbour Walker" in story
    assert "restocked" in story and "Refunded $120.00 for return" in story
    assert inventory.reconcile() == []


def test_a_damaged_return_is_not_restocked(app, client, make_product, login_as):
    variant = make_product(stock=[4]).variants[0]
    order = shipped_order(app, variant, 1)
    ask(client, order, {order.lines[0]: (1, None)}, resolution="refund", reason="faulty")
    shop_return = _return()
    before = inventory.get_levels(variant.id)
    login_as("warehouse")
    assert _receive(client, shop_return, ["damaged"]).status_code == 303
    assert inventory.get_levels(variant.id) == before
    assert not db.session.scalars(select(StockMovement).where(
        StockMovement.reason == "return_restock")).first()
    assert any("damaged, not restocked" in m for m in _history(order))
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/refund", {})
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_cents == 9900
    assert inventory.reconcile() == []


def test_an_exchange_ships_the_held_replacement(app, client, make_product, login_as):
    product = make_product(stock=[3, 1], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    login_as("warehouse")
    listing = text(client.get("/staff/returns"))
    assert f"1 × {wanted.sku}: Held for you" in listing

    detail = f"/staff/returns/{shop_return.id}"
    # Nothing ships before the parcel is in.
    early = client.submit(detail, f"{detail}/ship", {"carrier": "UPS", "tracking_number": "1Z"})
    assert early.status_code == 409
    assert _receive(client, shop_return, ["restock"]).status_code == 303
    levels = inventory.get_levels(wanted.id)
    assert (levels.reserved, levels.committed, levels.available) == (0, 1, 0)
    assert inventory.history(wanted.id)[0].reason == "exchange_committed"

    blank = client.submit(detail, f"{detail}/ship", {"carrier": "", "tracking_number": ""})
    assert blank.status_code == 422
    response = client.submit(detail, f"{detail}/ship", {"carrier": "UPS",
                                                        "tracking_number": "1Z42"})
    assert response.status_code == 303
    levels = inventory.get_levels(wanted.id)
    assert (levels.on_hand, levels.committed) == (0, 0)
    assert _return().status == "exchanged"
    ledger = text(client.get(f"/staff/inventory/{wanted.id}"))
    for words in ("Held for an exchange", "Exchange replacement set aside to ship", "Shipped",
                  f"return:{shop_return.number}"):
        assert words in ledger
    mail = mails("exchange_shipped")[-1]
    assert "1Z42" in mail.text_body and "Size 9" in mail.text_body
    page = text(client.get(f"/orders/{order.token}"))
    assert "Replacement sent" in page and "1Z42" in page
    # Same price: no money moved.
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_cents == 0
    assert inventory.reconcile() == []


def test_a_cheaper_replacement_refunds_the_difference(app, client, make_product, login_as):
    product = make_product(stock=[3, 2], sizes=["8", "9"], price=12000)
    bought, wanted = product.variants
    wanted.price_cents = 9000
    db.session.commit()
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    assert (shop_return.difference_cents, shop_return.difference_status) == (-3000,
                                                                             "to_refund")
    login_as("warehouse")
    _receive(client, shop_return, ["restock"])
    detail = f"/staff/returns/{shop_return.id}"
    client.submit(detail, f"{detail}/ship", {"carrier": "UPS", "tracking_number": "1Z7"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_cents == 3000
    assert _return().difference_status == "refunded"
    assert inventory.reconcile() == []


def test_a_dearer_replacement_waits_for_the_difference_or_a_waiver(app, client, make_product,
                                                                  login_as):
    product = make_product(stock=[3, 2], sizes=["8", "9"], price=9000)
    bought, wanted = product.variants
    wanted.price_cents = 11000
    db.session.commit()
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    assert shop_return.difference_status == "due"
    login_as("warehouse")
    _receive(client, shop_return, ["restock"])
    detail = f"/staff/returns/{shop_return.id}"
    refused = client.submit(detail, f"{detail}/ship", {"carrier": "UPS", "tracking_number": "1"})
    assert refused.status_code == 409 and "still owes $20.00" in text(refused)
    assert client.submit(detail, f"{detail}/waive", {}).status_code == 303
    assert client.submit(detail, f"{detail}/ship",
                         {"carrier": "UPS", "tracking_number": "1"}).status_code == 303
    assert any("$20.00 for return" in m and "waived" in m for m in _history(order))
    assert inventory.reconcile() == []


def test_only_warehouse_and_admin_handle_returns(app, client, make_product, login_as):
    login_as("marketing")
    assert client.get("/staff/returns").status_code == 403
    assert client.get("/staff/returns/report").status_code == 200


def test_the_report_counts_returns_per_product_and_reason(app, client, make_product,
                                                         login_as):
    small = make_product(stock=[5, 5], sizes=["8", "9"], title="Runs Small")
    fine = make_product(stock=[5], title="Fits Fine")
    first = shipped_order(app, small.variants[0], 2)
    ask(client, first, {first.lines[0]: (2, small.variants[1])}, reason="too_small")
    second = shipped_order(app, fine.variants[0], 1)
    ask(client, second, {second.lines[0]: (1, None)}, resolution="refund", reason="faulty")
    login_as("warehouse")
    page = text(client.get("/staff/returns/report"))
    assert page.index("Runs Small") < page.index("Fits Fine")
    assert "<svg" in page and "Runs Small, too small: 2" in page
    assert "Fits Fine, faulty: 1" in page


def test_closing_a_received_exchange_puts_the_replacement_back(app, client, make_product,
                                                              login_as):
    product = make_product(stock=[3, 1], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _return()
    login_as("warehouse")
    _receive(client, shop_return, ["damaged"])
    detail = f"/staff/returns/{shop_return.id}"
    empty = client.submit(detail, f"{detail}/close", {"note": ""})
    assert empty.status_code == 422 and inventory.get_levels(wanted.id).committed == 1
    response = client.submit(detail, f"{detail}/close",
                             {"note": "Worn for months; agreed with the shopper by phone."})
    assert response.status_code == 303
    assert inventory.get_levels(wanted.id).available == 1
    assert inventory.history(wanted.id)[0].reason == "exchange_cancelled"
    assert _return().status == "closed"
    assert any("closed: Worn for months" in m for m in _history(order))
    assert inventory.reconcile() == []


def test_a_mismatched_pair_comes_back_to_both_shoes(app, client, make_product, login_as):
    product = make_product(stock=[3, 3], sizes=["8", "9"])
    product.allows_mismatched = True
    db.session.commit()
    left, right = product.variants
    response = client.submit(pick(left).page, "/cart/add", {"variant_id": left.id,
                                                         "right_variant_id": right.id,
                                                         "quantity": 1})
    assert response.status_code == 303, text(response)
    demo = client.submit("/cart", "/checkout", {}).headers["Location"]
    client.submit(demo, f"{demo}/pay", ADDRESS)
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    checkout.ship_order(order.id, "USPS", "1", actor="packer@staff.test")
    before = (inventory.get_levels(left.id).on_hand, inventory.get_levels(right.id).on_hand)
    ask(client, order, {order.lines[0]: (1, None)}, resolution="refund", reason="brace")
    login_as("warehouse")
    _receive(client, _return(), ["restock"])
    after = (inventory.get_levels(left.id).on_hand, inventory.get_levels(right.id).on_hand)
    assert after == (before[0] + 1, before[1] + 1)
    assert inventory.reconcile() == []
