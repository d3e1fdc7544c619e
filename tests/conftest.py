"""Shared fixtures: one app per database backend, a client that reads CSRF tokens
from forms, query counting, and small data builders.

Every test that takes `app` runs on SQLite and, when TEST_DATABASE_URL is set,
again on PostgreSQL. Each test session migrates a fresh database per backend
(so the migrations are exercised on every run) and builds one app on it.

Isolation is the default: a test runs in one transaction on one connection that
is rolled back after it, and the app's per-test state (config, page cache, rate
limits, request hooks, extensions added on the way) is put back. A test that
needs real commits (several connections racing, threads or subprocesses using
the database, PostgreSQL notifications, commands with sessions of their own)
says so with `@pytest.mark.real_commits`; its tables are emptied after it. An
unmarked test that reaches past its connection fails with that advice, and any
test leaving committed rows behind fails the run.
"""

import os
import re
import threading
import uuid
from contextlib import ExitStack, contextmanager

import pytest
from flask import g
from flask_migrate import stamp
from flask_sqlalchemy.session import Session as FlaskSession
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from storefront import create_app, pagecache
from storefront.extensions import db, limiter

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def pytest_configure(config):
    if os.environ.get("CI") == "true" and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests are mandatory in CI."
        )


@contextmanager
def _postgres_database():
    """A throwaway database next to TEST_DATABASE_URL's, so parallel runs never collide."""
    base = make_url(TEST_DATABASE_URL)
    name = f"storefront_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def base_config(url):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "RATELIMIT_STORAGE_URI": "memory://",
        # Each app would start a listening thread and connection; tests/test_pagecache.py
        # turns it on where it is what is tested.
        "PAGE_CACHE_LISTEN": False,
        "PUBLIC_URL": "http://shop.test",
        "SERVER_NAME": None,
        # Static files as they are in static/; tests/test_assets.py builds its own.
        "STATIC_BUILD_DIR": "",
    }


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """An empty database with the models' schema for this test session, per backend.

    The schema comes from the models (fast); test_migrations.py proves the
    migrations build the same one.
    """
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        url = f"sqlite:///{path}"
        _create_schema(url)
        yield url
    else:
        with _postgres_database() as url:
            _create_schema(url)
            yield url


def _create_schema(url):
    app = create_app(base_config(url))
    with app.app_context():
        db.create_all()
        stamp()
        db.engine.dispose()


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory):
    """Make an empty database on a backend: fresh_database_url("sqlite"|"postgresql")."""
    stack = ExitStack()

    def make(backend):
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.sqlite3'}"
        return stack.enter_context(_postgres_database())

    with stack:
        yield make


def _empty_tables():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 (model table names)
    db.session.commit()


def _rows_left():
    """Tables that are not empty, read on a connection of its own (so: committed rows)."""
    tables = [t.name for t in db.metadata.sorted_tables]
    counts = " UNION ALL ".join(
        f"SELECT '{t}' AS name, count(*) AS n FROM \"{t}\"" for t in tables)  # noqa: S608
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT name, n FROM ({counts}) AS c WHERE n > 0"))  # noqa: S608
        return {name: n for name, n in rows}


@pytest.fixture(scope="session")
def shared_app(database_url):
    """One app per backend for the whole run; `app` resets what a test may change in it."""
    app = create_app(base_config(database_url))
    # Flask refuses new routes and hooks once an app has served a request; say so from
    # the start, so a test that adds a route fails every time, not only when it runs
    # after another (such tests are marked fresh_app).
    app._got_first_request = True
    yield app
    with app.app_context():
        db.engine.dispose()


class _AppState:
    """What a test may change in the shared app, saved before it and put back after."""

    def __init__(self, app):
        self.app = app
        self.config = dict(app.config)
        self.extensions = set(app.extensions)
        self.hooks = {name: {key: list(funcs) for key, funcs in getattr(app, name).items()}
                      for name in ("before_request_funcs", "after_request_funcs",
                                   "teardown_request_funcs")}

    def restore(self):
        app = self.app
        pagecache.stop_watcher(app)
        app.config.clear()
        app.config.update(self.config)
        for name in set(app.extensions) - self.extensions:
            del app.extensions[name]  # e.g. the Stripe clients, made per STRIPE_API_BASE
        for name, hooks in self.hooks.items():
            getattr(app, name).clear()
            getattr(app, name).update({key: list(funcs) for key, funcs in hooks.items()})
        # Rendered pages, ready pages and the fills of plain-session holes: per app, in memory.
        for name in ("page_cache", "page_cache_ready", "page_holes"):
            _clear_store(name, app.extensions[name])


def _clear_store(name, store):
    anonymous = getattr(store, "anonymous", None)  # the holes: keep their names, drop fills
    if isinstance(anonymous, dict):
        anonymous.clear()
    elif callable(getattr(store, "clear", None)):
        store.clear()
    else:
        raise AssertionError(f"tests/conftest.py does not know how to empty {name!r} between "
                             "tests: teach _clear_store, or pages leak from one test to the next")


REAL_COMMITS_HELP = (
    "This test is isolated in one rolled-back transaction on one connection, and {what}. "
    "Mark it @pytest.mark.real_commits (it then commits for real and the tables are "
    "emptied after it), or keep the work on db.session in the test's thread."
)


class IsolationBroken(AssertionError):
    pass


def _lend(connection):
    """Make the test's connection what `db.engine.connect()` hands code under test in an
    isolated test: reads see what the test wrote (the page cache reads the content
    version this way on PostgreSQL, the readiness probe the schema), closing it is a
    no-op, and ending or leaving its transaction is refused loudly."""

    def refuse(name):
        def refused(*args, **kwargs):
            raise IsolationBroken(REAL_COMMITS_HELP.format(
                what=f"code under test called {name}() on db.engine.connect(), which "
                     "needs a connection of its own"))
        return refused

    connection.close = lambda: None
    # AUTOCOMMIT reads see the committed state; here the test's transaction is that.
    connection.execution_options = lambda **options: connection
    for name in ("begin", "commit", "rollback", "detach", "invalidate"):
        setattr(connection, name, refuse(name))
    return connection


def _unlend(connection):
    for name in ("close", "execution_options", "begin", "commit", "rollback", "detach",
                 "invalidate"):
        vars(connection).pop(name, None)


class _Isolation:
    """An isolated test: db.session joins one outer transaction on one connection with a
    SAVEPOINT per session transaction (SQLAlchemy's "joining a session into an external
    transaction", join_transaction_mode="create_savepoint"), so `commit()` in code under
    test releases a savepoint and fires after_commit as in production, and the outer
    transaction is rolled back after the test.

    Any other connection taken from the pool, and any session made in another thread,
    breaks that isolation: both fail the test, with what to do instead."""

    current = None  # the running isolated test's
    connection = None

    def __init__(self, app):
        self.engine = db.engine
        self.thread = threading.get_ident()
        self.problems = []
        _Isolation.current = self
        self.connection = _Isolation.connection = self.engine.connect()
        self.transaction = self.connection.begin()  # SQLite: BEGIN IMMEDIATE (database.py)
        _lend(self.connection)
        self.saved_session = db.session
        db.session = db._make_scoped_session({
            "class_": _JoinedSession, "bind": self.connection,
            "join_transaction_mode": "create_savepoint", "scopefunc": self._scope,
        })
        self.engine.connect = lambda: self.connection
        event.listen(self.engine, "checkout", self._checkout)

    def _scope(self):
        if threading.get_ident() != self.thread:
            self._broken("another thread used db.session")
        return _app_ctx_id()

    def _checkout(self, *args):
        self._broken("something took a second connection from the pool")

    def _broken(self, what):
        problem = IsolationBroken(REAL_COMMITS_HELP.format(what=what))
        self.problems.append(problem)
        raise problem

    def end(self):
        event.remove(self.engine, "checkout", self._checkout)
        del self.engine.connect
        db.session.remove()
        db.session = self.saved_session
        _unlend(self.connection)
        self.transaction.rollback()
        self.connection.close()
        _Isolation.current = _Isolation.connection = None
        if self.problems:
            raise self.problems[0]


class _JoinedSession(FlaskSession):
    """Flask-SQLAlchemy's session picks its engine by bind key; this one always uses
    the test's connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def app(request, shared_app):
    """The backend's shared app, in a fresh app context (so a fresh `g`).

    By default the test runs isolated in a transaction that is rolled back after it.
    Tests marked `real_commits` (races on several connections, threads, subprocesses,
    notifications, the mail sender, commands that open their own sessions) commit for
    real and the tables are emptied after them; tests marked `fresh_app` (they add
    routes) get an app of their own as well. The run fails if an isolated test leaves
    committed rows behind.
    """
    if request.node.get_closest_marker("fresh_app") is not None:
        yield from _fresh_app(request.getfixturevalue("database_url"))
        return
    real_commits = request.node.get_closest_marker("real_commits") is not None
    # The limiter is one object that every create_app binds (tests make apps of their
    # own too): bind it back to this app, with fresh memory:// counts, as a new app had.
    limiter.init_app(shared_app)
    state = _AppState(shared_app)
    try:
        with shared_app.app_context():
            if real_commits:
                try:
                    yield shared_app
                finally:
                    db.session.remove()
                    _empty_tables()
                    db.session.remove()
            else:
                isolation = _Isolation(shared_app)
                try:
                    yield shared_app
                finally:
                    isolation.end()
                left = _rows_left()
                assert not left, (
                    "An isolated test committed rows outside its transaction (mark it "
                    f"@pytest.mark.real_commits): {left}")
    finally:
        state.restore()


def _fresh_app(database_url):
    """An app of the test's own (it adds routes), committing for real."""
    app = create_app(base_config(database_url))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            _empty_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def backend(app):
    return db.engine.dialect.name


class ShopClient:
    """A test client that fills in forms the way a browser does, CSRF token included."""

    _TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf_token(self, page):
        response = self.client.get(page)
        match = self._TOKEN.search(response.get_data(as_text=True))
        assert match, f"no csrf_token in the form on {page}"
        return match.group(1)

    def submit(self, page, action, data, **kwargs):
        """GET `page`, take the CSRF token from its form, POST `data` to `action`."""
        data = dict(data, csrf_token=self.csrf_token(page))
        return self.client.post(action, data=data, **kwargs)


class Browser(ShopClient):
    """Another person's browser on the same app. The test's app context caches one CSRF
    token on `g`, which belongs to whoever asked first, so each request here starts
    without it."""

    def __init__(self, app):
        super().__init__(app.test_client())

    def get(self, *args, **kwargs):
        g.pop("csrf_token", None)
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        g.pop("csrf_token", None)
        return self.client.post(*args, **kwargs)

    def csrf_token(self, page):
        g.pop("csrf_token", None)
        return super().csrf_token(page)


@pytest.fixture
def client(app):
    return ShopClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _isolation_savepoint(conn, statement):
    """In an isolated test the session's transactions are savepoints in the test's own
    transaction: the outermost savepoint stands where production has BEGIN and COMMIT.
    Savepoints the shop takes itself (begin_nested) sit inside it and still count."""
    if _Isolation.connection is not conn:
        return False
    word = statement.split(" ", 1)[0].upper()
    nested = conn.get_nested_transaction()  # when SAVEPOINT runs, its own is not current yet
    if word == "SAVEPOINT":
        return nested is None
    return word == "RELEASE" and nested is not None and nested._previous_nested is None


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` records the SQL statements run inside."""

    @contextmanager
    def counter():
        statements = []

        def record(conn, cursor, statement, *args):
            if statement.split(" ", 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
                return
            if _isolation_savepoint(conn, statement):
                return  # an isolated test's stand-in for BEGIN/COMMIT/ROLLBACK
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counter


@pytest.fixture
def make_product(app):
    """Build a published product with variants and opening stock: make_product(stock=[5, 0])."""
    from tests.factories import make_product as build

    return build


@pytest.fixture
def login_as(client):
    """Log the client in as a new staff account: `user = login_as("marketing")`."""
    from tests.staff.helpers import login, make_staff

    def log_in(role, **kwargs):
        user = make_staff(role, **kwargs)
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return log_in
