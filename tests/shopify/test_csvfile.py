"""Reading Shopify exports: continuation rows, option mapping, odd encodings, bad rows."""

from pathlib import Path

import pytest

from storefront.csvrows import BatchRejected
from storefront.shopify.csvfile import currency_exponent, parse_price, parse_products
from storefront.shopify.options import (
    colour_value,
    generated_sku,
    option_kind,
    parse_option_map,
    size_value,
    suffixed_sku,
    width_value,
)

DATA = Path(__file__).parent / "data"


def read(name):
    return (DATA / name).read_bytes()


def test_sample_export_has_a_bom_and_windows_line_endings():
    data = read("products.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data


def test_rows_of_one_handle_become_one_product_with_its_variants_and_images():
    export = parse_products(read("products.csv"))
    products = {p.handle: p for p in export.products}
    assert list(products) == ["harbor-trail-walker", "lena-slip-on", "cosy-house-shoe",
                              "gift-card"]
    harbor = products["harbor-trail-walker"]
    assert harbor.title == "Harbor Trail Walker"  # the BOM did not end up in "Handle"
    assert [v.sku for v in harbor.variants] == ["HTW-9-W-BLK", "HTW-10-W-BLK",
                                                "HTW-10-2E-GRY", "HTW-11-XW-GRY"]
    assert [v.quantity for v in harbor.variants] == [6, -13, 0, 3]
    # Three images: the variant image repeats the second, so it is not added twice.
    assert [src.rsplit("/", 1)[1] for src, _ in harbor.ordered_images()] == [
        "harbor-black.jpg?v=1700000000", "harbor-grey.jpg?v=1700000000",
        "harbor-top.jpg?v=1700000000"]


def test_options_map_to_size_width_colour_and_other_names_become_attributes():
    products = {p.handle: p for p in parse_products(read("products.csv")).products}
    harbor = products["harbor-trail-walker"].variants
    assert [(v.size.label, v.width.code, v.colour.slug) for v in harbor] == [
        ("9", "W", "black"), ("10", "W", "black"), ("10", "W", "grey"), ("11", "XW", "grey")]
    lena = products["lena-slip-on"].variants
    assert lena[0].attributes == {"Material": "Suede"}
    assert (lena[0].width.code, lena[0].colour.name) == ("M", "Navy")
    cosy = products["cosy-house-shoe"].variants[0]
    assert (cosy.size.label, cosy.width.code, cosy.colour.name, cosy.attributes) == (
        "One size", "M", "As pictured", {})


def test_product_fields_prices_and_sanitised_body():
    products = {p.handle: p for p in parse_products(read("products.csv")).products}
    harbor = products["harbor-trail-walker"]
    # The quoted newlines stayed inside the body; script, handlers and meta are gone.
    assert "<strong>ankle-foot orthosis</strong>" in harbor.description
    assert "<script" not in harbor.description and "alert" not in harbor.description
    assert "onclick" not in harbor.description and "<meta" not in harbor.description
    assert "<li>Two depth insoles</li>" in harbor.description
    assert (harbor.category, harbor.gender, harbor.published) == ("walking", "men", True)
    assert harbor.variants[0].price_cents == 13900
    assert harbor.variants[0].compare_at_cents == 15900
    # A compare-at price equal to the price is no sale.
    assert harbor.variants[1].compare_at_cents is None
    lena = products["lena-slip-on"]
    assert lena.gender == "women"
    assert lena.description == "<p>Soft slip-on with a stretch collar &amp; a wide toe box.</p>"
    assert lena.variants[1].price_cents == 7950
    cosy = products["cosy-house-shoe"]
    assert (cosy.published, cosy.category) == (False, "slippers")
    assert products["gift-card"].gift_card


def test_unknown_columns_are_ignored_with_a_note():
    export = parse_products(read("products.csv"))
    assert any("Color (product.metafields.shopify.color-pattern)" in n for n in export.notes)
    assert not any("Google Shopping" in n for n in export.notes)


def test_bad_rows_are_reported_with_the_line_the_row_starts_on_and_sku_gaps_are_filled():
    with pytest.raises(BatchRejected) as caught:
        parse_products(read("bad_rows.csv"))
    # The first product's body holds three line breaks, so its rows end on line 5.
    assert [str(p) for p in caught.value.problems] == ["Line 8: Price 'cheap' is not a price"]

    fixed = read("bad_rows.csv").replace(b",cheap,", b",149.00,")
    export = parse_products(fixed)
    skus = [v.sku for v in export.products[0].variants]
    # Line 7 had no SKU and line 9 repeated line 2's: both still import, under SKUs that
    # are the same on every run, and the report names them by line.
    assert skus[:2] == ["HTW-9-W-BLK", "HTW-10-W-BLK"]
    assert skus[2].startswith("HARBOR-TRAIL-WALKER-10-2E-GRAY-")
    assert skus[4].startswith("HTW-9-W-BLK-") and len(skus[4]) == len("HTW-9-W-BLK-") + 6
    assert parse_products(fixed).products[0].variants[2].sku == skus[2]
    report = [str(a) for a in export.adjustments]
    assert f"Line 7: harbor-trail-walker: the variant has no SKU; it was given {skus[2]}" \
        " (the same on every import)" in report
    assert (f"Line 9: harbor-trail-walker: the SKU HTW-9-W-BLK is already used on line 2; "
            f"this variant was given {skus[4]}") in report


def csv_text(*lines):
    header = ("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
              "Variant SKU,Variant Price,Variant Inventory Qty,Image Src")
    return "\n".join([header, *lines]).encode()


def test_two_spellings_of_one_width_are_one_variant_twice_and_refused():
    data = csv_text("a,A,Size,8,Width,Wide,A-1,10.00,1,",
                    "a,,,8,,W,A-2,10.00,1,")
    with pytest.raises(BatchRejected) as caught:
        parse_products(data)
    assert "Line 3: 'A-2' has the same options as the variant on line 2" in str(
        caught.value.problems[0])


def test_other_options_too_long_for_the_catalogue_are_refused_with_their_line():
    data = csv_text(f"a,A,Size,8,Finish,{'x' * 260},A-1,10.00,1,")
    with pytest.raises(BatchRejected) as caught:
        parse_products(data)
    assert "Line 2: 'A-1': its other options (Finish: xxx" in str(caught.value.problems[0])


@pytest.mark.parametrize(("line", "message"), [
    ("a,A,Size,8,,,A-1,ten,1,", "Price 'ten' is not a price"),
    ("a,A,Size,8,,,A-1,\"1,010.001\",1,", "fractions of a cent"),
    ("a,A,Size,8,,,A-1,10.00,1.5,", "Inventory quantity '1.5' is not a whole number"),
    ("a,A,Size,8,,,A-1,10.00,²,", "Inventory quantity '²' is not a whole number"),
    ("a,A,Size,8,,,A-1,10.00,--1,", "Inventory quantity '--1' is not a whole number"),
    ("a,A,Size,8,,,A-1,\"1,000\",1,", "is ambiguous"),
    ("a,A,Size,8,,,A-1,10.00,1,http://x.test/a.jpg", "is not an https:// address"),
    ("a,A,Size,,,,A-1,10.00,1,", "Option1 Value (Size) is empty"),
    (",A,Size,8,,,A-1,10.00,1,", "Handle is empty"),
    ("a b,A,Size,8,,,A-1,10.00,1,", "cannot be a product address"),
    ("a,,Size,8,,,A-1,10.00,1,", "the first row of 'a' has no Title"),
    ("a,A,Size,8,,,A-1,10.00,1,,extra", "the row has 11 fields but the header has 10"),
])
def test_each_kind_of_bad_row_names_its_line(line, message):
    with pytest.raises(BatchRejected) as caught:
        parse_products(csv_text(line))
    problem = caught.value.problems[0]
    assert problem.line == 2
    assert message in problem.message


def test_a_file_that_is_not_utf8_is_refused_with_advice():
    data = "Handle,Title\nschuh,Schüh\n".encode("cp1252")
    with pytest.raises(BatchRejected) as caught:
        parse_products(data)
    assert caught.value.problems[0].line == 2
    assert "CSV UTF-8" in caught.value.problems[0].message


def test_an_inventory_export_given_as_products_points_to_the_right_command():
    with pytest.raises(BatchRejected) as caught:
        parse_products(read("inventory.csv"))
    assert "flask inventory import" in caught.value.problems[0].message


def test_empty_file_is_refused():
    with pytest.raises(BatchRejected, match="the file is empty"):
        parse_products(b"")


@pytest.mark.parametrize(("value", "label", "sort_key"), [
    ("8", "8", 80), ("8.5", "8.5", 85), ("US 10", "10", 100), ("9 1/2", "9.5", 95),
    ("8.0", "8", 80), ("XL", "XL", 10_000), ("38,5", "38.5", 385),
])
def test_size_values(value, label, sort_key):
    assert (size_value(value).label, size_value(value).sort_key) == (label, sort_key)


@pytest.mark.parametrize(("value", "code"), [
    ("Wide", "W"), ("W", "W"), ("2E", "W"), ("EE", "W"), ("Extra Wide", "XW"),
    ("extra-wide", "XW"), ("3E", "XW"), ("4E", "XXW"), ("Medium", "M"), ("D", "M"),
    ("Narrow", "N"), ("5E", "5E"), ("Extra Extra Wide (5E)", "5E"), ("6E", "6E"),
    ("Roomy", "ROOMY"), ("Breit (XW)", "XW"),
])
def test_width_names_map_to_codes(value, code):
    assert width_value(value).code == code


def test_colour_names_become_slugs_with_a_swatch():
    assert colour_value("Gray").slug == "grey"
    light = colour_value("light blue")
    assert (light.slug, light.name, light.hex) == ("light-blue", "Light blue", "#2f5fa7")
    with pytest.raises(ValueError, match="no letters"):
        colour_value("!!")


@pytest.mark.parametrize(("text", "exponent", "minor"), [
    ("119.00", 2, 11900), ("119,00", 2, 11900), ("1000,00", 2, 100000),
    ("1,234.50", 2, 123450), ("1.234,50", 2, 123450), ("1 234,50", 2, 123450),
    ("€ 12,5", 2, 1250), ("$79.50", 2, 7950), ("1,000,000", 2, 100000000),
    ("8000", 0, 8000), ("8000.00", 0, 8000), ("12.345", 3, 12345),
])
def test_prices_with_either_decimal_separator(text, exponent, minor):
    assert parse_price(text, "Price", exponent) == minor


@pytest.mark.parametrize(("text", "exponent", "message"), [
    ("1.000", 2, "ambiguous"), ("1,000", 2, "ambiguous"), ("1.000", 0, "ambiguous"),
    ("8000.5", 0, "fractions of the currency's smallest unit"), ("1,2,3", 2, "not a price"),
    ("1.234.5", 2, "not a price"), ("1,234.567,8", 2, "not a price"), ("-5", 2, "not a price"),
    ("cheap", 2, "not a price"), ("1,000,001", 2, "too large"),
])
def test_ambiguous_or_bad_prices_are_refused(text, exponent, message):
    with pytest.raises(ValueError, match=message):
        parse_price(text, "Price", exponent)


def test_currency_exponents():
    assert [currency_exponent(c) for c in ("USD", "eur", "JPY", "KWD", None)] == [2, 2, 0, 3, 2]


@pytest.mark.parametrize(("name", "kind"), [
    ("Taille", "size"), ("Tamanho", "size"), ("Größe", "size"), ("Talla", "size"),
    ("サイズ", "size"), ("色", "colour"), ("Couleur", "colour"), ("Farbe", "colour"),
    ("Colour", "colour"), ("Color", "colour"), ("Width", "width"), ("Breite", "width"),
    ("Largeur", "width"), ("Material", "attribute"), ("Schuhweite", "attribute"),
])
def test_option_names_in_several_languages(name, kind):
    assert option_kind(name, "x") == kind


def test_the_placeholder_option_and_the_map_option_table():
    assert option_kind("Title", "Default Title") is None
    assert option_kind("Title", "Red") == "attribute"  # real values on the placeholder name
    table = parse_option_map(["Schuhweite=width", " Taille = attribute", "Tint=color"])
    assert table == {"schuhweite": "width", "taille": "attribute", "tint": "colour"}
    assert option_kind("SCHUHWEITE", "H", table) == "width"
    assert option_kind("Taille", "38", table) == "attribute"
    with pytest.raises(ValueError, match="must look like"):
        parse_option_map(["Taille=shoe"])


def test_generated_skus_are_stable_bounded_and_tell_similar_values_apart():
    first = generated_sku("bottine-aurore", ["38", "Large", "Noir"])
    assert first == generated_sku("bottine-aurore", ["38 ", "Large", "Noir", ""])
    assert first != generated_sku("bottine-aurore", ["38", "Large", "Noir mat"])
    assert generated_sku("geta", ["24", "黒"]) != generated_sku("geta", ["24", "白"])
    long = generated_sku("x" * 120, ["y" * 40])
    assert len(long) <= 64 and len(suffixed_sku("S" * 64, "h", ["1"])) == 64


def test_long_width_names_are_refused_not_cut():
    with pytest.raises(ValueError, match="too long"):
        width_value("Extra Extra Extra Roomy Fit")
    assert width_value("Extra Roomy").code == "EXTRAROOMY"


def test_market_columns_named_in_the_shops_language_are_reported_as_market_columns():
    # Shopify keeps column names in English in every admin language; only a market's own
    # name, chosen by the merchant, follows the slash.
    data = (b"Title,URL handle,Option1 name,Option1 value,SKU,Price,Price / Europa,"
            b"Compare-at price / Europa,Included / Europa\n"
            b"Sabot,sabot,Taille,38,SAB-38,\"49,00\",\"45,00\",\"55,00\",TRUE\n")
    export = parse_products(data)
    assert export.products[0].variants[0].price_cents == 4900
    assert ("Ignored Shopify admin column(s) (weights, taxes, barcodes, costs, markets): "
            "Price / Europa, Compare-at price / Europa, Included / Europa") in export.notes
    assert not any("does not know" in note for note in export.notes)


def test_a_header_translated_after_the_export_is_refused_with_what_to_do():
    with pytest.raises(BatchRejected) as caught:
        parse_products(b"Titre,Identifiant d'URL,Prix\nSabot,sabot,\"49,00\"\n")
    message = str(caught.value.problems[0])
    assert message.startswith("Line 1: this is not a Shopify product export")
    assert "Shopify names the columns in English whatever language its admin is in" in message
