"""`flask shopify import`: products by handle, variants by SKU, stock through the ledger."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from storefront.catalogue.models import Product, ProductImage, Variant
from storefront.csvrows import BatchRejected
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.shopify import service
from storefront.shopify.csvfile import parse_products

DATA = Path(__file__).parent / "data"


def run(runner, name, *flags):
    return runner.invoke(args=["shopify", "import", str(DATA / name), *flags])


def variant(sku):
    return db.session.scalars(select(Variant).where(Variant.sku == sku)).one()


def on_hand(sku):
    return inventory.get_levels(variant(sku).id).on_hand


def rows(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_first_import_creates_the_catalogue_and_repairs_oversold_stock(runner):
    result = run(runner, "products.csv")

    assert result.exit_code == 0, result.output
    assert {p.slug for p in db.session.scalars(select(Product))} == {
        "harbor-trail-walker", "lena-slip-on", "cosy-house-shoe"}
    assert rows(Variant) == 8
    harbor = db.session.scalars(select(Product).where(Product.slug == "harbor-trail-walker")).one()
    assert [(i.path.rsplit("/", 1)[1], i.alt) for i in harbor.images] == [
        ("harbor-black.jpg?v=1700000000", "Harbor Trail Walker in black, side view"),
        ("harbor-grey.jpg?v=1700000000", "Harbor Trail Walker in grey, sole"),
        ("harbor-top.jpg?v=1700000000", "Harbor Trail Walker"),  # no alt text: the title
    ]
    assert {t.name for t in harbor.tags} == {"Men", "AFO friendly", "Extra depth"}
    assert variant("LENA-7-NAVY-SUEDE").attributes == {"Material": "Suede"}
    assert on_hand("HTW-9-W-BLK") == 6
    assert on_hand("HTW-10-W-BLK") == 0
    assert on_hand("LENA-8-NAVY-SUEDE") == 0

    # The ledger keeps what Shopify showed and why it is 0 here.
    oversold = inventory.history(variant("HTW-10-W-BLK").id)[0]
    assert oversold.reason == "import"
    assert oversold.note.startswith("Shopify showed -13 (oversold); imported as 0")
    assert inventory.reconcile() == []

    lines = result.output.splitlines()
    table = lines[lines.index(next(x for x in lines if x.startswith("Product "))):]
    assert any("Harbor Trail Walker" in x and "HTW-10-W-BLK" in x and "-13" in x for x in table)
    assert any("Lena Slip-On" in x and "LENA-8-NAVY-SUEDE" in x and "-2" in x for x in table)
    assert "Color (product.metafields.shopify.color-pattern)" in result.output
    assert "gift-card: skipped (gift card): 'Gift Card'" in result.output
    assert ("products 3 created, 0 updated, 0 unchanged; variants 8 created, 0 updated, "
            "0 unchanged; 4 images; stock changed on 0 existing variants; "
            "2 oversold variants repaired; 0 conflicts.") in result.output


def test_imported_products_show_remote_images_sanitised_copy_and_no_negative_stock(
        runner, client):
    run(runner, "products.csv")

    page = client.get("/products/harbor-trail-walker?size=10&width=W&colour=black")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'src="https://cdn.shopify.com/s/files/1/0000/0001/products/harbor-black.jpg' in html
    assert "<strong>ankle-foot orthosis</strong>" in html
    assert "<script>alert" not in html and "steal()" not in html
    assert "Sold out" in html and "-13" not in html
    listing = client.get("/products").get_data(as_text=True)
    assert 'src="https://cdn.shopify.com/s/files/1/0000/0001/products/lena-navy.jpg"' in listing
    # The draft product stays hidden.
    assert client.get("/products/cosy-house-shoe").status_code == 404
    data = client.get("/products/harbor-trail-walker.json").get_json()
    assert {v["sku"]: v["available"] for v in data["variants"]}["HTW-10-W-BLK"] == 0


def test_demo_images_still_come_from_static_files(client, make_product):
    make_product(title="Local Shoe")
    html = client.get("/products").get_data(as_text=True)
    assert 'src="/static/img/products/sneaker-navy.svg"' in html


def test_running_the_same_file_again_changes_nothing(runner):
    run(runner, "products.csv")
    ledger = rows(StockMovement)

    result = run(runner, "products.csv")

    assert result.exit_code == 0, result.output
    assert (rows(Product), rows(Variant), rows(ProductImage)) == (3, 8, 4)
    assert rows(StockMovement) == ledger
    assert ("products 0 created, 0 updated, 3 unchanged; variants 0 created, 0 updated, "
            "8 unchanged") in result.output
    assert "0 oversold variants repaired; 0 conflicts." in result.output
    assert "already 0" in result.output


def test_photos_fetched_into_storage_survive_importing_the_same_file_again(runner):
    run(runner, "products.csv")
    image = db.session.scalars(select(ProductImage).order_by(ProductImage.id)).first()
    address = image.path
    # As `flask media fetch` leaves it: shown from storage, remembering its address.
    image.source_url, image.path = address, "0123456789abcdef0123-640w.jpg"
    image.renditions = [{"name": image.path, "format": "jpeg", "width": 640, "height": 480}]
    db.session.commit()

    result = run(runner, "products.csv")

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    kept = db.session.get(ProductImage, image.id)
    assert (kept.path, kept.source_url) == ("0123456789abcdef0123-640w.jpg", address)


def test_a_later_export_updates_by_handle_and_sku_and_follows_untouched_stock(runner):
    run(runner, "products.csv")

    result = run(runner, "products_later.csv")

    assert result.exit_code == 0, result.output
    assert rows(Product) == 3 and rows(Variant) == 9
    assert variant("HTW-9-W-BLK").price_cents == 12900
    assert variant("HTW-12-W-BLK").width.code == "W"
    assert on_hand("HTW-12-W-BLK") == 5
    assert (on_hand("HTW-9-W-BLK"), on_hand("HTW-11-XW-GRY")) == (8, 1)
    assert on_hand("LENA-7-NAVY-SUEDE") == 7
    harbor = db.session.scalars(select(Product).where(Product.slug == "harbor-trail-walker")).one()
    assert harbor.images[0].path.endswith("harbor-grey.jpg?v=1700000000")
    latest = inventory.history(variant("HTW-9-W-BLK").id)[0]
    assert (latest.reason, latest.on_hand_delta, latest.actor) == ("import", 2, "shopify-import")
    assert "stock changed on 3 existing variants" in result.output
    assert inventory.reconcile() == []


def test_stock_changed_here_is_a_conflict_and_kept_until_overwrite_is_asked_for(runner):
    run(runner, "products.csv")
    # A delivery arrives here after the move: 3 -> 5. Shopify still says 3, later 1.
    inventory.adjust(variant("HTW-11-XW-GRY").id, 2, "received", actor="ana@shop.test")
    db.session.commit()

    kept = run(runner, "products_later.csv")

    assert kept.exit_code == 0, kept.output
    assert on_hand("HTW-11-XW-GRY") == 5
    assert on_hand("HTW-9-W-BLK") == 8  # untouched here, so Shopify's change applies
    conflict = next(x for x in kept.output.splitlines() if "HTW-11-XW-GRY" in x)
    assert conflict.split()[-5:] == ["3", "5", "1", "kept", "8"]
    assert "Run again with --overwrite-stock" in kept.output
    assert "1 conflict (0 overwritten)." in kept.output

    again = run(runner, "products_later.csv")
    assert "1 conflict (0 overwritten)." in again.output
    assert on_hand("HTW-11-XW-GRY") == 5

    overwritten = run(runner, "products_later.csv", "--overwrite-stock")

    assert overwritten.exit_code == 0, overwritten.output
    assert on_hand("HTW-11-XW-GRY") == 1
    assert "1 conflict (1 overwritten)." in overwritten.output
    latest = inventory.history(variant("HTW-11-XW-GRY").id)[0]
    assert (latest.reason, latest.on_hand_delta) == ("import", -4)
    assert "overwrote stock changed here" in latest.note
    # Once overwritten, the next run has nothing left to argue about.
    assert "0 conflicts." in run(runner, "products_later.csv").output
    assert inventory.reconcile() == []


def test_dry_run_reports_the_changes_and_writes_nothing(runner):
    result = run(runner, "products.csv", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written" in result.output
    assert "+ product harbor-trail-walker: Harbor Trail Walker (4 variants, 3 images)" in (
        result.output)
    assert "+ variant HTW-9-W-BLK: size 9, Wide, Black, 139.00, on hand 6" in result.output
    assert "HTW-10-W-BLK" in result.output  # the oversold report is shown too
    assert (rows(Product), rows(Variant), rows(StockMovement)) == (0, 0, 0)


def test_dry_run_of_a_later_export_lists_stock_changes_only(runner):
    run(runner, "products.csv")
    result = run(runner, "products_later.csv", "--dry-run")
    assert "~ stock HTW-9-W-BLK: on hand 6 -> 8" in result.output
    assert "~ variant HTW-9-W-BLK: price_cents changed" in result.output
    assert on_hand("HTW-9-W-BLK") == 6 and rows(Variant) == 8


def test_a_file_with_bad_rows_fails_with_line_numbers_and_writes_nothing(runner):
    result = run(runner, "bad_rows.csv")

    assert result.exit_code == 1
    assert "Line 8: Price 'cheap' is not a price" in result.output
    assert "Nothing was imported: 1 row to fix, the first listed above" in result.output
    assert rows(Product) == 0


def test_a_sku_of_another_product_is_a_bad_row_and_nothing_is_written(runner, make_product,
                                                                      tmp_path):
    other = make_product(title="Local Shoe")
    taken = other.variants[0].sku
    data = (DATA / "products.csv").read_bytes().replace(b"COSY-1", taken.encode())
    (tmp_path / "products.csv").write_bytes(data)

    result = runner.invoke(args=["shopify", "import", str(tmp_path / "products.csv")])

    assert result.exit_code == 1
    assert f"Line 13: the Variant SKU '{taken}' already belongs to 'Local Shoe'" in result.output
    assert rows(Product) == 1 and rows(Variant) == 1


def test_stock_the_warehouse_has_promised_is_not_counted_away(app, runner):
    run(runner, "products.csv")
    sku = variant("HTW-11-XW-GRY")
    inventory.adjust(sku.id, 2, "received", actor="ana@shop.test")  # 5 here, 3 on Shopify
    inventory.hold("order-1", {sku.id: 4}, expires_at=_later())
    db.session.commit()

    result = run(runner, "products_later.csv", "--overwrite-stock")

    assert result.exit_code == 1
    assert "HTW-11-XW-GRY: Refused: on hand would become 1" in result.output
    assert on_hand("HTW-9-W-BLK") == 6  # the whole run was rolled back


def _later():
    from datetime import timedelta

    from storefront.models import utcnow

    return utcnow() + timedelta(minutes=30)


def test_a_file_without_quantities_leaves_stock_alone(runner, tmp_path):
    run(runner, "products.csv")
    text = (DATA / "products_later.csv").read_text("utf-8-sig")
    header, *body = text.split("\r\n")
    columns = header.split(",")
    columns[columns.index("Variant Inventory Qty")] = "Old Qty"
    (tmp_path / "p.csv").write_text(",".join(columns) + "\r\n" + "\r\n".join(body), "utf-8")

    result = runner.invoke(args=["shopify", "import", str(tmp_path / "p.csv")])

    assert result.exit_code == 0, result.output
    assert "no inventory quantity column" in result.output
    assert on_hand("HTW-9-W-BLK") == 6 and on_hand("HTW-12-W-BLK") == 0


def test_the_service_reports_without_the_command_line(app):
    export = parse_products((DATA / "products.csv").read_bytes())
    ticks = []
    report = service.import_products(export, progress=ticks.append)
    assert len(ticks) == 4
    assert [o.sku for o in report.oversold] == ["HTW-10-W-BLK", "LENA-8-NAVY-SUEDE"]
    with pytest.raises(BatchRejected):
        parse_products(b"Handle,Title\n")  # a header and no rows


def test_imported_options_beyond_size_width_colour_show_on_the_product(runner, client):
    assert run(runner, "products.csv").exit_code == 0
    page = client.get("/products/lena-slip-on").get_data(as_text=True)
    assert '<th scope="col">Details</th>' in page and "<td>Material: Suede</td>" in page
    variants = client.get("/products/lena-slip-on.json").get_json()["variants"]
    assert {v["sku"]: v["attributes"] for v in variants}["LENA-7-NAVY-SUEDE"] == {
        "Material": "Suede"}
    # A product without such options keeps its table as it was.
    plain = client.get("/products/harbor-trail-walker").get_data(as_text=True)
    assert '<th scope="col">Details</th>' not in plain
