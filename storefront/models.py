"""Column helpers shared by every package's models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import mapped_column

# Ids are INTEGER columns; a larger number from a URL or a form cannot be one.
MAX_ID = 2**31 - 1


def utcnow():
    """Aware UTC now; used as a callable default so each row gets its own time."""
    return datetime.now(UTC)


def created_at_column():
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
