"""The shared column types: times go in as UTC and come back aware on every backend."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail.models import OutboxMessage


def queued_message(next_attempt_at):
    message = OutboxMessage(
        kind="test", message_id=f"<{next_attempt_at.isoformat()}@shop.test>",
        sender="shop@shop.test", recipients=["ana@example.com"], subject="Hello",
        text_body="Hello", html_body="<p>Hello</p>", next_attempt_at=next_attempt_at)
    db.session.add(message)
    db.session.commit()
    return message


def test_times_come_back_aware_in_utc_whatever_zone_they_were_given_in(app):
    in_new_york = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    message = queued_message(next_attempt_at=in_new_york)
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, message.id)
    assert stored.next_attempt_at == datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    assert stored.next_attempt_at.tzinfo is UTC
    assert stored.created_at.tzinfo is UTC
    due = db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.next_attempt_at <= datetime(2026, 3, 1, 14, 30, tzinfo=UTC))).all()
    assert due == [message.id]


def test_a_naive_time_is_refused_rather_than_guessed(app):
    with pytest.raises(Exception, match="naive datetime"):
        queued_message(next_attempt_at=datetime(2026, 3, 1, 9, 30))
    db.session.rollback()
