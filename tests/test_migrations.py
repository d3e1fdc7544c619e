"""The migrations build exactly the schema the models describe, on every backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from storefront import create_app
from storefront.database import include_object
from storefront.extensions import db
from tests.conftest import BACKENDS, base_config
from tests.test_pagecache import NOTIFY_TRIGGERS, notify_triggers


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_build_the_models_schema_and_go_back_down(fresh_database_url, backend):
    app = create_app(base_config(fresh_database_url(backend)))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        if backend == "postgresql":  # triggers are not compared above
            assert notify_triggers() == NOTIFY_TRIGGERS
            db.session.remove()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
