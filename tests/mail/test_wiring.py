"""The events that queue mail do so in their own transaction: comments awaiting moderation."""

from datetime import timedelta

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
