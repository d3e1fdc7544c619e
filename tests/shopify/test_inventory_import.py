"""Shopify's inventory export through `flask inventory import`: same rules as the own format."""

from pathlib import Path

from sqlalchemy import select

from storefront.catalogue.models import Variant
from storefront.extensions import db
from storefront.inventory import service as inventory

DATA = Path(__file__).parent / "data"


def on_hand(sku):
    variant = db.session.scalars(select(Variant).where(Variant.sku == sku)).one()
    return inventory.get_levels(variant.id).on_hand


def without_oversold(tmp_path):
    lines = (DATA / "inventory.csv").read_text().splitlines()
    path = tmp_path / "inventory.csv"
    path.write_text("\n".join(line for line in lines if "HTW-10-W-BLK" not in line) + "\n")
    return str(path)


def test_shopify_inventory_export_sets_on_hand_summed_over_locations(runner, tmp_path):
    runner.invoke(args=["shopify", "import", str(DATA / "products.csv")])
    path = without_oversold(tmp_path)

    dry = runner.invoke(args=["inventory", "import", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "line 2: HTW-9-W-BLK on hand 6 -> 8 (+2)" in dry.output
    assert "line 4: LENA-7-NAVY-SUEDE on hand 4 -> 9 (+5)" in dry.output
    assert on_hand("HTW-9-W-BLK") == 6

    result = runner.invoke(args=["inventory", "import", path])

    assert result.exit_code == 0, result.output
    assert (on_hand("HTW-9-W-BLK"), on_hand("LENA-7-NAVY-SUEDE")) == (8, 9)
    assert inventory.history(
        db.session.scalars(select(Variant.id).where(Variant.sku == "HTW-9-W-BLK")).one()
    )[0].reason == "import"


def test_negative_shopify_stock_is_refused_with_its_line_and_nothing_changes(runner):
    runner.invoke(args=["shopify", "import", str(DATA / "products.csv")])

    result = runner.invoke(args=["inventory", "import", str(DATA / "inventory.csv")])

    assert result.exit_code == 1
    assert "Line 4: Shopify shows -13 on hand for HTW-10-W-BLK (oversold)" in result.output
    assert on_hand("HTW-9-W-BLK") == 6


def test_bad_rows_of_a_shopify_inventory_export_name_their_lines(runner):
    result = runner.invoke(args=["inventory", "import", str(DATA / "inventory_bad.csv")])

    assert result.exit_code == 1
    assert ("Line 3: the row has no SKU and no variant imported from Shopify matches "
            "cosy-house-shoe (no options)") in result.output
    assert "Line 4: On hand 'lots' is not a whole number" in result.output
