"""The shopper's side of returns: the replacement is held the moment they ask."""

from datetime import timedelta

from sqlalchemy import select

from storefront.checkout.models import Order, OrderEvent
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold, StockMovement
from storefront.returns.models import ShopReturn
from tests.returns.helpers import ask, available, form_key, form_page, mails, shipped_order, text


def _returns():
    return db.session.scalars(select(ShopReturn).order_by(ShopReturn.id)).all()


def test_an_exchange_holds_the_replacement_at_once(app, client, make_product):
    product = make_product(stock=[3, 1], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    line = order.lines[0]

    page = text(client.get(f"/orders/{order.token}"))
    assert "Return or exchange shoes" in page
    assert available(wanted) == 1
    response = ask(client, order, {line: (1, wanted)}, note="Heel slips")
    assert response.status_code == 303, text(response)

    shop_return = _returns()[0]
    assert shop_return.number == f"R-{order.number}-1"
    # The last size 9 is the shopper's now: the shop shows it sold out.
    assert available(wanted) == 0
    hold = db.session.scalars(select(StockHold).where(StockHold.variant_id == wanted.id)).one()
    assert (hold.kind, hold.reference, hold.status) == ("exchange", f"return:{shop_return.number}",
                                                        "active")
    movement = inventory.history(wanted.id)[0]
    assert movement.reason == "exchange_hold" and movement.reference == hold.reference

    page = text(client.get(f"/orders/{order.token}", follow_redirects=True))
    assert f"Return {shop_return.number}" in page and "Held for you until" in page
    assert "Size 9" in page
    mail = mails("return_requested")[-1]
    assert mail.recipients == ["ada@example.com"]
    assert shop_return.number in mail.text_body and "400 Dock Road" in mail.text_body
    assert "held for you until" in mail.text_body
    history = [e.message for e in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert any("requested (exchange)" in m and "Too small" in m for m in history)
    assert inventory.reconcile() == []


def test_a_sold_out_replacement_is_said_before_anything_is_sent(app, client, make_product):
    product = make_product(stock=[3, 0], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)

    page = text(client.get(form_page(order)))
    assert "(sold out)" in page and "tell me when it is back" in page
    assert "size=9" in page
    response = ask(client, order, {order.lines[0]: (1, wanted)})
    # A browser cannot pick the disabled option; sent anyway, nothing is held.
    assert response.status_code == 409 and "just sold out" in text(response)
    assert _returns() == [] and available(wanted) == 0


def test_the_last_unit_taken_meanwhile_leaves_the_shopper_with_choices(app, client,
                                                                         make_product):
    product = make_product(stock=[3, 1], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    key = form_key(client, order)  # the form showed size 9 in stock
    inventory.hold("order:someone-else", {wanted.id: 1},
                   inventory.utcnow() + timedelta(minutes=30))
    response = ask(client, order, {order.lines[0]: (1, wanted)}, key=key)
    assert response.status_code == 409
    page = text(response)
    assert "just sold out" in page and "Nothing was sent or held" in page
    assert "choose a refund" in page
    assert _returns() == [] and mails("return_requested") == []
    assert inventory.reconcile() == []


def test_a_refund_return_holds_nothing(app, client, make_product):
    variant = make_product(stock=[3]).variants[0]
    order = shipped_order(app, variant, 2)
    before = available(variant)
    response = ask(client, order, {order.lines[0]: (1, None)}, resolution="refund",
                   reason="changed_mind")
    assert response.status_code == 303
    shop_return = _returns()[0]
    assert shop_return.hold_status is None and available(variant) == before
    # One pair is left to return from the same line.
    second = ask(client, order, {order.lines[0]: (2, None)}, resolution="refund")
    assert second.status_code == 422 and "at most 1" in text(second)


def test_bad_input_changes_nothing(app, client, make_product):
    product = make_product(stock=[3, 2], sizes=["8", "9"])
    bought, wanted = product.variants
    other = make_product(stock=[4]).variants[0]
    order = shipped_order(app, bought)
    line = order.lines[0]

    assert client.get("/orders/not-a-token/returns/new").status_code == 404
    cases = [
        ({line: (2, wanted)}, {}, "at most 1"),
        ({line: (1, other)}, {}, "of this shoe"),
        ({line: (1, None)}, {}, "Choose the size and width"),
        ({line: (1, wanted)}, {"reason": "because"}, "Choose the reason"),
        ({line: (0, wanted)}, {}, "at least one item"),
        ({line: (-1, wanted)}, {}, "whole number"),
    ]
    for lines, extra, message in cases:
        response = ask(client, order, lines, **extra)
        assert response.status_code == 422, (message, text(response))
        assert message in text(response)
    assert _returns() == [] and available(wanted) == 2
    assert ask(client, order, {line: (1, wanted)}, key="k" * 20).status_code == 303
    # The same form sent again makes no second return and holds nothing more.
    replay = ask(client, order, {line: (1, wanted)}, key="k" * 20,
                 page=f"/orders/{order.token}")
    assert replay.status_code == 303
    assert len(_returns()) == 1 and available(wanted) == 1
    page = text(client.get(f"/orders/{order.token}"))
    assert "already sent" in page


def test_unshipped_and_late_orders_cannot_be_returned(app, client, make_product):
    from tests.staff.test_orders import paid_order

    variant = make_product(stock=[5]).variants[0]
    unshipped = paid_order(app, variant, 1)
    response = client.get(form_page(unshipped), follow_redirects=True)
    assert "has not been shipped yet" in text(response)
    assert "Return or exchange shoes" not in text(client.get(f"/orders/{unshipped.token}"))

    late = shipped_order(app, variant, 1)
    key, token = form_key(client, late), client.csrf_token(form_page(late))
    db.session.get(Order, late.id).shipped_at -= timedelta(days=61)
    db.session.commit()
    response = client.get(form_page(late), follow_redirects=True)
    assert "Returns for order" in text(response) and "60 days after" in text(response)
    response = client.post(f"/orders/{late.token}/returns", data={
        "csrf_token": token, "form_key": key, "resolution": "refund", "reason": "too_big",
        f"quantity-{late.lines[0].id}": "1"})
    assert response.status_code == 303 and _returns() == []


def test_the_shopper_cancels_and_the_replacement_goes_back(app, client, make_product):
    product = make_product(stock=[3, 1], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    ask(client, order, {order.lines[0]: (1, wanted)})
    shop_return = _returns()[0]
    assert available(wanted) == 0

    page = f"/orders/{order.token}"
    response = client.submit(page, f"{page}/returns/{shop_return.number}/cancel", {})
    assert response.status_code == 303
    assert available(wanted) == 1
    db.session.expire_all()
    assert shop_return.status == "cancelled" and shop_return.hold_status == "released"
    assert inventory.history(wanted.id)[0].reason == "exchange_released"
    assert mails("return_cancelled")[-1].subject.startswith(f"Return {shop_return.number}")
    again = client.submit(form_page(order),
                          f"{page}/returns/{shop_return.number}/cancel", {})
    assert again.status_code == 409
    # Cancelled units can be returned again.
    assert "Return or exchange shoes" in text(client.get(page))
    assert inventory.reconcile() == []


def test_a_mismatched_pair_where_the_shoe_allows_it(app, client, make_product):
    product = make_product(stock=[3, 2, 2], sizes=["8", "9", "10"])
    bought, left, right = product.variants
    order = shipped_order(app, bought)
    line = order.lines[0]
    refused = ask(client, order, {line: (1, left, right)})
    assert refused.status_code == 422 and "different size for each foot" in text(refused)

    product.allows_mismatched = True
    db.session.commit()
    response = ask(client, order, {line: (1, left, right)})
    assert response.status_code == 303
    assert (available(left), available(right)) == (1, 1)
    assert "Left size 9" in _returns()[0].lines[0].replacement_label
    assert db.session.scalars(select(StockMovement.reason).where(
        StockMovement.variant_id == right.id).order_by(StockMovement.id.desc())).first() \
        == "exchange_hold"


def test_json_clients_get_the_field_errors_and_the_new_return(app, client, make_product):
    product = make_product(stock=[3, 2], sizes=["8", "9"])
    bought, wanted = product.variants
    order = shipped_order(app, bought)
    line = order.lines[0]
    token = client.csrf_token(form_page(order))
    base = {"csrf_token": token, "form_key": form_key(client, order), "reason": "too_big",
            f"quantity-{line.id}": "1", f"variant-{line.id}": str(wanted.id)}
    headers = {"Accept": "application/json"}
    refused = client.post(f"/orders/{order.token}/returns", data=base | {"resolution": "swap"},
                          headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"resolution": "Choose a refund or an exchange."}
    created = client.post(f"/orders/{order.token}/returns",
                          data=base | {"resolution": "exchange"}, headers=headers)
    assert created.status_code == 201
    assert created.get_json() == {"number": f"R-{order.number}-1", "status": "requested",
                                  "hold": "held"}
    replay = client.post(f"/orders/{order.token}/returns", data=base | {"resolution": "exchange"},
                         headers=headers)
    assert replay.status_code == 409 and replay.get_json()["error"] == "return_already_requested"
    assert available(wanted) == 1
