"""Rendered public pages, cached per process and never shown stale.

A page is reused only while its *content version* is unchanged: the newest
stock ledger id (every stock change writes one, so a cached page never shows
stale stock) plus the versions that packages register (catalogue and article
edits bump a counter row in the same transaction as the edit; see `track`).

On PostgreSQL each worker keeps the version in memory: triggers on the ledger
and the counters NOTIFY on every change, and a thread per worker LISTENs and
re-reads the version (`_VersionWatcher`), so a cached page costs no query and
no worker, on any host, serves a page older than the change's notification.
Whenever that thread has no current version (starting, reconnecting, a change
not re-read yet), and always on SQLite, the version is read per request.

Parts that differ per visitor (CSRF tokens, the cart count, flash messages)
are left as holes in the cached HTML and filled for each request, so one
cached page serves every shopper.
"""

import hashlib
import logging
import os
import secrets
from collections import OrderedDict
from functools import cache, wraps
from itertools import chain
from threading import Event, Lock, Thread
from time import monotonic, perf_counter
from typing import NamedTuple

from flask import current_app, g, has_app_context, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import DDL, DateTime, Integer, String, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.http import parse_etags

from . import errors, logs, security
from .extensions import db, limiter
from .models import utcnow

# Unguessable, so no text a shopper or editor writes can open or close a hole.
HOLE_MARK = f"\ue000{secrets.token_hex(8)}\ue000"
HOLE = HOLE_MARK + "{}" + HOLE_MARK
CHANNEL = "storefront_content"
log = logging.getLogger(__name__)
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


# Migration 0012 installs the same function and triggers on databases built by migrations.
NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION storefront_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$"""


def notify_trigger(table_name):
    return (f"CREATE TRIGGER {table_name}_content_changed "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table_name} "
            "FOR EACH ROW EXECUTE FUNCTION storefront_content_changed()")


def notify_on_change(table):
    """On PostgreSQL, every committed write to `table` notifies the workers' watchers.

    PostgreSQL sends a notification only at COMMIT and folds repeats within one
    transaction into one, so a checkout holding ten lines notifies once.
    """
    for statement in (NOTIFY_FUNCTION, notify_trigger(table.name)):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


notify_on_change(ContentVersion.__table__)


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


def content_changed(session):
    """This transaction changes what public pages show: once it commits, this process
    stops trusting its watcher's version until the watcher has re-read it, so the
    request after a change always sees it (another worker sees it on notification)."""
    session.info["page_content_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_version_after_change(session):
    if session.info.pop("page_content_changed", False) and has_app_context():
        watcher = current_app.extensions.get("page_cache_watcher")
        if watcher is not None:
            watcher.invalidate()


@event.listens_for(Session, "after_rollback")
def _nothing_changed_after_rollback(session):
    session.info.pop("page_content_changed", None)


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
    content_changed(session)
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = ContentVersion.__table__
    for name in sorted(names):
        stmt = insert(table).values(name=name, version=1)
        connection.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": table.c.version + 1}))


def content_version():
    """The current version of everything a public page shows: from this worker's
    watcher when it has one, else in one query."""
    watcher = _watcher()
    if watcher is not None:
        version = watcher.current()
        if version is not None:
            return version
    # A prebuilt statement, and on PostgreSQL outside any transaction (autocommit),
    # so a read costs no BEGIN or ROLLBACK. SQLite keeps the session's connection:
    # its transactions are managed by hand (storefront/database.py), which a switch
    # to autocommit would undo.
    params = {"now": utcnow()}
    if db.engine.dialect.name != "postgresql":
        return tuple(db.session.connection().execute(_version_statement(), params).one())
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return tuple(conn.execute(_version_statement(), params).one())


class _VersionWatcher:
    """This worker's content version, kept current by PostgreSQL notifications.

    A thread LISTENs on CHANNEL with its own connection and re-reads the version
    after every notification, and every `recheck` seconds for what changes with
    the clock alone (a scheduled article coming out). `current()` is None
    whenever the version may be behind, or has not been re-read for a while (a
    stuck connection); callers then read the version themselves.
    """

    def __init__(self, engine, recheck):
        self.engine, self.recheck = engine, recheck
        self.pid = os.getpid()
        self._state = (None, 0.0)  # (version, monotonic time it was read), swapped whole
        self._generation = 0  # bumped by every invalidation
        self._lock = Lock()
        self._stopping = Event()
        compiled = _version_statement().compile(dialect=engine.dialect)
        self._sql, self._params = str(compiled), compiled.params
        self._thread = Thread(target=self._run, name="page-cache-watcher", daemon=True)
        self._thread.start()

    def current(self):
        version, read_at = self._state
        if version is not None and monotonic() - read_at < self.recheck + 2:
            return version
        return None

    def invalidate(self):
        with self._lock:
            self._generation += 1
            self._state = (None, 0.0)

    def stop(self):
        self._stopping.set()
        self._thread.join(timeout=5)

    def _connect(self):
        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        kwargs["application_name"] = "storefront page cache"  # for pg_stat_activity
        connection = self.engine.dialect.connect(*args, **kwargs)
        connection.autocommit = True
        return connection

    def _run(self):
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    backoff = 0.5
                    self._watch(connection)
            except Exception:  # any failure: fall back to reading per request, retry
                log.warning("page cache lost its change notifications; reading the "
                            "content version per request until they are back", exc_info=True)
            self.invalidate()
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, 30)

    def _watch(self, connection):
        due = 0.0
        while not self._stopping.is_set():
            if self._state[0] is None or monotonic() >= due:
                with self._lock:
                    generation = self._generation
                params = dict(self._params, now=utcnow())
                version = tuple(connection.execute(self._sql, params).fetchone())
                with self._lock:
                    if generation != self._generation:
                        continue  # changed while it was read: read again
                    self._state = (version, monotonic())
                due = monotonic() + self.recheck
            # Wake at least once a second to notice stop().
            for _notification in connection.notifies(timeout=min(self.recheck, 1.0),
                                                     stop_after=1):
                self.invalidate()


_watcher_lock = Lock()


def _watcher():
    """This process's watcher, started on first use (gunicorn forks workers after import)."""
    app = current_app._get_current_object()
    watcher = app.extensions.get("page_cache_watcher")
    if watcher is not None and watcher.pid == os.getpid():
        return watcher
    if not app.config.get("PAGE_CACHE_LISTEN", True) or db.engine.dialect.name != "postgresql":
        return None
    with _watcher_lock:
        watcher = app.extensions.get("page_cache_watcher")
        if watcher is None or watcher.pid != os.getpid():
            watcher = app.extensions["page_cache_watcher"] = _VersionWatcher(
                db.engine, app.config.get("PAGE_CACHE_RECHECK_SECONDS", 1.0))
        return watcher


def stop_watcher(app):
    """Stop this process's watcher (tests; a worker's daemon thread ends with it)."""
    watcher = app.extensions.pop("page_cache_watcher", None)
    if watcher is not None:
        watcher.stop()


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


def _fill(parts):
    """The cached page for this visitor: `parts` is the page split at its holes
    (text, hole name, text, ...), so filling it is one join."""
    if len(parts) == 1:
        return parts[0]
    filled = list(parts)
    for i in range(1, len(filled), 2):
        filled[i] = _fill_hole(filled[i])
    return "".join(filled)


def _fill_hole(name):
    if name == "csrf":
        return generate_csrf()  # one token per request, however many forms
    holes = current_app.extensions["page_holes"]
    template, session_keys = holes[name]
    if any(key in session for key in session_keys):
        return render_template(template)
    # Nothing personal in this session: the fill is the same for everyone.
    fill = holes.anonymous.get(name)
    if fill is None:
        fill = holes.anonymous[name] = render_template(template)
    return fill


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
        key = _key(request.environ)
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
            item = (version, body.split(HOLE_MARK), response.mimetype)
            store.put(key, item)
        response = current_app.response_class(_fill(item[1]), mimetype=item[2])
        response.headers["ETag"] = f'"{etag}"'
        response.headers["Cache-Control"] = "no-cache"
        if _cookie_less(request.environ) and "page_cache_watcher" in current_app.extensions:
            # What every visitor without cookies gets: keep it ready (ReadyPages, which
            # answers only while a watcher vouches for the version).
            current_app.extensions["page_cache_ready"].put(key, _Ready(
                version, _ready_body(item[1]), response.content_type, etag))
        return response

    wrapper.page_cached = True
    return wrapper


def _key(environ):
    # The raw request line, as the WSGI server passed it (cheaper than request.url).
    return (environ["wsgi.url_scheme"], environ.get("HTTP_HOST", ""),
            environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))


def _cookie_less(environ):
    """No session, no staff login, no API token: nothing about the visitor to show."""
    return "HTTP_COOKIE" not in environ and "HTTP_AUTHORIZATION" not in environ


class _Ready(NamedTuple):
    version: tuple
    body: bytes | tuple  # the page, or the text around its CSRF tokens
    content_type: str
    etag: str


def _ready_body(parts):
    """The page as every visitor without cookies gets it (their cart and messages are
    empty): bytes, or for a page with forms the text around its CSRF tokens, the one
    thing that differs between two such visitors."""
    segments = [""]
    for i, part in enumerate(parts):
        if i % 2 == 0:
            segments[-1] += part
        elif part == "csrf":
            segments.append("")
        else:
            segments[-1] += _fill_hole(part)
    return segments[0].encode() if len(segments) == 1 else tuple(segments)


class ReadyPages:
    """A WSGI layer in front of Flask that answers a GET from a visitor without cookies
    with the ready page of that URL, while this worker's watcher vouches that its
    content version is current.

    Such a visitor gets exactly what Flask would send (the same body, security
    headers, request id, ETag and 304, access log line) without the cost of the
    request hooks (login, limiter, ...). A page with a form needs a CSRF token
    of the visitor's own: it is made by Flask-WTF in a bare request context and
    sent with its session cookie, as Flask would. Anything else goes through
    Flask.
    """

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.store = app.extensions["page_cache_ready"]

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and _cookie_less(environ):
            ready = self.store.get(_key(environ))
            if ready is not None:
                watcher = self.app.extensions.get("page_cache_watcher")
                if (watcher is not None and watcher.pid == os.getpid()
                        and watcher.current() == ready.version):
                    return self._answer(ready, environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _answer(self, ready, environ, start_response):
        started = perf_counter()
        request_id = errors.request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [("ETag", f'"{ready.etag}"'), ("Cache-Control", "no-cache"),
                   ("Vary", "Cookie"), ("X-Request-ID", request_id),
                   *security.secure_headers(environ["wsgi.url_scheme"] == "https")]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(ready.etag):
            status, body = 304, b""
        else:
            status, body = 200, ready.body
            if not isinstance(body, bytes):
                body, session_headers = self._with_token(body, environ)
                headers += session_headers
            headers += [("Content-Type", ready.content_type),
                        ("Content-Length", str(len(body)))]
        start_response("200 OK" if status == 200 else "304 NOT MODIFIED", headers)
        if not self.app.testing:
            logs.log_access("GET", environ.get("PATH_INFO", ""), status,
                            round((perf_counter() - started) * 1000, 1), request_id)
        return [body]

    def _with_token(self, segments, environ):
        """The page with a new CSRF token, and the cookie of the session that holds it."""
        app = self.app
        with app.request_context(environ):
            body = generate_csrf().join(segments).encode()
            response = app.response_class()
            app.session_interface.save_session(app, session, response)
            return body, [("Set-Cookie", cookie)
                          for cookie in response.headers.getlist("Set-Cookie")]


@limiter.request_filter
def _cached_pages_have_no_limits():
    # No limit applies to the cached public pages; saying so spares the limiter
    # resolving an empty set of limits on every view.
    view = current_app.view_functions.get(request.endpoint)
    return request.method == "GET" and getattr(view, "page_cached", False)


class _Holes(dict):
    """name -> (template, session keys it depends on); plus fills for plain sessions."""

    def __init__(self, *args):
        super().__init__(*args)
        self.anonymous = {}


def init_app(app):
    app.extensions["page_cache"] = _Store(app.config.get("PAGE_CACHE_SIZE", 1000))
    app.extensions["page_cache_ready"] = _Store(app.config.get("PAGE_CACHE_SIZE", 1000))
    app.wsgi_app = ReadyPages(app, app.wsgi_app)
    app.extensions["page_holes"] = _Holes({
        "cart_link": ("partials/cart_link.html", ("cart",)),
        "flashes": ("partials/flashes.html", ("_flashes",)),
    })
    app.jinja_env.globals["hole"] = hole
