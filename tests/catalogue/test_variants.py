"""The variant grid's service: generating combinations, SKU patterns, prices, edits,
retiring, the price history and stale edits."""

import pytest
from sqlalchemy import select

from storefront.catalogue import editing, variants
from storefront.catalogue.models import Colour, PriceChange, Product, Size, Variant, Width
from storefront.catalogue.prices import InvalidPrice, format_amount, parse_price
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockLevel, StockMovement


def options(sizes=("7", "8"), widths=("M", "W"), colours=("navy", "black")):
    """Ids of the named options, made when missing."""
    found = []
    for model, key, names in ((Size, "label", sizes), (Width, "code", widths),
                              (Colour, "slug", colours)):
        ids = []
        for name in names:
            row = db.session.scalar(select(model).where(getattr(model, key) == name))
            if row is None:
                if model is Size:
                    extra = {"sort_key": int(float(name) * 10)}
                elif model is Width:
                    extra = {"label": {"M": "Medium", "W": "Wide", "XW": "Extra wide"}[name],
                             "sort_key": {"M": 1, "W": 2, "XW": 3}[name]}
                else:
                    extra = {"name": name.title(), "hex": "#123456"}
                row = model(**{key: name}, **extra)
                db.session.add(row)
                db.session.flush()
            ids.append(row.id)
        found.append(tuple(ids))
    db.session.commit()
    return found


def empty_product(slug="harbor-afo-walker", title="Harbor AFO Walker"):
    return editing.create_product(
        editing.ProductCopy(title=title, category="walking", gender="men"), slug)


def choice(ids, **kwargs):
    sizes, widths, colours = ids
    return variants.GridChoice(**{"size_ids": sizes, "width_ids": widths,
                                  "colour_ids": colours, "price": "139.00"} | kwargs)


def generate(product, grid_choice, actor="admin@staff.test", **kwargs):
    db.session.refresh(product)
    return variants.generate_variants(product.id, grid_choice, "USD",
                                      revision=product.revision, actor=actor, **kwargs)


# -- prices ---------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "currency", "cents"), [
    ("139", "USD", 13900), ("139.5", "USD", 13950), ("139.05", "USD", 13905),
    (" 0.99 ", "EUR", 99), ("1500", "JPY", 1500), ("12.34", "KWD", 12340),
    ("0", "USD", 0), ("10000", "USD", 1_000_000),
])
def test_prices_are_read_into_minor_units(typed, currency, cents):
    assert parse_price(typed, currency) == cents


@pytest.mark.parametrize(("typed", "currency", "message"), [
    ("-5", "USD", "A price cannot be negative."),
    ("12.999", "USD", "USD prices have at most 2 decimal places."),
    ("1500.5", "JPY", "JPY prices have no decimal places."),
    ("12.345", "KWD", "KWD prices must be a whole multiple of 0.010: card payments cannot "
                      "charge a smaller part."),
    ("10000.01", "USD", "That is more than 10,000 USD: check the figure."),
    ("", "USD", "Enter a price as a number, like 119.00."),
    ("1,299", "USD", "Enter a price as a number, like 119.00."),
    ("١٢", "USD", "Enter a price as a number, like 119.00."),
    ("1e5", "USD", "Enter a price as a number, like 119.00."),
    ("²", "USD", "Enter a price as a number, like 119.00."),
])
def test_prices_that_are_not_are_refused_with_a_reason(typed, currency, message):
    with pytest.raises(InvalidPrice) as refused:
        parse_price(typed, currency)
    assert refused.value.message == message


def test_amounts_are_shown_in_the_currency_s_decimals():
    assert format_amount(13905, "USD") == "139.05"
    assert format_amount(1500, "JPY") == "1500"
    assert format_amount(None, "USD") == ""


# -- generating -----------------------------------------------------------------------


def test_the_grid_makes_every_missing_combination_at_zero_stock_with_its_price(app):
    ids = options()
    product = empty_product()
    created = generate(product, choice(ids, compare_at="159.00"))
    assert sorted(v.sku for v in created) == sorted(
        f"HAW-{s}-{w}-{c}" for s in ("7", "8") for w in ("M", "W") for c in ("NAVY", "BLACK"))
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert len(product.variants) == 8
    assert {(v.price_cents, v.compare_at_cents) for v in product.variants} == {(13900, 15900)}
    levels = inventory.levels([v.id for v in product.variants])
    assert {(lv.on_hand, lv.reserved, lv.committed) for lv in levels.values()} == {(0, 0, 0)}
    assert db.session.scalar(select(StockMovement.id)) is None  # zero stock: no ledger rows
    history = db.session.scalars(select(PriceChange)).all()
    assert len(history) == 8
    assert {(h.old_price_cents, h.new_price_cents, h.actor) for h in history} == {
        (None, 13900, "admin@staff.test")}
    assert product.revision == 2

    # Again with one more width: only the new combinations are made.
    more = options(widths=("M", "W", "XW"))
    created = generate(product, choice(more))
    assert sorted(v.sku for v in created) == sorted(
        f"HAW-{s}-XW-{c}" for s in ("7", "8") for c in ("NAVY", "BLACK"))
    assert generate(product, choice(more)) == []


def test_the_preview_shows_the_skus_and_writes_nothing(app):
    ids = options(sizes=("7.5",), widths=("W",), colours=("navy",))
    product = empty_product()
    plan = variants.preview_grid(product.id, choice(ids, sku_pattern="HARBOR/{colour}/{size}"),
                                 "USD")
    assert [(p.label, p.sku) for p in plan.new] == [("Size 7.5, Wide, Navy", "HARBOR/NAVY/75")]
    assert plan.price_cents == 13900 and not plan.needs_confirmation
    db.session.rollback()
    assert db.session.scalar(select(Variant.id)) is None


def test_new_sizes_and_a_new_colour_can_be_typed_in(app):
    _, widths, _ = options()
    product = empty_product()
    created = generate(product, variants.GridChoice(
        width_ids=widths[:1], more_sizes="12.5, 13", colour_name="Forest green",
        colour_hex="#2F5D50", price="99"))
    assert sorted(v.sku for v in created) == ["HAW-125-M-FOREST-GREEN", "HAW-13-M-FOREST-GREEN"]
    colour = db.session.scalar(select(Colour).where(Colour.slug == "forest-green"))
    assert (colour.name, colour.hex) == ("Forest green", "#2f5d50")
    assert db.session.scalar(select(Size.sort_key).where(Size.label == "12.5")) == 125


@pytest.mark.parametrize(("changes", "errors"), [
    ({"price": "-1"}, {"price": "A price cannot be negative."}),
    ({"price": "10.001"}, {"price": "USD prices have at most 2 decimal places."}),
    ({"price": "99999"}, {"price": "That is more than 10,000 USD: check the figure."}),
    ({"compare_at": "139"}, {"compare_at": "The compare-at price is the old, higher price: "
                                           "make it more than the price, or leave it empty."}),
    ({"sku_pattern": "{product}-{size"},
     {"sku_pattern": "Close every { with a }; use {product}, {size}, {width} and {colour}."}),
    ({"sku_pattern": "{size.__class__}"},
     {"sku_pattern": "{size.__class__} is not a placeholder; use {product}, {size}, {width} "
                     "and {colour}."}),
    ({"sku_pattern": "{product}-{size}"},
     {"sku_pattern": "The pattern gives several variants the SKU “HAW-7”: add the "
                     "placeholder that tells them apart."}),
    ({"sku_pattern": "{product} {size} {width} {colour}"},
     {"sku_pattern": "The pattern makes “HAW 7 M NAVY”: an SKU is letters, digits and "
                     ". _ / - only, at most 64 characters."}),
    ({"size_ids": (999_999,)}, {"sizes": "Choose sizes from the list."}),
    ({"colour_ids": ()}, {"colours": "Choose at least one of the colours."}),
    ({"more_sizes": "huge"}, {"more_sizes": "“huge” is not a US size: give whole or half sizes "
                                            "from 1 to 20, separated by commas (like “12.5, "
                                            "13”)."}),
    ({"colour_name": "Moss", "colour_hex": "green"},
     {"colour_hex": "Give the new colour's swatch as # and six hex digits."}),
])
def test_a_bad_grid_is_refused_field_by_field_with_nothing_made(app, changes, errors):
    ids = options()
    product = empty_product()
    with pytest.raises(variants.InvalidVariants) as refused:
        generate(product, choice(ids, **changes))
    assert refused.value.errors == errors
    db.session.rollback()
    assert db.session.scalar(select(Variant.id)) is None
    assert db.session.scalar(select(StockLevel.variant_id)) is None


def test_skus_another_product_has_are_refused(app, make_product):
    other = make_product([1], sizes=["7"])
    other.variants[0].sku = "haw-7-m-navy"
    db.session.commit()
    ids = options()
    product = empty_product()
    with pytest.raises(variants.InvalidVariants) as refused:
        generate(product, choice(ids))
    assert refused.value.errors == {"sku_pattern": "1 SKU(s) the pattern makes are used "
                                                   "already, like “haw-7-m-navy”: change the "
                                                   "pattern."}


def test_a_big_grid_needs_confirmation_and_a_huge_one_is_refused(app, monkeypatch):
    ids = options(sizes=("6", "7", "8"))
    product = empty_product()
    monkeypatch.setattr(variants, "CONFIRM_ABOVE", 10)
    with pytest.raises(variants.InvalidVariants) as refused:
        generate(product, choice(ids))
    assert refused.value.errors == {
        "confirm": "This makes 12 variants. Tick the box to confirm that number."}
    assert len(generate(product, choice(ids), confirmed=True)) == 12

    monkeypatch.setattr(variants, "MAX_NEW_VARIANTS", 11)
    with pytest.raises(variants.InvalidVariants) as refused:
        generate(product, choice(options(sizes=("9", "10", "11"))))
    assert refused.value.errors == {
        "sizes": "That makes 12 variants; at most 11 can be made in one step."}


def test_a_grid_from_an_old_page_is_stale(app):
    ids = options()
    product = empty_product()
    old = product.revision
    generate(product, choice(ids, size_ids=ids[0][:1]))
    with pytest.raises(editing.StaleEdit):
        variants.generate_variants(product.id, choice(ids), "USD", revision=old, actor="a")
    db.session.rollback()
    assert db.session.scalar(select(Variant.id).where(Variant.sku == "HAW-8-M-NAVY")) is None


# -- editing ------------------------------------------------------------------------------


def _grid_product():
    ids = options(sizes=("7",), widths=("M", "W"), colours=("navy",))
    product = empty_product()
    generate(product, choice(ids))
    db.session.refresh(product)
    return product, sorted(product.variants, key=lambda v: v.sku)


def edit_of(variant, **changes):
    values = {"sku": variant.sku, "price": format_amount(variant.price_cents, "USD"),
              "compare_at": format_amount(variant.compare_at_cents, "USD"),
              "barcode": variant.barcode or "",
              "weight": "" if variant.weight_grams is None else str(variant.weight_grams)}
    return variants.VariantEdit(variant.id, **(values | changes))


def save(product, edits, actor="boss@staff.test"):
    db.session.refresh(product)
    return variants.save_variants(product.id, edits, "USD", revision=product.revision,
                                  actor=actor)


def test_edits_change_only_what_differs_and_record_prices(app):
    product, (medium, wide) = _grid_product()
    changes = save(product, [edit_of(medium, price="129.00", barcode="0012345678905",
                                     weight="410"),
                             edit_of(wide)])
    assert [(c.sku, c.fields, c.price) for c in changes] == [
        ("HAW-7-M-NAVY", ["bar code", "weight", "price"], (13900, 12900))]
    db.session.expire_all()
    saved = db.session.get(Variant, medium.id)
    assert (saved.price_cents, saved.barcode, saved.weight_grams) == (12900, "0012345678905", 410)
    last = db.session.scalars(select(PriceChange).order_by(PriceChange.id.desc())).first()
    assert (last.variant_id, last.old_price_cents, last.new_price_cents, last.actor) == (
        medium.id, 13900, 12900, "boss@staff.test")
    assert save(product, [edit_of(saved), edit_of(wide)]) == []


def test_skus_can_be_swapped_between_variants(app):
    product, (medium, wide) = _grid_product()
    save(product, [edit_of(medium, sku=wide.sku), edit_of(wide, sku=medium.sku)])
    db.session.expire_all()
    assert db.session.get(Variant, medium.id).sku == "HAW-7-W-NAVY"
    assert db.session.get(Variant, wide.id).sku == "HAW-7-M-NAVY"


def test_bad_edits_are_refused_per_field_with_nothing_saved(app, make_product):
    other = make_product([1])
    other.variants[0].barcode = "40123455"
    db.session.commit()
    product, (medium, wide) = _grid_product()
    with pytest.raises(variants.InvalidVariants) as refused:
        save(product, [edit_of(medium, sku=other.variants[0].sku, price="12.3.4",
                               barcode="40123455", weight="-3"),
                       edit_of(wide, price="100", compare_at="90", barcode="12ab")])
    assert refused.value.errors == {
        f"sku-{medium.id}": f"Another variant already has the SKU {other.variants[0].sku}.",
        f"price-{medium.id}": "Enter a price as a number, like 119.00.",
        f"barcode-{medium.id}": "Another variant already has the bar code 40123455.",
        f"weight-{medium.id}": "Give the weight in whole grams, up to 20,000.",
        f"compare_at-{wide.id}": "Make the compare-at price more than the price, or leave it "
                                 "empty.",
        f"barcode-{wide.id}": "A bar code number has 8, 12, 13 or 14 digits.",
    }
    with pytest.raises(variants.InvalidVariants) as refused:
        save(product, [edit_of(medium, sku="same"), edit_of(wide, sku="SAME")])
    assert refused.value.errors == {f"sku-{wide.id}": "Two variants here have the SKU SAME."}
    db.session.rollback()
    assert db.session.get(Variant, medium.id).price_cents == 13900
    assert len(db.session.scalars(select(PriceChange)).all()) == 2  # the two at creation


def test_a_variant_of_another_product_cannot_be_edited_through_this_one(app, make_product):
    other = make_product([1])
    product, (medium, _) = _grid_product()
    with pytest.raises(variants.UnknownProductVariant):
        save(product, [edit_of(other.variants[0], price="1.00")])
    db.session.rollback()
    assert db.session.get(Variant, other.variants[0].id).price_cents == 9900


def test_edits_from_an_old_page_are_stale(app):
    product, (medium, wide) = _grid_product()
    old = product.revision
    save(product, [edit_of(medium, price="120"), edit_of(wide)])
    with pytest.raises(editing.StaleEdit):
        variants.save_variants(product.id, [edit_of(medium, price="110")], "USD",
                               revision=old, actor="late@staff.test")
    db.session.rollback()
    assert db.session.get(Variant, medium.id).price_cents == 12000


# -- retiring -----------------------------------------------------------------------------


def test_a_retired_variant_leaves_the_shop_but_keeps_its_rows(app, make_product):
    product = make_product([3, 2], sizes=["7", "8"])
    sold, other = product.variants
    inventory.adjust(sold.id, 1, "received", actor="w@staff.test")
    retired, levels = variants.retire_variant(product.id, sold.id, revision=product.revision)
    assert (retired.sku, levels.on_hand) == (sold.sku, 4)
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert [v.id for v in product.variants] == [other.id]
    assert [v.id for v in product.all_variants] == [sold.id, other.id]
    assert db.session.get(Variant, sold.id).retired_at is not None
    assert len(inventory.history(sold.id)) == 2  # opening stock and the delivery
    from storefront.catalogue import service as catalogue

    assert sold.id not in catalogue.variants_by_id([sold.id, other.id])
    assert [v["sku"] for v in catalogue.product_json(product.slug)["variants"]] == [other.sku]

    variants.restore_variant(product.id, sold.id, revision=product.revision)
    db.session.expire_all()
    assert len(db.session.get(Product, product.id).variants) == 2


def test_retiring_from_an_old_page_is_stale(app, make_product):
    product = make_product([3, 2], sizes=["7", "8"])
    first, second = (v.id for v in product.variants)
    variants.retire_variant(product.id, first, revision=product.revision)
    with pytest.raises(editing.StaleEdit):
        variants.retire_variant(product.id, second, revision=1)
    db.session.rollback()
    assert db.session.get(Variant, second).retired_at is None
