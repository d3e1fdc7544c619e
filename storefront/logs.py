"""Structured JSON logs, one object per line, each carrying the request id.

Query strings and form bodies are never logged (they can hold e-mail
addresses and tokens), and order-page tokens are masked in paths.
"""

import json
import logging
import re
import sys
import time

from flask import g, has_request_context, request

_ORDER_TOKEN = re.compile(r"^(/orders/)[^/]+")
# PostgreSQL quotes the offending row or key in an error's DETAIL line ("Failing row
# contains (1, ann@example.com, ...)"), which can hold what a visitor typed.
_DATABASE_DETAIL = re.compile(r"^DETAIL: .*$", re.MULTILINE)
access_log = logging.getLogger("storefront.access")


def scrub(text):
    """`text` (a formatted traceback) without the database's quotes of row values."""
    return _DATABASE_DETAIL.sub("DETAIL:  (withheld: it may quote personal data)", text)


class ScrubbedTracebacks(logging.Filter):
    """Formats a record's traceback once, scrubbed, for every handler that shows it."""

    def filter(self, record):
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


def safe_path(path):
    return _ORDER_TOKEN.sub(r"\1…", path)


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
            entry["method"] = request.method
            entry["path"] = safe_path(request.path)
        for key in ("request_id", "method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = scrub(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def init_app(app):
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger("storefront")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    root.propagate = app.testing  # tests read records through pytest's caplog
    errors_log = logging.getLogger("storefront.errors")
    if not any(isinstance(f, ScrubbedTracebacks) for f in errors_log.filters):
        errors_log.addFilter(ScrubbedTracebacks())

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()


def log_access(method, path, status, duration_ms, request_id=None):
    """The access line of one request; `request_id` is given where Flask's context is not."""
    fields = {"status": status, "duration_ms": duration_ms}
    if request_id is not None:
        fields.update(request_id=request_id, method=method, path=safe_path(path))
    access_log.info("%s %s %s", method, safe_path(path), status, extra=fields)
