"""The outbox: one row per e-mail, written in the transaction of the event that causes it."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, created_at_column, utcnow

STATUSES = ("pending", "sent", "failed")


class OutboxMessage(db.Model):
    """A rendered message waiting for (or done with) delivery.

    A sender claims a pending row by writing its `claim_token` and a lease
    (`claimed_until`) in one conditional UPDATE, sends it, then marks it sent
    only if it still holds the claim. A sender that dies mid-way leaves the
    lease to run out, and the row is sent again, with the same Message-ID.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # The sender's claim query: due pending rows, oldest first.
        Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Set by callers whose event must produce one message at most (an order's
    # confirmation, a day's digest); NULL for messages that may repeat.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
