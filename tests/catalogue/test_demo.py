from sqlalchemy import func, select

from storefront.catalogue.models import Product, Variant
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.models import utcnow


def test_demo_load_is_idempotent_and_keeps_staff_changes(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    products = db.session.scalar(select(func.count()).select_from(Product))
    variants = db.session.scalar(select(func.count()).select_from(Variant))
    assert products >= 8 and variants > 100

    variant = db.session.scalars(select(Variant).order_by(Variant.id)).first()
    before = inventory.get_levels(variant.id).on_hand
    inventory.adjust(variant.id, 7, "received", actor="test")

    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "0 product(s) and 0 variant(s) created" in second.output
    assert db.session.scalar(select(func.count()).select_from(Product)) == products
    assert db.session.scalar(select(func.count()).select_from(Variant)) == variants
    assert inventory.get_levels(variant.id).on_hand == before + 7
    assert inventory.reconcile() == []

    # A variant retired and another renamed on the variant grid are not made again.
    retired, renamed = db.session.scalars(select(Variant).order_by(Variant.id).limit(2))
    retired.retired_at = utcnow()
    renamed.sku = "RENAMED-BY-STAFF"
    db.session.commit()
    third = runner.invoke(args=["demo", "load"])
    assert third.exit_code == 0, third.output
    assert "0 product(s) and 0 variant(s) created" in third.output
    assert db.session.scalar(select(func.count()).select_from(Variant)) == variants


def test_demo_has_sold_out_and_low_stock_and_men_and_women(runner, client):
    runner.invoke(args=["demo", "load"])
    statuses = set()
    for product in db.session.scalars(select(Product)):
        data = client.get(f"/products/{product.slug}.json").get_json()
        statuses |= {v["status"] for v in data["variants"]}
    assert statuses == {"in_stock", "low_stock", "sold_out"}
    genders = set(db.session.scalars(select(Product.gender)))
    assert {"men", "women"} <= genders
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) > 0
