"""Back-in-stock sign-ups: one row per (variant, address)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, created_at_column


class BackInStockRequest(db.Model):
    """A shopper waiting for a sold-out variant.

    Confirmed once by a link (double opt-in), notified at most once: `notified_at`
    is set by a conditional UPDATE in the transaction that queues the notice.
    """

    __tablename__ = "back_in_stock_request"
    __table_args__ = (
        UniqueConstraint("variant_id", "email"),
        Index("ix_back_in_stock_request_waiting", "variant_id", "confirmed_at", "notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"))
    # Stored lower-cased, so one address cannot sign up twice in different case.
    email: Mapped[str] = mapped_column(String(254))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = created_at_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status(self):
        if self.unsubscribed_at:
            return "unsubscribed"
        if self.notified_at:
            return "notified"
        return "waiting" if self.confirmed_at else "unconfirmed"
