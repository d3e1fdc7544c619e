"""Shopify's current product layout, in French, through `flask shopify import` and
`flask inventory import`: nothing in the file is lost without a line in the report."""

from pathlib import Path

from sqlalchemy import func, select

from storefront.catalogue.models import Product, ProductImage, Variant
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.shopify.csvfile import parse_products
from storefront.shopify.options import generated_sku, suffixed_sku

DATA = Path(__file__).parent / "data"
PRODUCTS = DATA / "products_current_fr.csv"
NOIR_38 = generated_sku("bottine-aurore", ["38", "Large", "Noir"])
NOIR_39 = generated_sku("bottine-aurore", ["39", "Large", "Noir"])
BLEU_39 = suffixed_sku("AUR-BLEU", "bottine-aurore", ["39", "Large", "Bleu nuit"])


def run(runner, *args):
    return runner.invoke(args=["shopify", "import", str(PRODUCTS), *args])


def variant(sku):
    return db.session.scalars(select(Variant).where(Variant.sku == sku)).one()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_fixture_has_the_quirks_of_a_real_export():
    data = PRODUCTS.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert data.rstrip().endswith(b",,")  # a spreadsheet's empty trailing fields
    assert b'"<p>Bottines' in data and b"</p>\n<p>" in data  # a quoted newline


def test_current_layout_imports_with_french_options_generated_skus_and_comma_prices(runner):
    result = run(runner)

    assert result.exit_code == 0, result.output
    assert "Read Shopify's current product layout" in result.output
    aurore = db.session.scalars(select(Product).where(Product.slug == "bottine-aurore")).one()
    assert (aurore.title, aurore.published, aurore.category, aurore.gender) == (
        "Bottine Aurore", True, "boots", "women")
    rows = {v.sku: v for v in aurore.variants}
    assert set(rows) == {NOIR_38, NOIR_39, "AUR-BLEU", BLEU_39}
    noir = rows[NOIR_38]
    assert (noir.size.label, noir.width.code, noir.colour.name) == ("38", "W", "Noir")
    assert (noir.price_cents, noir.compare_at_cents) == (11990, 13990)  # "119,90"
    assert rows["AUR-BLEU"].colour.name == "Bleu nuit"
    # The size chart in the description stays, made https; the script and iframe do not.
    assert ('<img src="https://cdn.shopify.com/s/files/1/0000/0002/files/guide-tailles.png?v=1"'
            ' alt="Guide des tailles">') in aurore.description
    assert "track()" not in aurore.description and "iframe" not in aurore.description
    assert [i.alt for i in aurore.images] == ["Bottine Aurore noire", "Vue de dos"]
    assert inventory.get_levels(noir.id).on_hand == 4
    # Draft on Shopify: imported, not published. Its -2 opens at 0 with a ledger note.
    ete = db.session.scalars(select(Product).where(Product.slug == "sandale-ete")).one()
    assert ete.published is False and ete.variants[0].price_cents == 104900  # "1.049,00"
    assert inventory.get_levels(variant("ETE-1").id).on_hand == 0
    # The shipping-protection app product needs no shipping and is skipped.
    assert not db.session.scalar(select(Product).where(Product.slug == "shipping-protection"))

    out = result.output
    assert "Line 2: bottine-aurore: removed from the description: 1 script, 1 iframe" in out
    assert f"Line 2: bottine-aurore: the variant has no SKU; it was given {NOIR_38}" in out
    assert (f"Line 7: bottine-aurore: the SKU AUR-BLEU is already used on line 6; this "
            f"variant was given {BLEU_39}") in out
    assert ("Line 9: shipping-protection: skipped (nothing to ship): \"Protection "
            "d'expédition\", 2 variant row(s)") in out
    assert "Fit notes (product.metafields.custom.fit_notes) (1 value)" in out
    assert "Not tracked on Shopify (1)" in out and BLEU_39 in out
    kept = out[out.index("kept selling these"):out.index("Oversold on Shopify")]
    assert [x.split() for x in kept.strip().splitlines()[-2:]] == [
        ["Bottine", "Aurore", "1"], ["Sandale", "Été", "1"]]
    summary = out[out.index("Generated SKUs") - 200:]
    assert "Generated SKUs                          2" in summary
    assert "Suffixed SKUs (shared by two variants)  1" in summary
    assert "Not tracked on Shopify                  1" in summary
    assert "Skipped: nothing to ship                1" in summary
    assert "Negative stock repaired                 1" in summary
    assert "Traceback" not in out


def test_running_the_current_layout_again_changes_nothing(runner):
    assert run(runner).exit_code == 0
    before = (count(Product), count(Variant), count(ProductImage), count(StockMovement))

    again = run(runner)

    assert again.exit_code == 0, again.output
    assert (count(Product), count(Variant), count(ProductImage), count(StockMovement)) == before
    assert "products 0 created, 0 updated, 2 unchanged; variants 0 created, 0 updated, " \
        "5 unchanged" in again.output


def test_dry_run_shows_the_same_report_and_writes_nothing(runner):
    dry = run(runner, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert count(Product) == 0
    real = run(runner)
    assert real.exit_code == 0
    report = dry.output[dry.output.index("Rows changed or skipped"):dry.output.index("Dry run:")]
    assert report in real.output


def test_inventory_export_rows_without_sku_match_variants_by_handle_and_options(runner):
    assert run(runner).exit_code == 0

    result = runner.invoke(args=["inventory", "import", str(DATA / "inventory_current_fr.csv")])

    assert result.exit_code == 0, result.output
    # Lyon's "On hand (new)" 6 plus Paris 1; the second SKU-sharing variant by its options.
    assert inventory.get_levels(variant(NOIR_38).id).on_hand == 7
    assert inventory.get_levels(variant(BLEU_39).id).on_hand == 3
    assert "[Shopify locations: Entrepôt Lyon 6, Boutique Paris 1]" in result.output


def test_a_zero_decimal_currency_keeps_whole_yen(app, runner, tmp_path):
    app.config["SHOP_CURRENCY"] = "JPY"
    path = tmp_path / "jp.csv"
    path.write_text("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
                    "Variant SKU,Variant Price,Variant Inventory Qty\n"
                    "geta,下駄,サイズ,24,色,黒,GETA-24,8000,2\n"
                    "geta,,,25,,黒,GETA-25,8000.00,1\n", "utf-8")

    result = runner.invoke(args=["shopify", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert variant("GETA-24").price_cents == 8000
    assert variant("GETA-25").size.label == "25" and variant("GETA-25").colour.name == "黒"


def test_an_unknown_option_is_an_attribute_until_map_option_makes_it_a_width(runner,
                                                                             tmp_path):
    path = tmp_path / "weite.csv"
    path.write_text("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
                    "Variant SKU,Variant Price\n"
                    "schuh,Schuh,Größe,42,Schuhweite,H,S-42-H,99.00\n"
                    "schuh,,,42,,K,S-42-K,99.00\n", "utf-8")

    # Unmapped, the option is a variant attribute: both variants still import.
    unmapped = runner.invoke(args=["shopify", "import", str(path)])
    assert unmapped.exit_code == 0, unmapped.output
    assert variant("S-42-K").attributes == {"Schuhweite": "K"}
    assert variant("S-42-H").width.code == variant("S-42-K").width.code == "M"

    mapped = runner.invoke(args=["shopify", "import", str(path),
                                 "--map-option", "Schuhweite=width"])
    assert mapped.exit_code == 0, mapped.output
    assert (variant("S-42-H").width.code, variant("S-42-K").width.code) == ("H", "K")
    assert variant("S-42-K").attributes == {}
    bad = runner.invoke(args=["shopify", "import", str(path), "--map-option", "Schuhweite"])
    assert bad.exit_code == 2 and "must look like" in bad.output


def test_an_ambiguous_price_names_its_line_and_nothing_is_written(runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(PRODUCTS.read_text("utf-8-sig").replace("119,90", "1.000", 1), "utf-8")

    result = runner.invoke(args=["shopify", "import", str(path)])

    assert result.exit_code == 1
    assert "Line 2: Price '1.000' is ambiguous" in result.output
    assert count(Product) == 0


def test_the_inventory_export_given_to_the_product_import_names_the_right_command():
    from storefront.csvrows import BatchRejected

    try:
        parse_products((DATA / "inventory_current_fr.csv").read_bytes())
    except BatchRejected as refused:
        assert "flask inventory import" in refused.problems[0].message
    else:
        raise AssertionError("the inventory export was read as products")
