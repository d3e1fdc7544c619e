"""One reader for every stock file: the shop's own CSV and Shopify's inventory exports."""

from pathlib import Path

import pytest

from storefront.csvrows import BatchRejected
from storefront.inputs import parse_int
from storefront.shopify.options import generated_sku, suffixed_sku
from storefront.staff.stockrows import StockRow, read_stock_rows

DATA = Path(__file__).parents[1] / "shopify" / "data"


def read(name):
    return (DATA / name).read_bytes()


def refused(data):
    stock = read_stock_rows(data)
    with pytest.raises(BatchRejected) as caught:
        stock.raise_problems()
    return [str(p) for p in caught.value.problems]


def test_the_shops_own_layout_yields_sku_on_hand_and_expected():
    data = "\ufeffsku,product,on_hand,expected_on_hand\r\nA-1,A,5,4\r\n'-B,B,0,\r\n\r\n"
    stock = read_stock_rows(data)
    assert (stock.layout, stock.problems) == ("stock", [])
    assert stock.rows == [StockRow(2, "A-1", 5, 4), StockRow(3, "-B", 0, None)]


def test_current_shopify_layout_sums_locations_and_keeps_their_figures():
    lines = read("inventory.csv").splitlines(keepends=True)
    stock = read_stock_rows(b"".join(x for x in lines if b"HTW-10-W-BLK" not in x))
    assert stock.layout == "shopify"
    assert [(r.line, r.sku, r.on_hand, r.expected, r.locations) for r in stock.rows] == [
        (2, "HTW-9-W-BLK", 8, None, (("Main Warehouse", 6), ("Pop-up Store", 2))),
        # "On hand (new)" wins over the current figure where staff filled it in.
        (4, "LENA-7-NAVY-SUEDE", 9, None, (("Main Warehouse", 9),)),
    ]


def test_an_oversold_total_is_refused_with_its_first_line():
    assert refused(read("inventory.csv")) == [
        "Line 4: Shopify shows -13 on hand for HTW-10-W-BLK (oversold); this shop never "
        "holds negative stock, so put the number you count (0 if none) in the file"]


def test_rows_without_sku_are_matched_by_handle_and_options_like_the_product_import():
    header = ("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
              "Option3 Name,Option3 Value,SKU,Location,On hand (current),On hand (new)\r\n")
    data = header + (
        "walker,Walker,Size,9,Width,Wide,,,,Main,4,\r\n"
        "walker,Walker,Size,9,Width,Wide,,,,Shop,1,\r\n"
        "walker,Walker,Size,10,Width,Wide,,,W-1,Main,2,3\r\n"
        "walker,Walker,Size,11,Width,Wide,,,W-1,Main,7,\r\n"
    )
    rows = read_stock_rows(data).rows
    assert [(r.line, r.sku, r.on_hand, r.alternative_sku) for r in rows] == [
        (2, generated_sku("walker", ["9", "Wide", ""]), 5, None),
        # Two variants share a SKU: each row also names the SKU `shopify import` gives
        # the variant that had it second, so the lookup finds the right one.
        (4, "W-1", 3, suffixed_sku("W-1", "walker", ["10", "Wide"])),
        (5, "W-1", 7, suffixed_sku("W-1", "walker", ["11", "Wide"])),
    ]


def test_the_older_layout_with_one_column_per_location():
    data = ("\ufeffHandle,Title,Option1 Name,Option1 Value,SKU,Main Warehouse,Pop-up Store\n"
            "cosy,Cosy,Title,Default Title,COSY-1,4,not stocked\n"
            "lena,Lena,Size,7,LENA-7,2,3\n"
            "lena,Lena,Size,8,LENA-8,Not stocked,\n")
    stock = read_stock_rows(data)
    assert stock.layout == "shopify-locations"
    assert [(r.sku, r.on_hand, r.locations) for r in stock.rows] == [
        ("COSY-1", 4, (("Main Warehouse", 4),)),
        ("LENA-7", 5, (("Main Warehouse", 2), ("Pop-up Store", 3))),
    ]


def test_bad_rows_of_any_layout_are_all_named_by_line():
    assert refused(read("inventory_bad.csv")) == [
        "Line 4: On hand 'lots' is not a whole number of units"]
    assert refused("SKU,Main\n,3\nA,²\nB,--1\n") == [
        "Line 2: SKU is empty and the row has no Handle to match it by",
        "Line 3: Main '²' is not a whole number of units",
        "Line 4: Main '--1' is not a whole number of units",
    ]
    mixed = read_stock_rows("sku,on_hand\nA,1\nA,2\nB,-1\n,3\n")
    assert mixed.rows == [StockRow(2, "A", 1)]  # good rows come back beside the bad ones
    assert [str(p) for p in mixed.problems] == [
        "Line 3: A is also on line 2",
        "Line 4: on_hand for B must be a whole number from 0 to 1,000,000, not '-1'",
        "Line 5: the sku cell is empty",
    ]
    assert refused("sku,qty\nA,1\n") == [
        "Line 1: this is neither Shopify's inventory export (SKU or Handle, and On hand or "
        "location columns) nor the shop's stock CSV: the header row needs the column(s) "
        "on_hand"]
    assert refused(b"") == [
        "Line 1: the file is empty; expected a stock CSV (sku, on_hand) or Shopify's "
        "inventory export"]
    assert "not UTF-8" in refused(b"sku,on_hand\n\xff,1\n")[0]
    assert refused('sku,on_hand\n"A,1\n')[0].startswith("Line 2: the CSV cannot be read")


@pytest.mark.parametrize(("text", "number"), [
    ("7", 7), ("-3", -3), (" 12 ", 12), ("²", None), ("--1", None), ("+1", None),
    ("1.0", None), ("٣", None), ("1_000", None), ("", None), ("1e3", None),
])
def test_file_numbers_accept_only_ascii_digits_and_one_minus(text, number):
    assert parse_int(text) == number
