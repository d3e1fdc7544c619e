"""Column helpers shared by every package's models."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Interval
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow():
    """Aware UTC now; used as a callable default so each row gets its own time."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A moment in time, stored as UTC, always handed back aware (tzinfo=UTC).

    PostgreSQL keeps it in a `timestamp with time zone`; SQLite has no time
    zones and stores the UTC wall time, which comes back naive and is marked
    as UTC here, so no caller ever compares naive with aware. A naive value
    given to the database is refused: the shop never means local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give the time in UTC (tzinfo=UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def coerce_compared_value(self, op, value):
        # `moment - timedelta(...)` in SQL: the duration is an interval, not a moment.
        if isinstance(value, timedelta):
            return Interval()
        return self


def created_at_column():
    return mapped_column(UTCDateTime, default=utcnow, nullable=False)
