"""Stock CSV: export with formulas neutralised, previewed all-or-nothing import, commands."""

import csv
import html
import io
import re

from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.staff import stockfile


def _upload(client, text, name="stock.csv"):
    return client.submit("/staff/inventory/import", "/staff/inventory/import",
                         {"file": (io.BytesIO(text.encode()), name)},
                         content_type="multipart/form-data")


def _apply_form(page):
    fields = dict(re.findall(r'name="(csrf_token|csv_text|digest)"[^>]*value="([^"]*)"', page))
    return {k: html.unescape(v) for k, v in fields.items()}


def test_export_neutralises_cells_a_spreadsheet_would_run(client, make_product, login_as):
    login_as("warehouse")
    for title in ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)"]:
        make_product(stock=[3], title=title)
    response = client.get("/staff/inventory/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["product"] for r in rows) == sorted(
        ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+1", "'-2", "'@SUM(A1)"])
    assert all(r["on_hand"] == r["expected_on_hand"] == "3" for r in rows)
    assert stockfile.neutralise("\tcmd") == "'\tcmd" and stockfile.neutralise(5) == "5"


def test_round_trip_previews_every_change_then_applies_it(client, make_product, login_as):
    user = login_as("warehouse")
    a, b, c = make_product(stock=[5, 2, 7]).variants
    exported = client.get("/staff/inventory/export.csv").get_data(as_text=True)
    unchanged = _upload(client, exported)
    assert "0 variants will change; 3 rows already match" in unchanged.get_data(as_text=True)

    rows = list(csv.reader(io.StringIO(exported)))
    for row in rows[1:]:
        if row[0] == a.sku:
            row[5] = "9"
        if row[0] == c.sku:
            row[5] = "0"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    edited = buffer.getvalue()

    preview = _upload(client, edited)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 variants will change; 1 row already match" in page
    assert "Apply 2 changes" in page
    assert inventory.get_levels(a.id).on_hand == 5  # nothing applied by the preview

    response = client.post("/staff/inventory/import/apply", data=_apply_form(page))
    assert response.status_code == 303
    listing = client.get("/staff/inventory").get_data(as_text=True)
    assert "on hand set on 2 variant(s), 1 row(s) already matched" in listing
    assert [inventory.get_levels(v.id).on_hand for v in (a, b, c)] == [9, 2, 0]
    ledger = db.session.scalars(
        select(StockMovement).where(StockMovement.reason == "import")
        .order_by(StockMovement.variant_id)).all()
    assert [(m.variant_id, m.on_hand_delta) for m in ledger] == [(a.id, 4), (c.id, -7)]
    assert len({m.reference for m in ledger}) == 1 and ledger[0].reference.startswith("import-")
    assert ledger[0].actor == user.email


def test_import_reports_every_bad_row_by_line_and_changes_nothing(client, make_product,
                                                                   login_as):
    login_as("warehouse")
    a, b, c, d = make_product(stock=[5, 2, 4, 6]).variants
    inventory.hold("cart-1", {c.id: 3}, inventory.utcnow().replace(year=2099))
    text = (
        "sku,on_hand,expected_on_hand\n"
        f"{a.sku},10,\n"
        "NO-SUCH,3,\n"
        f"{b.sku},three,\n"
        f"{c.sku},1,\n"
        f"{a.sku},11,\n"
        f"{d.sku},6,1\n"
    )
    response = _upload(client, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was changed" in page
    assert "Line 3: unknown SKU &#39;NO-SUCH&#39;" in page
    assert "Line 4: on_hand for" in page
    assert "Line 5:" in page and "held by open checkouts need at least 3" in page
    assert f"Line 6: {a.sku} is also on line 2" in page
    assert "Line 7:" in page and "not the expected 1" in page
    assert "Apply" not in page
    assert [inventory.get_levels(v.id).on_hand for v in (a, b, c, d)] == [5, 2, 4, 6]
    assert stockfile.plan_import("sku,qty\nX,1\n").problems[0].message.endswith("on_hand")


def test_apply_is_all_or_nothing_when_stock_moves_after_the_preview(client, make_product,
                                                                    login_as):
    login_as("warehouse")
    a, b = make_product(stock=[5, 5]).variants
    page = _upload(client, f"sku,on_hand,expected_on_hand\n{a.sku},8,5\n{b.sku},1,5\n"
                   ).get_data(as_text=True)
    inventory.adjust(b.id, 1, "received", actor="another screen")
    response = client.post("/staff/inventory/import/apply", data=_apply_form(page))
    assert response.status_code == 409
    assert "Line 3:" in response.get_data(as_text=True)
    assert [inventory.get_levels(v.id).on_hand for v in (a, b)] == [5, 6]


def test_a_tampered_preview_is_refused(client, make_product, login_as):
    login_as("warehouse")
    a = make_product(stock=[5]).variants[0]
    page = _upload(client, f"sku,on_hand\n{a.sku},8\n").get_data(as_text=True)
    form = _apply_form(page)
    form["csv_text"] = form["csv_text"].replace(",8", ",800")
    response = client.post("/staff/inventory/import/apply", data=form)
    assert response.status_code == 400
    assert "changed after its preview" in response.get_data(as_text=True)
    assert inventory.get_levels(a.id).on_hand == 5


def test_a_file_that_is_not_utf8_text_is_explained(client, login_as):
    login_as("warehouse")
    response = client.submit("/staff/inventory/import", "/staff/inventory/import",
                             {"file": (io.BytesIO(b"\xff\xfe\x00bad"), "stock.xlsx")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not UTF-8 text" in response.get_data(as_text=True)


def test_commands_export_and_import_with_dry_run(runner, make_product, tmp_path):
    a, b = make_product(stock=[5, 2], title="@Risky").variants
    target = tmp_path / "stock.csv"
    result = runner.invoke(args=["inventory", "export", str(target)])
    assert result.exit_code == 0 and "Exported 2 variant(s)" in result.output
    text = target.read_text()
    assert "'@Risky" in text
    target.write_text(text.replace(f"{a.sku},'@Risky,6,M,Navy,5", f"{a.sku},'@Risky,6,M,Navy,12"))

    dry = runner.invoke(args=["inventory", "import", str(target), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"line 2: {a.sku} on hand 5 -> 12 (+7)" in dry.output
    assert "Dry run: 1 variant(s) would change" in dry.output
    assert inventory.get_levels(a.id).on_hand == 5

    real = runner.invoke(args=["inventory", "import", str(target)])
    assert real.exit_code == 0, real.output
    assert "on hand set on 1 variant(s), 1 row(s) already matched" in real.output
    assert inventory.get_levels(a.id).on_hand == 12
    note = db.session.scalars(select(StockMovement.note).where(
        StockMovement.reason == "import")).one()
    assert note == f"line 2 of {target}"

    bad = tmp_path / "bad.csv"
    bad.write_text(f"sku,on_hand\n{a.sku},1\n{b.sku},-4\n")
    failed = runner.invoke(args=["inventory", "import", str(bad)])
    assert failed.exit_code == 1
    assert "Line 3: on_hand for" in failed.output and "Nothing was changed" in failed.output
    assert inventory.get_levels(a.id).on_hand == 12


def test_a_shopify_inventory_upload_previews_each_location_and_applies_the_sum(
        client, runner, login_as):
    from pathlib import Path

    data = Path(__file__).parents[1] / "shopify" / "data"
    assert runner.invoke(args=["shopify", "import",
                               str(data / "products_current_fr.csv")]).exit_code == 0
    login_as("warehouse")
    text = (data / "inventory_current_fr.csv").read_bytes().decode("utf-8-sig")

    preview = _upload(client, text, "inventory_export.csv")

    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "2 variants will change" in page
    assert "Shopify locations: Entrepôt Lyon 6, Boutique Paris 1" in page
    response = client.post("/staff/inventory/import/apply", data=_apply_form(page))
    assert response.status_code == 303
    ledger = db.session.scalars(select(StockMovement).where(StockMovement.reason == "import")
                                .order_by(StockMovement.id)).all()
    assert sorted(m.on_hand_after for m in ledger[-2:]) == [3, 7]
