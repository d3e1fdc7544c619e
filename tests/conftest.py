"""Shared fixtures: an app per test on each database backend, a client that
reads CSRF tokens from forms, query counting, and small data builders.

Every test that takes `app` runs on SQLite and, when TEST_DATABASE_URL is set,
again on PostgreSQL. Each test session migrates a fresh database per backend
(so the migrations are exercised on every run) and empties it between tests.
"""

import os
import re
import uuid
from contextlib import ExitStack, contextmanager

import pytest
from flask_migrate import stamp
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from storefront import create_app
from storefront.extensions import db

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


@pytest.fixture
def app(database_url):
    app = create_app(base_config(database_url))
    with app.app_context():
        yield app
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


@pytest.fixture
def client(app):
    return ShopClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` records the SQL statements run inside."""

    @contextmanager
    def counter():
        statements = []

        def record(conn, cursor, statement, *args):
            if statement.split(" ", 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
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
