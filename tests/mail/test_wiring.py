"""Events queue their mail in their own transaction: comments, paid, shipped, cancelled orders."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.articles import service as articles
from storefront.extensions import db
from storefront.mail.models import OutboxMessage
from storefront.models import utcnow
from storefront.staff.models import StaffUser

COMMENT = {"name": "Ada", "email": "ada@example.com", "body": "This helped my <b>mother</b>."}


def outbox():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage)).all()


def staff(email, role, active=True):
    db.session.add(StaffUser(email=email, password_hash="x", role=role, active=active))
    db.session.commit()


def article(title="Walking with a brace"):
    saved = articles.save_article(None, articles.ArticleInput(
        title=title, slug="", summary="A summary.", body="Some words.", tags="", featured=""))
    articles.publish(saved.id, now=utcnow() - timedelta(days=1))
    return saved


def test_a_new_comment_tells_marketing_with_a_link_to_the_moderation_queue(client):
    staff("mk@shop.test", "marketing")
    staff("gone@shop.test", "marketing", active=False)
    staff("admin@shop.test", "admin")
    article("Talk")
    response = client.submit("/blog/talk", "/blog/talk/comments", COMMENT)
    assert response.status_code in (302, 303)

    [message] = outbox()
    assert message.kind == "comment_awaiting_moderation"
    assert message.recipients == ["mk@shop.test"]
    assert message.subject == "New comment awaiting moderation on “Talk”"
    assert "http://shop.test/staff/comments" in message.text_body
    assert "This helped my &lt;b&gt;mother&lt;/b&gt;." in message.html_body
    assert "ada@example.com" not in message.text_body + message.html_body


def test_without_marketing_staff_the_admins_hear_of_comments(client):
    staff("admin@shop.test", "admin")
    article("Talk")
    client.submit("/blog/talk", "/blog/talk/comments", COMMENT)
    [message] = outbox()
    assert message.recipients == ["admin@shop.test"]


def test_a_refused_comment_queues_nothing(client):
    staff("mk@shop.test", "marketing")
    article("Talk")
    client.submit("/blog/talk", "/blog/talk/comments", dict(COMMENT, body=""))
    assert outbox() == []


# -- orders -----------------------------------------------------------------------------

ADDRESS = {"name": "Ada Walker", "line1": "12 Harbor Street", "city": "Portland",
           "state": "OR", "postal_code": "97201", "country": "US",
           "email": "ada@example.com"}


def paid_order(client, make_product, stock=(5,), quantity=2):
    from storefront.checkout.models import Order
    from tests.checkout.conftest import check_out

    variant = make_product(list(stock), price=12000, title="Easy Zip Boot").variants[0]
    check_out(client, (variant, quantity))
    order = db.session.scalars(select(Order)).one()
    page = f"/checkout/demo/{order.token}"
    token = client.csrf_token(page)
    for _ in range(2):  # a double click on Pay
        client.post(f"{page}/pay", data=ADDRESS | {"csrf_token": token})
    db.session.expire_all()
    return order


def test_a_paid_order_queues_one_confirmation_with_lines_totals_and_its_page(client,
                                                                            make_product):
    order = paid_order(client, make_product)
    [message] = outbox()
    assert message.kind == "order_paid" and message.recipients == ["ada@example.com"]
    assert message.subject == f"Order {order.number} confirmed: thank you"
    assert f"http://shop.test/orders/{order.token}" in message.text_body
    assert "2 × Easy Zip Boot" in message.text_body and "$240.00" in message.text_body
    assert "Hello Ada Walker," in message.text_body


def test_shipping_and_cancelling_queue_their_notices_in_their_transaction(client,
                                                                         make_product):
    from storefront.checkout import service as checkout

    order = paid_order(client, make_product)
    with pytest.raises(checkout.InvalidDetails):
        checkout.ship_order(order.id, "", "", actor="wh@shop.test")
    assert [m.kind for m in outbox()] == ["order_paid"]
    checkout.ship_order(order.id, "UPS", "1Z999", actor="wh@shop.test")
    shipped = outbox()[-1]
    assert shipped.kind == "order_shipped"
    assert "Carrier: UPS" in shipped.text_body and "Tracking number: 1Z999" in shipped.text_body


def test_cancelling_a_paid_order_tells_the_shopper_the_refund_is_on_its_way(client,
                                                                           make_product):
    from storefront.checkout import service as checkout

    order = paid_order(client, make_product)
    checkout.cancel_paid_order(order.id, actor="admin@shop.test", reason="Customer asked")
    cancelled = outbox()[-1]
    assert cancelled.kind == "order_cancelled"
    assert cancelled.subject == f"Order {order.number} cancelled: your refund is on its way"
    assert "We are refunding $240.00" in cancelled.text_body
    assert "Reason: Customer asked" in cancelled.text_body
