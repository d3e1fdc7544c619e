"""Transactions: one use case, one commit; and SQLite made safe for concurrent writers."""

import sqlite3
from functools import wraps

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def transactional(fn):
    """Run `fn` as one transaction: commit when it returns, roll back when it raises.

    A transactional function called from another joins the caller's
    transaction, so use cases compose (checkout holds stock inside the same
    transaction that creates the order) and still commit exactly once.
    """

    @wraps(fn)
    def wrapper(*args, **kwargs):
        info = db.session.info
        if info.get("in_transaction"):
            return fn(*args, **kwargs)
        info["in_transaction"] = True
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise
        finally:
            info["in_transaction"] = False

    return wrapper


# Expression indexes Alembic cannot compare; their migration writes them by hand.
HAND_MANAGED_INDEXES = {"ix_product_search"}


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic autogenerate filter: leave the hand-managed indexes alone."""
    return not (type_ == "index" and name in HAND_MANAGED_INDEXES)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Take over transaction control from pysqlite so BEGIN IMMEDIATE below is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(connection):
    # A deferred SQLite transaction that reads and then writes can fail with
    # "database is locked" without waiting; taking the write lock up front makes
    # concurrent writers queue behind busy_timeout instead.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
