"""Variants Shopify did not track (Variant Inventory Tracker empty) stay on sale here
without a stock count: shoppers see "In stock", never a number, and stock never goes
below zero."""

import io

from sqlalchemy import select

from storefront.catalogue.models import Variant
from storefront.extensions import db
from storefront.inventory import service as inventory

HEADER = ("Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,"
          "Variant Inventory Tracker,Variant Inventory Qty\n")
# A made-to-order insole Shopify never counted (its quantity sits at -4), and a counted one.
INSOLES = HEADER + (
    "cedar-insole,Cedar Insole,Size,8,CI-8,25.00,,-4\n"
    "cedar-insole,,,9,CI-9,25.00,shopify,2\n"
)


def variant(sku):
    return db.session.scalars(select(Variant).where(Variant.sku == sku)).one()


def import_file(runner, tmp_path, text, *flags):
    path = tmp_path / "insoles.csv"
    path.write_text(text, "utf-8")
    return runner.invoke(args=["shopify", "import", str(path), *flags])


def test_an_untracked_variant_imports_on_sale_and_the_summary_counts_it(app, runner,
                                                                         tmp_path):
    result = import_file(runner, tmp_path, INSOLES)

    assert result.exit_code == 0, result.output
    untracked, tracked = variant("CI-8"), variant("CI-9")
    assert (untracked.stock_tracked, tracked.stock_tracked) == (False, True)
    assert inventory.get_levels(untracked.id).on_hand == app.config["SHOPIFY_UNTRACKED_STOCK"]
    assert inventory.get_levels(tracked.id).on_hand == 2
    assert "Not tracked on Shopify (1)" in result.output
    assert "Not tracked on Shopify                  1" in result.output
    # Shopify's -4 meant nothing for it: no oversold repair is reported.
    assert "Negative stock repaired                 0" in result.output
    ledger = inventory.history(untracked.id)
    assert "Not tracked on Shopify (line 2)" in ledger[-1].note


def test_shoppers_see_in_stock_and_never_a_number_for_an_untracked_variant(runner, tmp_path,
                                                                           client):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    untracked = variant("CI-8")
    # Nearly all of it sold: a counted variant would say "Only 1 left".
    on_hand = inventory.get_levels(untracked.id).on_hand
    inventory.count(untracked.id, 1, on_hand, actor="test", note="a real count")

    page = client.get("/products/cedar-insole",
                      query_string={"size": "8", "width": "M", "colour": "as-pictured"})
    text = page.get_data(as_text=True)
    assert "SKU CI-8" in text and '<p class="stock stock-in_stock">In stock</p>' in text
    assert "Only 1 left" not in text
    offers = {v["sku"]: v for v in client.get("/products/cedar-insole.json").get_json()[
        "variants"]}
    assert offers["CI-8"]["tracked"] is False and offers["CI-9"]["tracked"] is True
    assert (offers["CI-8"]["available"], offers["CI-8"]["status"]) == (1, "in_stock")
    assert offers["CI-9"]["status"] == "low_stock"


def test_later_imports_leave_untracked_stock_alone_until_shopify_tracks_it(app, runner,
                                                                           tmp_path):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    untracked = variant("CI-8")
    opened = app.config["SHOPIFY_UNTRACKED_STOCK"]

    again = import_file(runner, tmp_path, INSOLES.replace(",,-4", ",,7"))
    assert again.exit_code == 0, again.output
    assert inventory.get_levels(untracked.id).on_hand == opened

    counted = import_file(runner, tmp_path, INSOLES.replace(",,-4", ",shopify,6"))
    assert counted.exit_code == 0, counted.output
    assert variant("CI-8").stock_tracked is True
    assert inventory.get_levels(untracked.id).on_hand == 6


def test_the_warehouse_console_marks_an_untracked_variant_as_not_counted(runner, tmp_path,
                                                                         client, login_as):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    login_as("warehouse")
    page = client.get("/staff/inventory").get_data(as_text=True)
    untracked_row = page.split("<code>CI-8</code>", 1)[0].rsplit("<tr>", 1)[1]
    tracked_row = page.split("<code>CI-9</code>", 1)[0].rsplit("<tr>", 1)[1]
    assert '<span class="badge">Not counted</span>' in untracked_row
    assert "Not counted" not in tracked_row


INVENTORY = (
    "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,"
    "Option3 Value,SKU,Location,On hand (current),On hand (new)\n"
    "cedar-insole,Cedar Insole,Size,8,,,,,CI-8,Workshop,0,\n"
    "cedar-insole,Cedar Insole,Size,9,,,,,CI-9,Workshop,2,5\n"
)


def test_shopifys_inventory_export_leaves_an_untracked_variant_alone(app, runner, tmp_path):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY, "utf-8")

    result = runner.invoke(args=["inventory", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Left alone, not counted here (untracked on Shopify): 1 row(s): line 2 CI-8" \
        in result.output
    assert inventory.get_levels(variant("CI-8").id).on_hand == \
        app.config["SHOPIFY_UNTRACKED_STOCK"]
    assert inventory.get_levels(variant("CI-9").id).on_hand == 5


def test_the_upload_preview_says_which_rows_are_left_alone(runner, tmp_path, client,
                                                          login_as):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    login_as("warehouse")
    response = client.submit("/staff/inventory/import", "/staff/inventory/import",
                             {"file": (io.BytesIO(INVENTORY.encode()), "inventory.csv")},
                             content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Left alone: 1 row for variants Shopify did not track" in page
    assert "line 2 CI-8" in page


def test_a_number_typed_into_on_hand_new_counts_an_untracked_variant_from_then_on(
        runner, tmp_path, client):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    path = tmp_path / "inventory.csv"
    path.write_text(INVENTORY.replace("Workshop,0,\n", "Workshop,0,2\n"), "utf-8")

    result = runner.invoke(args=["inventory", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert "Left alone" not in result.output
    counted = variant("CI-8")
    assert (counted.stock_tracked, inventory.get_levels(counted.id).on_hand) == (True, 2)
    offer = {v["sku"]: v for v in client.get("/products/cedar-insole.json").get_json()[
        "variants"]}["CI-8"]
    assert (offer["tracked"], offer["available"], offer["status"]) == (True, 2, "low_stock")


def test_the_shops_own_stock_file_counts_an_untracked_variant_too(runner, tmp_path):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    path = tmp_path / "stock.csv"
    path.write_text("sku,on_hand\nCI-8,4\n", "utf-8")

    result = runner.invoke(args=["inventory", "import", str(path)])

    assert result.exit_code == 0, result.output
    counted = variant("CI-8")
    assert (counted.stock_tracked, inventory.get_levels(counted.id).on_hand) == (True, 4)


def test_a_count_in_the_warehouse_console_counts_an_untracked_variant_from_then_on(
        app, runner, tmp_path, client, login_as):
    assert import_file(runner, tmp_path, INSOLES).exit_code == 0
    login_as("warehouse")
    untracked = variant("CI-8")
    page = f"/staff/inventory/{untracked.id}"
    opened = app.config["SHOPIFY_UNTRACKED_STOCK"]

    response = client.submit(page, f"{page}/count", {"counted": "3", "expected": str(opened)})

    assert response.status_code == 303
    assert "Its stock is counted from now on (it was not tracked on Shopify)." in \
        client.get(page).get_data(as_text=True)
    assert variant("CI-8").stock_tracked is True
