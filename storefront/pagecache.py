"""Rendered public pages, cached per process and never shown stale.

A cached page remembers what it showed when it was rendered, and is reused only
while that is unchanged:

- its *content version*: catalogue and article edits bump a counter row in the
  same transaction as the edit (they send `signals.content_changed`, and this
  module bumps the row before the commit), plus the parts registered with
  `version_part` (articles scheduled to come out). Any edit changes it, so copy
  edits still renew every page: they are rare, and a product page shows
  articles, an article shows products.
- the *stock* of the variants it showed: every read of stock levels while a
  page renders is recorded (`signals.stock_read`) with each variant's change
  count (`stock_level.changes`, bumped by the guarded UPDATE itself). A page
  that filtered on stock (`in_stock=1`) depends on every variant. A hold on
  product A's stock leaves the pages that did not show A (B's page, an article
  without A, the blog) cached.

On PostgreSQL each worker keeps the content version in memory: triggers NOTIFY
on every content edit and every stock change (the payload names the variant),
and a thread per worker LISTENs (`_VersionWatcher`): it re-reads the content
version after a content edit and drops the pages that showed a variant whose
stock changed, so a cached page costs no query and no worker, on any host,
serves a page older than the change's notification. In the worker that made a
change, the page cache hears `stock_changed` and `content_changed` right after
the COMMIT, so the next request it serves shows the change. Whenever the
watcher has no current version (starting, reconnecting), and always on SQLite,
a cached request reads its versions in one query: the content version and the
sum of the change counts of the variants the page showed.

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
from threading import Event, Lock, Thread
from time import monotonic, perf_counter
from typing import NamedTuple

from flask import current_app, g, has_app_context, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import DDL, DateTime, Integer, String, bindparam, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.http import parse_etags

from . import errors, responses, signals
from .compression import GzipParts, accepts_gzip
from .extensions import db, limiter
from .inventory.models import StockLevel, StockMovement
from .models import utcnow

# Unguessable, so no text a shopper or editor writes can open or close a hole.
HOLE_MARK = f"\ue000{secrets.token_hex(8)}\ue000"
HOLE = HOLE_MARK + "{}" + HOLE_MARK
CHANNEL = "storefront_content"
log = logging.getLogger(__name__)
_version_parts = []  # callables returning a scalar subquery
_level = StockLevel.__table__


class ContentVersion(db.Model):
    """A counter per kind of content, bumped in the transaction that edits it."""

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


# Migrations 0012 and 0013 install the same functions and triggers on databases
# built by migrations. An empty payload means "content changed"; a number, "the
# stock of this variant changed".
NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION storefront_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$"""

NOTIFY_STOCK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION storefront_stock_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.variant_id::text);
    RETURN NULL;
END $$"""


def _on_postgresql(table, *statements):
    for statement in statements:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


# PostgreSQL sends a notification only at COMMIT and folds repeats within one
# transaction into one, so a checkout holding ten units of a variant notifies once.
_on_postgresql(ContentVersion.__table__, NOTIFY_FUNCTION,
               "CREATE TRIGGER content_version_content_changed "
               "AFTER INSERT OR UPDATE OR DELETE ON content_version "
               "FOR EACH ROW EXECUTE FUNCTION storefront_content_changed()")
_on_postgresql(StockMovement.__table__, NOTIFY_STOCK_FUNCTION,
               "CREATE TRIGGER stock_movement_stock_changed "
               "AFTER INSERT ON stock_movement "
               "FOR EACH ROW EXECUTE FUNCTION storefront_stock_changed()")


# The time of the request, for version parts that change with the clock alone.
NOW = bindparam("now", type_=DateTime(timezone=True))


def version_part(fn):
    """Register a callable returning a scalar subquery that is part of the content
    version; it may compare with NOW. Called once per process: the statement is
    built once."""
    _version_parts.append(fn)
    _version_statement.cache_clear()
    return fn


@cache
def _version_statement(stock="none"):
    """The content version, and the stock version of a page's variants ("variants",
    bound as `variant_ids`), of every variant ("all"), or of none."""
    columns = [part() for part in _version_parts]
    changes = select(func.coalesce(func.sum(_level.c.changes), 0))
    if stock == "variants":
        columns.append(changes.where(_level.c.variant_id.in_(
            bindparam("variant_ids", expanding=True))).scalar_subquery())
    elif stock == "all":
        columns.append(changes.scalar_subquery())
    return select(*columns)


@version_part
def _edited_content():
    return select(func.coalesce(func.sum(ContentVersion.version), 0)).scalar_subquery()


def _bump_content_version(_sender, kind, ids):
    """Before the edit commits: the counter row other workers see the edit by."""
    connection = db.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = ContentVersion.__table__
    stmt = insert(table).values(name=signals.area_of(kind)[:30], version=1)
    connection.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.name], set_={"version": table.c.version + 1}))


def _after_content_change(_sender, kind, ids):
    """After the commit: this worker stops trusting its watcher's content version
    until the watcher has re-read it, so its next request shows the edit."""
    if has_app_context():
        watcher = current_app.extensions.get("page_cache_watcher")
        if watcher is not None:
            watcher.invalidate()


def _after_stock_change(_sender, variant_ids):
    """After the commit: drop this worker's pages that showed these variants."""
    if has_app_context() and "page_cache" in current_app.extensions:
        for store in (current_app.extensions["page_cache"],
                      current_app.extensions["page_cache_ready"]):
            store.forget_stock(variant_ids)


class _Reads:
    """The stock a page read while it was rendered: {variant_id: changes}, or every
    variant's (with the sum of all change counts, read before the page used it)."""

    __slots__ = ("variants", "every_variant")

    def __init__(self):
        self.variants, self.every_variant = {}, None

    def stock(self):
        """(variant ids or None for every variant, their stock version)."""
        if self.every_variant is not None:
            return None, self.every_variant
        return frozenset(self.variants), sum(self.variants.values())


def _record_stock_read(_sender, versions):
    reads = g.get("page_reads") if has_app_context() else None
    if reads is None:
        return
    if versions is None:
        if reads.every_variant is None:
            reads.every_variant = db.session.scalar(select(
                func.coalesce(func.sum(_level.c.changes), 0)))
        return
    seen = reads.variants
    for variant_id, changes in versions.items():
        # Read twice while the stock changed: the older count, so the page is renewed.
        if variant_id not in seen or changes < seen[variant_id]:
            seen[variant_id] = changes


def _read_versions(stock_variants):
    """(content version, stock version of `stock_variants`) in one query: a frozenset
    of variant ids, None for every variant; the stock version is None for no set."""
    params = {"now": utcnow()}
    if stock_variants is None:
        statement = _version_statement("all")
    elif stock_variants:
        statement = _version_statement("variants")
        params["variant_ids"] = list(stock_variants)
    else:
        statement = _version_statement()
    # A prebuilt statement, and on PostgreSQL outside any transaction (autocommit),
    # so a read costs no BEGIN or ROLLBACK. SQLite keeps the session's connection:
    # its transactions are managed by hand (storefront/database.py), which a switch
    # to autocommit would undo.
    if db.engine.dialect.name != "postgresql":
        row = tuple(db.session.connection().execute(statement, params).one())
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = tuple(conn.execute(statement, params).one())
    if stock_variants is None or stock_variants:
        return row[:-1], row[-1]
    return row, 0


def content_version():
    """The current content version of public pages: from this worker's watcher when
    it has one, else in one query."""
    watcher = _watcher()
    if watcher is not None:
        version = watcher.current()
        if version is not None:
            return version
    return _read_versions(frozenset())[0]


class _VersionWatcher:
    """This worker's content version, kept current by PostgreSQL notifications.

    A thread LISTENs on CHANNEL with its own connection. A notification without
    payload (a content edit) makes it re-read the version; one naming a variant
    drops the cached pages that showed that variant's stock. It also re-reads the
    version every `recheck` seconds for what changes with the clock alone (a
    scheduled article coming out). `current()` is None whenever the version may
    be behind, or has not been re-read for a while (a stuck connection); callers
    then read the versions themselves. Each time it starts listening, it reads
    every variant's change count once and drops the pages whose stock changed
    while nobody listened.
    """

    def __init__(self, engine, recheck, stores):
        self.engine, self.recheck, self.stores = engine, recheck, stores
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
                    # Changes made while nobody listened are not known one by one.
                    changes = dict(connection.execute(
                        "SELECT variant_id, changes FROM stock_level").fetchall())
                    for store in self.stores:
                        store.keep_current(changes)
                    backoff = 0.5
                    self._watch(connection)
            except Exception:  # any failure: fall back to reading per request, retry
                log.warning("page cache lost its change notifications; reading the "
                            "versions per request until they are back", exc_info=True)
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
            for notification in connection.notifies(timeout=min(self.recheck, 1.0),
                                                    stop_after=1):
                if notification.payload.isdigit():
                    for store in self.stores:
                        store.forget_stock((int(notification.payload),))
                else:
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
                db.engine, app.config.get("PAGE_CACHE_RECHECK_SECONDS", 1.0),
                (app.extensions["page_cache"], app.extensions["page_cache_ready"]))
        return watcher


def stop_watcher(app):
    """Stop this process's watcher (tests; a worker's daemon thread ends with it)."""
    watcher = app.extensions.pop("page_cache_watcher", None)
    if watcher is not None:
        watcher.stop()


class _Store:
    """A small thread-safe LRU of rendered pages, indexed by the variants they showed.

    `forget_stock` drops the pages that showed a variant (and those that depend on
    every variant's stock) at the cost of a few dict operations per page dropped. A
    page rendered while its stock changed is not stored: `put` takes the `tick`
    read before the page was rendered and refuses if one of its variants was
    forgotten since.
    """

    def __init__(self, size):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()
        self.deps = {}  # key -> frozenset of variant ids, or None for every variant
        self.by_variant = {}  # variant id -> keys of the pages that showed it
        self.every_variant = set()  # keys of pages that depend on all stock
        self.forgotten_at = {}  # variant id -> tick it was last forgotten
        self.tick = self.any_stock_at = self.listen_at = 0

    def get(self, key):
        with self.lock:
            item = self.items.get(key)
            if item is not None:
                self.items.move_to_end(key)
            return item

    def put(self, key, value, variants, since):
        """Store a page that showed `variants` (None: every variant), rendered from
        `since`; returns whether it was stored."""
        with self.lock:
            if self.any_stock_at > since and (
                    variants is None or any(self.forgotten_at.get(v, 0) > since
                                            for v in variants)):
                return False
            self._remove(key)
            self.items[key] = value
            self.deps[key] = variants
            if variants is None:
                self.every_variant.add(key)
            else:
                for variant_id in variants:
                    self.by_variant.setdefault(variant_id, set()).add(key)
            while len(self.items) > self.size:
                self._remove(next(iter(self.items)))
            return True

    def clear(self):
        """Forget every page (a rebuilt database starts its change counts again)."""
        with self.lock:
            self.items.clear()
            self.deps.clear()
            self.by_variant.clear()
            self.every_variant.clear()

    def forget_stock(self, variant_ids):
        with self.lock:
            self.tick += 1
            self.any_stock_at = self.tick
            keys = set(self.every_variant)
            for variant_id in variant_ids:
                self.forgotten_at[variant_id] = self.tick
                keys.update(self.by_variant.pop(variant_id, ()))
            for key in keys:
                self._remove(key)

    def keep_current(self, changes):
        """Keep only the pages whose stock is unchanged, given every variant's change
        count, read once the watcher listens. A page whose rendering began before
        must be checked the same way before it is stored (`listen_at`)."""
        with self.lock:
            self.tick += 1
            self.listen_at = self.tick
            total = sum(changes.values())
            for key, item in list(self.items.items()):
                variants = self.deps[key]
                now = total if variants is None else sum(changes.get(v, 0) for v in variants)
                if now != item.stock:
                    self._remove(key)

    def _remove(self, key):
        if self.items.pop(key, None) is None:
            return
        variants = self.deps.pop(key)
        if variants is None:
            self.every_variant.discard(key)
            return
        for variant_id in variants:
            keys = self.by_variant.get(variant_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_variant[variant_id]


def hole(name):
    """A per-visitor part of the page, left open in the cached copy (templates/base.html)."""
    return Markup(HOLE.format(name))  # noqa: S704 (a fixed marker, no user input)  # nosec B704


def _fills(parts):
    """This visitor's fills of the holes of `parts` (text, hole name, text, ...)."""
    return [_fill_hole(parts[i]) for i in range(1, len(parts), 2)]


def _fill(parts, fills):
    """The cached page for this visitor: its text parts with `fills` between them."""
    if len(parts) == 1:
        return parts[0]
    filled = list(parts)
    filled[1::2] = fills
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
    # A signed-in shopper (g.personal_page) sees their own sizes on the cards.
    return (request.method == "GET" and current_app.config.get("PAGE_CACHE", True)
            and not current_user.is_authenticated and not g.get("personal_page"))


class _Page(NamedTuple):
    version: tuple  # the content version it was rendered at
    parts: list  # text, hole name, text, ...
    mimetype: str
    variants: frozenset | None  # whose stock it showed; None: every variant's
    stock: int  # their stock version (sum of change counts) as it showed them
    gzip: GzipParts  # its text parts, deflated once


def _page(version, body, mimetype, variants, stock):
    parts = body.split(HOLE_MARK)
    return _Page(version, parts, mimetype, variants, stock,
                 GzipParts([part.encode() for part in parts[::2]]))


def _etag(tag, gzipped):
    # Each representation has its own strong validator (RFC 9110, 8.8.3.3).
    return f'"{tag}-gzip"' if gzipped else f'"{tag}"'


def _current(item):
    """The content version now, and whether `item` (or None) is still current."""
    watcher = _watcher()
    version = watcher.current() if watcher is not None else None
    if version is not None:
        # The watcher drops pages whose stock changed: a stored page is current.
        return version, item is not None and item.version == version
    version, stock = _read_versions(item.variants if item is not None else frozenset())
    return version, item is not None and item.version == version and item.stock == stock


def _unchanged_since_listening(store, since, item):
    """Whether `item` may go into `store`. Read while the watcher began to listen, a
    change in between was not notified: it goes in only if its stock is still as it
    showed (one query, only then)."""
    return store.listen_at <= since or _read_versions(item.variants)[1] == item.stock


def _render(view, args, kwargs):
    g.page_holes, g.page_reads = True, _Reads()
    try:
        return current_app.make_response(view(*args, **kwargs)), g.page_reads
    finally:
        g.page_holes, g.page_reads = False, None


def cached_page(view):
    """Serve a public GET view from the page cache while what it showed is unchanged."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable_request():
            return view(*args, **kwargs)
        store, ready = current_app.extensions["page_cache"], current_app.extensions[
            "page_cache_ready"]
        key = _key(request.environ)
        # Read before anything else: a stock change after this keeps the page out.
        since, ready_since = store.tick, ready.tick
        item = store.get(key)
        version, valid = _current(item)
        if not valid:
            response, reads = _render(view, args, kwargs)
            if response.status_code != 200 or response.direct_passthrough:
                return response
            body = response.get_data(as_text=True)
            token = g.get("csrf_token")  # Flask-WTF keeps the token it rendered here
            if token:
                body = body.replace(token, HOLE.format("csrf"))
            item = _page(version, body, response.mimetype, *reads.stock())
            if _unchanged_since_listening(store, since, item):
                store.put(key, item, item.variants, since)
        etag = hashlib.blake2b(repr((key, item.version, item.stock)).encode(),
                               digest_size=12).hexdigest()
        gzipped = accepts_gzip(request.headers.get("Accept-Encoding"))
        tag = _etag(etag, gzipped)
        if not session and tag.strip('"') in request.if_none_match:  # nothing to personalise
            return "", 304, {"ETag": tag, "Cache-Control": "no-cache"}
        fills = _fills(item.parts)
        if gzipped:
            # Stored deflated: this response joins bytes, it compresses nothing.
            response = current_app.response_class(
                item.gzip.body([fill.encode() for fill in fills]), mimetype=item.mimetype)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = current_app.response_class(_fill(item.parts, fills),
                                                  mimetype=item.mimetype)
        response.headers["ETag"] = tag
        response.headers["Cache-Control"] = "no-cache"
        if (_cookie_less(request.environ) and "page_cache_watcher" in current_app.extensions
                and _unchanged_since_listening(ready, ready_since, item)):
            # What every visitor without cookies gets: keep it ready (ReadyPages, which
            # answers only while a watcher vouches for the version).
            ready.put(key, _ready(item, response.content_type, etag), item.variants,
                      ready_since)
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
    stock: int  # as _Page.stock
    gzip: GzipParts  # the same, deflated once


def _ready(item, content_type, etag):
    """The page as every visitor without cookies gets it (their cart and messages are
    empty): bytes, or for a page with forms the text around its CSRF tokens, the one
    thing that differs between two such visitors; and its deflated parts."""
    segments = [""]
    for i, part in enumerate(item.parts):
        if i % 2 == 0:
            segments[-1] += part
        elif part == "csrf":
            segments.append("")
        else:
            segments[-1] += _fill_hole(part)
    encoded = [segment.encode() for segment in segments]
    body = encoded[0] if len(encoded) == 1 else tuple(segments)
    return _Ready(item.version, body, content_type, etag, item.stock, GzipParts(encoded))


class ReadyPages:
    """A WSGI layer in front of Flask that answers a GET from a visitor without cookies
    with the ready page of that URL, while this worker's watcher vouches that its
    content version is current.

    Such a visitor gets exactly what Flask would send (the same body, ETag and
    304; the request id, security headers and access log line from
    `responses.finish`, Flask's one after_request hook) without the cost of the
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
        gzipped = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
        tag = _etag(ready.etag, gzipped)
        # As Flask sends it: Flask-Compress names Accept-Encoding, the session Cookie.
        headers = [("ETag", tag), ("Cache-Control", "no-cache"),
                   ("Vary", "Accept-Encoding, Cookie")]
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(tag.strip('"')):
            status, body = 304, b""
        else:
            status, body = 200, ready.body
            if not isinstance(body, bytes):
                body, session_headers = self._with_token(body, environ, ready, gzipped)
                headers += session_headers
            elif gzipped:
                body = ready.gzip.body()
            if gzipped:
                headers.append(("Content-Encoding", "gzip"))
            headers += [("Content-Type", ready.content_type),
                        ("Content-Length", str(len(body)))]
        # What Flask's after_request hook adds and logs, by the same function.
        responses.finish(headers, is_secure=environ["wsgi.url_scheme"] == "https",
                         request_id=errors.request_id(environ.get("HTTP_X_REQUEST_ID", "")),
                         method="GET", path=environ.get("PATH_INFO", ""), status=status,
                         started=started, log=not self.app.testing)
        start_response("200 OK" if status == 200 else "304 NOT MODIFIED", headers)
        return [body]

    def _with_token(self, segments, environ, ready, gzipped):
        """The page with a new CSRF token, and the cookie of the session that holds it."""
        app = self.app
        with app.request_context(environ):
            token = generate_csrf()
            if gzipped:
                body = ready.gzip.body([token.encode()] * (len(segments) - 1))
            else:
                body = token.join(segments).encode()
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
    signals.before_commit(signals.content_changed, _bump_content_version)
    signals.content_changed.connect(_after_content_change)
    signals.stock_changed.connect(_after_stock_change)
    signals.stock_read.connect(_record_stock_read)
