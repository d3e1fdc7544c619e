"""What the shop accepts from outside: one rule for every page, API call and file.

Whole numbers are ASCII digits with at most one leading minus (never `²`, `٣` or
`--1`); no text anywhere may hold a NUL character (PostgreSQL cannot store it and no
person types it); JSON may nest only as deep as any honest client needs.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from flask import Request, current_app
from werkzeug.exceptions import BadRequest

# Ids are INTEGER columns; a larger number from a URL or a form cannot be one.
MAX_ID = 2**31 - 1
# Longer digit strings are no count, price or id the shop has; refusing them early also
# keeps int() away from numbers thousands of digits long.
MAX_DIGITS = 18
_WHOLE_NUMBER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}", re.ASCII)

# The deepest JSON the shop reads is two levels (an object holding a list); 32 leaves
# room for any client and stays far below the parser's recursion limit.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")

NUL_MESSAGE = "The request contains characters that are not allowed."
DEEP_JSON_MESSAGE = (f"The JSON in this request is nested more than {MAX_JSON_DEPTH} "
                     "levels deep; send a flatter document.")


def parse_int(raw, *, minimum=None, maximum=None):
    """A whole number from form, query, JSON or file input, or None when it is not one.

    Text must be ASCII digits with at most one leading minus (surrounding spaces are
    ignored). From JSON, an int or a float with no fraction (2.0) counts, as in JSON
    Schema; booleans never do. Outside [minimum, maximum] is None too.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer() or abs(raw) >= 10**MAX_DIGITS:
            return None
        value = int(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            return None
        value = int(text)
    else:
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


def parse_id(raw):
    """An id from form or JSON input, or None when the value cannot be one."""
    return parse_int(raw, minimum=0, maximum=MAX_ID)


def parse_ids(values):
    """Ids from repeated form values (ticked boxes); raises ValueError for one that is not
    ASCII digits. Numbers beyond MAX_ID are dropped: no row has them, so nothing is chosen."""
    ids = []
    for raw in values:
        text = str(raw).strip()
        if not text or not text.isascii() or not text.isdigit():
            raise ValueError(f"not an id: {text[:20]!r}")
        if len(text) <= MAX_DIGITS and int(text) <= MAX_ID:
            ids.append(int(text))
    return ids


def page_number(raw, last=10_000):
    """A page number from a query string: 1 for anything that is not one, at most `last`."""
    number = parse_int(raw)
    if number is None:
        return 1
    return min(max(number, 1), last)


def accepts_upload(limit):
    """Mark a view as taking a body of up to `limit(config)` bytes (a file upload)."""
    def mark(view):
        view.upload_limit = limit
        return view
    return mark


def has_nul(value):
    """True when `value` (text, or JSON-shaped lists and dicts of it) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def json_depth(data):
    """How deeply the JSON document `data` (bytes) nests, read without parsing it."""
    # Cheap way out for the usual small document: it cannot nest deeper than its brackets.
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', data)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest



class ShopRequest(Request):
    """Flask's request, whose JSON is refused (400) when it nests too deeply or holds NUL.

    The depth is checked on the raw bytes, before the parser's recursion could fail.
    A view marked with `accepts_upload` may receive a larger body than MAX_CONTENT_LENGTH;
    the limit is known before anything (the CSRF check included) reads the body."""

    @property
    def max_content_length(self):
        if self._max_content_length is None and current_app and self.endpoint:
            limit = getattr(current_app.view_functions.get(self.endpoint), "upload_limit",
                            None)
            if limit is not None:
                return limit(current_app.config)
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value):
        self._max_content_length = value

    def get_json(self, force=False, silent=False, cache=True):
        if (force or self.is_json) and json_depth(self.get_data(cache=True)) > MAX_JSON_DEPTH:
            raise BadRequest(DEEP_JSON_MESSAGE)
        data = super().get_json(force=force, silent=silent, cache=cache)
        if has_nul(data):
            raise BadRequest(NUL_MESSAGE)
        return data


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
