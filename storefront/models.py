"""Column helpers shared by every package's models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import mapped_column

# Ids are INTEGER columns; a larger number from a URL or a form cannot be one.
MAX_ID = 2**31 - 1


def parse_id(raw):
    """An id from form or JSON input, or None when the value cannot be one."""
    text = str(raw).strip() if raw is not None and not isinstance(raw, bool) else ""
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


def utcnow():
    """Aware UTC now; used as a callable default so each row gets its own time."""
    return datetime.now(UTC)


def created_at_column():
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
