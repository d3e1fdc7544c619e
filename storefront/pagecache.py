"""Rendered public pages, cached per process and checked against the database on every hit.

A page is reused only while its *content version* is unchanged. The version is
read in one query per request: the newest stock ledger id (every stock change
writes one, so a cached page never shows stale stock) plus the versions that
packages register (catalogue and article edits bump a counter row in the same
transaction as the edit; see `track`). Parts that differ per visitor (CSRF
tokens, the cart count, flash messages) are left as holes in the cached HTML
and filled for each request, so one cached page serves every shopper.
"""

import hashlib
from collections import OrderedDict
from functools import cache, wraps
from itertools import chain
from threading import Lock

from flask import current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import DateTime, Integer, String, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .models import utcnow

HOLE = "\ue000{}\ue000"
_tracked = {}  # model class -> content name
_version_parts = []  # callables returning a scalar subquery


class ContentVersion(db.Model):
    """A counter per kind of content, bumped in the transaction that edits it."""

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


def track(name, *models):
    """Edits to these models change content `name` (and so every cached page)."""
    for model in models:
        _tracked[model] = name


# The time of the request, for version parts that change with the clock alone.
NOW = bindparam("now", type_=DateTime(timezone=True))


def version_part(fn):
    """Register a callable returning a scalar subquery that is part of the version;
    it may compare with NOW. Called once per process: the statement is built once."""
    _version_parts.append(fn)
    _version_statement.cache_clear()
    return fn


@cache
def _version_statement():
    return select(*(part() for part in _version_parts))


@version_part
def _tracked_content():
    return select(db.func.coalesce(db.func.sum(ContentVersion.version), 0)).scalar_subquery()


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session, _context, _instances):
    _bump(session, {
        _tracked[type(obj)]
        for obj in chain(session.new, session.deleted, session.dirty)
        if type(obj) in _tracked and (obj not in session.dirty or session.is_modified(obj))
    })


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_change(state):
    # update(Model)/delete(Model) statements skip the flush, so they are caught here.
    if state.is_update or state.is_delete:
        _bump(state.session, {_tracked[m.class_] for m in state.all_mappers
                              if m.class_ in _tracked})


def _bump(session, names):
    if not names:
        return
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = ContentVersion.__table__
    for name in sorted(names):
        stmt = insert(table).values(name=name, version=1)
        connection.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": table.c.version + 1}))


def content_version():
    """The current version of everything a public page shows, in one query."""
    # This runs on every cached page view: a prebuilt statement, and on PostgreSQL
    # outside any transaction (autocommit), so a hit costs no BEGIN or ROLLBACK.
    # SQLite keeps the session's connection: its transactions are managed by hand
    # (storefront/database.py), which a switch to autocommit would undo.
    params = {"now": utcnow()}
    if db.engine.dialect.name != "postgresql":
        return tuple(db.session.connection().execute(_version_statement(), params).one())
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return tuple(conn.execute(_version_statement(), params).one())


class _Store:
    """A small thread-safe LRU of rendered pages."""

    def __init__(self, size):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, key):
        with self.lock:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
            return item

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def hole(name):
    """A per-visitor part of the page, left open in the cached copy (templates/base.html)."""
    return Markup(HOLE.format(name))  # noqa: S704 (a fixed marker, no user input)  # nosec B704


def _fill(body):
    """Fill the holes of a cached page for this visitor."""
    marker = HOLE.format("csrf")
    if marker in body:
        body = body.replace(marker, generate_csrf())
    holes = current_app.extensions["page_holes"]
    for name, (template, session_keys) in holes.items():
        marker = HOLE.format(name)
        if marker not in body:
            continue
        if any(key in session for key in session_keys):
            fill = render_template(template)
        else:  # nothing personal in this session: the fill is the same for everyone
            fill = holes.anonymous.get(name)
            if fill is None:
                fill = holes.anonymous[name] = render_template(template)
        body = body.replace(marker, fill)
    return body


def _cacheable_request():
    # Staff see the public pages fresh; everyone else shares the cached copy.
    return (request.method == "GET" and current_app.config.get("PAGE_CACHE", True)
            and not current_user.is_authenticated)


def cached_page(view):
    """Serve a public GET view from the page cache while the content version is unchanged."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable_request():
            return view(*args, **kwargs)
        store = current_app.extensions["page_cache"]
        key = request.url
        version = content_version()
        etag = hashlib.blake2b(repr((key, version)).encode(), digest_size=12).hexdigest()
        fresh_visitor = not session  # no cart, flashes or token to personalise
        if fresh_visitor and etag in request.if_none_match:
            return "", 304, {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
        item = store.get(key)
        if item is None or item[0] != version:
            g.page_holes = True
            try:
                response = current_app.make_response(view(*args, **kwargs))
            finally:
                g.page_holes = False
            if response.status_code != 200 or response.direct_passthrough:
                return response
            body = response.get_data(as_text=True)
            token = g.get("csrf_token")  # Flask-WTF keeps the token it rendered here
            if token:
                body = body.replace(token, HOLE.format("csrf"))
            item = (version, body, response.mimetype)
            store.put(key, item)
        response = current_app.response_class(_fill(item[1]), mimetype=item[2])
        response.headers["ETag"] = f'"{etag}"'
        response.headers["Cache-Control"] = "no-cache"
        return response

    return wrapper


class _Holes(dict):
    """name -> (template, session keys it depends on); plus fills for plain sessions."""

    def __init__(self, *args):
        super().__init__(*args)
        self.anonymous = {}


def init_app(app):
    app.extensions["page_cache"] = _Store(app.config.get("PAGE_CACHE_SIZE", 1000))
    app.extensions["page_holes"] = _Holes({
        "cart_link": ("partials/cart_link.html", ("cart",)),
        "flashes": ("partials/flashes.html", ("_flashes",)),
    })
    app.jinja_env.globals["hole"] = hole
