"""The README's backup recipe works: pg_dump -Fc of a live shop, pg_restore into a new
database, `flask db upgrade`, and the restored shop is ready with the same stock."""

import os
import shutil
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from storefront import create_app
from storefront.catalogue.models import Product
from storefront.checkout.models import Order
from storefront.extensions import db
from tests.conftest import base_config

# pg_dump reads what is committed.
pytestmark = pytest.mark.real_commits

JSON = {"Accept": "application/json"}


def libpq_url(url):
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_tools(backend):
    if backend != "postgresql":
        pytest.skip("backups are a PostgreSQL recipe")
    missing = [tool for tool in ("pg_dump", "pg_restore") if not shutil.which(tool)]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {', '.join(missing)} is not installed.")
        pytest.skip(f"{', '.join(missing)} not installed (Debian: postgresql-client)")


def availability(app):
    """Every product's public JSON, by slug, as a shopper's browser would fetch it."""
    client = app.test_client()
    with app.app_context():
        slugs = db.session.scalars(select(Product.slug).order_by(Product.slug)).all()
    return {slug: client.get(f"/products/{slug}.json").get_json() for slug in slugs}


def test_a_dump_restores_into_a_working_shop(app, runner, pg_tools, fresh_database_url,
                                             tmp_path):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    slug = db.session.scalars(select(Product.slug).order_by(Product.id)).first()
    shopper = app.test_client()
    product = shopper.get(f"/products/{slug}.json").get_json()
    variant = next(v for v in product["variants"] if v["available"] >= 2)
    page = shopper.get(f"/products/{slug}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    headers = JSON | {"X-CSRFToken": token}
    added = shopper.post("/cart/add", json={"variant_id": variant["id"], "quantity": 2},
                         headers=headers)
    assert added.status_code == 200, added.get_json()
    order = shopper.post("/checkout", json={}, headers=headers).get_json()
    assert order["order"], order
    before = availability(app)
    held = next(v for v in before[slug]["variants"] if v["id"] == variant["id"])
    assert held["available"] == variant["available"] - 2  # the order holds two pairs
    db.session.remove()

    dump = tmp_path / "shop.dump"
    source = app.config["SQLALCHEMY_DATABASE_URI"]
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), libpq_url(source)],
                   check=True, timeout=120)
    target = fresh_database_url("postgresql")
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                    "-d", libpq_url(target), str(dump)], check=True, timeout=120)

    restored = create_app(base_config(target))
    restored_cli = restored.test_cli_runner()
    upgrade = restored_cli.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    ready = restored.test_client().get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert availability(restored) == before
    with restored.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        db.session.remove()
    reconcile = restored_cli.invoke(args=["inventory", "reconcile"])
    assert reconcile.exit_code == 0, reconcile.output
    with restored.app_context():
        db.engine.dispose()
