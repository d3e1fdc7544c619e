"""Queueing: a message exists exactly when its event commits, rendered with the shop's links."""

from datetime import date

import pytest
from sqlalchemy import func, select

from storefront.database import transactional
from storefront.extensions import db
from storefront.links import absolute_url
from storefront.mail import service as mail
from storefront.mail.models import OutboxMessage
from storefront.mail.transport import build_email


def outbox():
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def paid(**overrides):
    values = dict(
        to="ana@example.com", order_number="SA-00042", order_url="/orders/s3cr3t-token",
        lines=[mail.Line("Trail Walker", 2, 12900, 25800, detail="Size 8, Wide, Navy",
                         sku="TW-8-W-NAVY"),
               {"title": "Comfort Insoles", "quantity": 1, "unit_price": 1500,
                "line_total": 1500}],
        subtotal=27300, shipping=500, total=27800, customer_name="Ana")
    values.update(overrides)
    return mail.queue_order_paid(**values)


def test_a_message_commits_with_its_event_and_vanishes_with_its_rollback(app):
    @transactional
    def pay_then_fail():
        paid()
        raise RuntimeError("payment bookkeeping failed")

    with pytest.raises(RuntimeError):
        pay_then_fail()
    assert outbox() == []

    transactional(paid)()
    db.session.remove()
    [message] = outbox()
    assert message.status == "pending" and message.recipients == ["ana@example.com"]


def test_queue_refuses_to_run_outside_a_use_case(app):
    with pytest.raises(RuntimeError, match="inside a @transactional use case"):
        paid()


def test_order_confirmation_lists_lines_totals_and_the_order_link_on_public_url(app):
    transactional(paid)()
    [message] = outbox()
    assert message.subject == "Order SA-00042 confirmed: thank you"
    for body in (message.text_body, message.html_body):
        assert "Stride Adaptive" in body
        assert "http://shop.test/orders/s3cr3t-token" in body
        assert "Trail Walker" in body and "Size 8, Wide, Navy" in body
        assert "$258.00" in body and "$129.00" in body
        assert "$273.00" in body and "$5.00" in body and "$278.00" in body
    assert "2 × Trail Walker (Size 8, Wide, Navy)" in message.text_body
    assert "Total paid: $278.00" in message.text_body
    assert message.sender == "Stride Adaptive <shop@shop.test>"
    assert message.message_id.startswith("<") and message.message_id.endswith("@shop.test>")


def test_the_same_event_queues_one_message(app):
    @transactional
    def twice():
        first, second = paid(), paid()
        return first.id, second.id

    first, second = twice()
    assert first == second
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_html_escapes_what_shoppers_typed_and_text_keeps_it_readable(app):
    @transactional
    def comment():
        return mail.queue_comment_awaiting_moderation(
            to=["marketing@shop.test", "MARKETING@shop.test", "admin@shop.test"],
            article_title="Choosing shoes for an AFO", author_name="Bo <b>",
            excerpt="Great  read!\n<script>alert(1)</script> " + "more " * 200,
            moderation_url="/staff/comments", comment_id=7)

    message = comment()
    assert message.recipients == ["marketing@shop.test", "admin@shop.test"]
    assert "<script>" not in message.html_body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html_body
    assert "Great read! <script>alert(1)</script>" in message.text_body
    assert "…" in message.text_body and len(message.text_body) < 1500
    assert "http://shop.test/staff/comments" in message.text_body
    assert message.subject == "New comment awaiting moderation on “Choosing shoes for an AFO”"


def test_shipping_and_cancellation_notices(app):
    @transactional
    def notices():
        mail.queue_order_shipped(to="ana@example.com", order_number="SA-1", order_url="/orders/t",
                                 carrier="UPS", tracking_number="1Z999AA10123456784",
                                 tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
                                 lines=[mail.Line("Trail Walker", 1, 12900, 12900)])
        mail.queue_order_cancelled(to="ana@example.com", order_number="SA-2",
                                   order_url="/orders/u", reason="Sold out after payment",
                                   refund=12900)
        mail.queue_order_cancelled(to="ana@example.com", order_number="SA-3",
                                   order_url="/orders/v")

    notices()
    shipped, refunded, cancelled = outbox()
    assert shipped.subject == "Order SA-1 is on its way"
    assert "Carrier: UPS" in shipped.text_body and "1Z999AA10123456784" in shipped.html_body
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in shipped.text_body
    assert refunded.subject == "Order SA-2 cancelled: your refund is on its way"
    assert "We are refunding $129.00 to the card you paid with" in refunded.text_body
    assert "Reason: Sold out after payment" in refunded.text_body
    assert cancelled.subject == "Order SA-3 cancelled"
    assert "You have not been charged" in cancelled.html_body


def test_back_in_stock_carries_an_unsubscribe_link_in_body_and_header(app):
    @transactional
    def notify():
        return mail.queue_back_in_stock(
            to="cy@example.com", product_title="Trail Walker",
            variant_label="Size 9, Wide, Navy", product_url="/products/trail-walker",
            unsubscribe_url="/alerts/abc/unsubscribe")

    message = notify()
    email = build_email(message)
    assert email["List-Unsubscribe"] == "<http://shop.test/alerts/abc/unsubscribe>"
    assert "Stop these e-mails: http://shop.test/alerts/abc/unsubscribe" in message.text_body
    assert 'href="http://shop.test/products/trail-walker"' in message.html_body


def test_low_stock_digest_is_one_message_a_day(app):
    rows = [mail.LowStockRow("TW-8", "Trail Walker", "Size 8, Medium, Navy", 0, 5,
                             "http://shop.test/staff/inventory/1"),
            mail.LowStockRow("TW-9", "Trail Walker", "Size 9, Medium, Navy", 3, 5,
                             "http://shop.test/staff/inventory/2")]

    @transactional
    def digest():
        first = mail.queue_low_stock_digest(to=["wh@shop.test"], rows=rows, day=date(2026, 3, 2))
        again = mail.queue_low_stock_digest(to=["wh@shop.test"], rows=rows, day=date(2026, 3, 2))
        return first.id, again.id

    first, again = digest()
    assert first == again
    [message] = outbox()
    assert message.subject == "Low stock on 02 Mar 2026: 2 variants"
    assert "SOLD OUT (threshold 5)" in message.text_body
    assert "3 available (threshold 5)" in message.text_body
    assert mail.low_stock_digest_queued(date(2026, 3, 2))


@pytest.mark.parametrize("address", ["", "no-at-sign", "a@b\r\nBcc: x@evil.test",
                                     "two@x.test, three@x.test", "<a@b.test>"])
def test_bad_recipients_are_refused_clearly(app, address):
    with pytest.raises(mail.InvalidRecipient, match="is not an e-mail address"):
        transactional(paid)(to=address)
    assert outbox() == []


def test_a_message_needs_a_recipient(app):
    with pytest.raises(mail.NoRecipients):
        transactional(paid)(to=[])


def test_links_in_mail_are_absolute_on_public_url_without_a_request(app):
    assert absolute_url("catalogue.products", gender="women") == (
        "http://shop.test/products?gender=women")
    app.config["PUBLIC_URL"] = "https://shop.example.com/store"
    assert absolute_url("catalogue.home") == "https://shop.example.com/store/"
    assert mail.absolute("/orders/x") == "https://shop.example.com/store/orders/x"
    assert mail.absolute("https://carrier.test/t") == "https://carrier.test/t"
    with pytest.raises(ValueError, match="path starting with '/'"):
        mail.absolute("orders/x")


def test_built_email_has_text_and_html_alternatives_and_no_secrets(app):
    app.config["MAIL_URL"] = "smtp://shop:hunter2@mail.test:587?tls=1"
    message = transactional(paid)()
    email = build_email(message)
    assert email.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in email.iter_parts()] == ["text/plain", "text/html"]
    assert email["Message-ID"] == message.message_id
    assert email["To"] == "ana@example.com"
    raw = bytes(email).decode()
    assert "hunter2" not in raw and app.config["SECRET_KEY"] not in raw
