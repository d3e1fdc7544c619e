"""Column helpers shared by every package's models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import mapped_column


def utcnow():
    """Aware UTC now; used as a callable default so each row gets its own time."""
    return datetime.now(UTC)


def created_at_column():
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
