"""Ids, page numbers and filters from URLs, forms and query strings: one rule for every page."""

from collections.abc import Callable
from dataclasses import dataclass, field, fields

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


# -- filters from a query string --------------------------------------------------
#
# A listing page declares its filters as a dataclass whose fields say which URL
# parameter they read and how (`text`, `choice`, `flag`, `page`, `words`). The
# page gets `from_args` (unknown or odd values fall back to the default: a
# filter is never an error) and `args` (the state as query arguments, defaults
# left out, for links that keep it) from `QueryFilters`.

@dataclass(frozen=True)
class _Param:
    name: str  # the URL parameter, when it differs from the field's name
    read: Callable  # (args, name) -> value
    write: Callable  # value -> query value, "" for the default


def _field(default, name, read, write):
    return field(default=default, metadata={"query": _Param(name, read, write)})


def text(max_length=100, *, name=None):
    """Free text, trimmed and cut to `max_length`; "" when absent."""
    return _field("", name, lambda args, p: (args.get(p) or "").strip()[:max_length],
                  lambda value: value)


def choice(allowed, default="", *, name=None):
    """One of `allowed` (strings), else `default`; the default is left out of links."""
    def read(args, p):
        value = (args.get(p) or "").strip()
        return value if value in allowed else default
    return _field(default, name, read, lambda value: "" if value == default else value)


def flag(on=("1", "on", "true"), *, name=None):
    """True when the parameter is one of `on`; written as `on[0]`."""
    return _field(False, name, lambda args, p: args.get(p) in on,
                  lambda value: on[0] if value else "")


def page(last=10_000, *, name=None):
    """A page number (see `page_number`); page 1 is left out of links."""
    return _field(1, name, lambda args, p: page_number(args.get(p), last),
                  lambda value: value if value > 1 else "")


def words(max_items=6, max_length=60, *, name=None):
    """A repeated parameter (?feature=a&feature=b): distinct trimmed values, in order."""
    def read(args, p):
        values = (v.strip()[:max_length] for v in args.getlist(p) if v and v.strip())
        return tuple(dict.fromkeys(values))[:max_items]
    return _field((), name, read, list)


class QueryFilters:
    """Base of a dataclass of filters declared with `text`, `choice`, `flag`, `page`, `words`."""

    @classmethod
    def _params(cls):
        return [(f.name, f.metadata["query"]) for f in fields(cls) if "query" in f.metadata]

    @classmethod
    def from_args(cls, args):
        """The filters a query string (a MultiDict such as request.args) asks for."""
        return cls(**{attr: param.read(args, param.name or attr)
                      for attr, param in cls._params()})

    def args(self, **overrides):
        """The filter state as query arguments (URL parameter names), defaults left out;
        `overrides` are URL parameters to set or, given "", to drop."""
        values = {param.name or attr: param.write(getattr(self, attr))
                  for attr, param in self._params()} | overrides
        return {k: v for k, v in values.items() if v not in ("", None, [])}
