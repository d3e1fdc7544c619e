"""Liveness and readiness probes for load balancers and orchestrators."""

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _schema_heads():
    """The migrations' heads; read from disk once per process, not on every probe."""
    heads = current_app.extensions.get("schema_heads")
    if heads is None:
        config = current_app.extensions["migrate"].migrate.get_config()
        heads = current_app.extensions["schema_heads"] = frozenset(
            ScriptDirectory.from_config(config).get_heads())
    return heads


@bp.get("/readyz")
def readyz():
    """Ready when the database answers and its schema is at the migrations' head."""
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    expected = _schema_heads()
    if current != expected:
        return jsonify(status="unavailable", database="ok",
                       schema="behind", current=sorted(current),
                       expected=sorted(expected)), 503
    return jsonify(status="ok", database="ok", schema="current")
