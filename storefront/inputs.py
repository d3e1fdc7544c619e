"""Ids and page numbers from URLs, forms and query strings: one rule for every page."""

# Ids are INTEGER columns; a larger number from a URL or a form cannot be one.
MAX_ID = 2**31 - 1


def parse_id(raw):
    """An id from form or JSON input, or None when the value cannot be one."""
    text = str(raw).strip() if raw is not None and not isinstance(raw, bool) else ""
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_ID:
        return int(text)
    return None


def page_number(raw, last=10_000):
    """A page number from a query string: 1 for anything that is not one, at most `last`."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), last)
