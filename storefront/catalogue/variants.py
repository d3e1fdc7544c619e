"""The variant grid: generating a product's sizes x widths x colours, editing each
variant's price, compare-at price, SKU, bar code and weight, retiring and restoring.

New variants start with zero stock: their counters are opened through inventory's
service, and stock changes only through the warehouse's inventory actions afterwards.
Every price a variant gets is written to the price history. Variants are never deleted
here; a retired one leaves the shop but stays for its orders and its stock ledger.
"""

import re
import string
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inventory import service as inventory
from ..models import utcnow
from .editing import StaleEdit, UnknownProduct, slugify
from .models import Colour, PriceChange, Product, Size, Variant, Width
from .prices import InvalidPrice, parse_price

DEFAULT_SKU_PATTERN = "{product}-{size}-{width}-{colour}"
SKU_PLACEHOLDERS = ("product", "size", "width", "colour")
# A grid above this many new variants is created only once staff confirm the number.
CONFIRM_ABOVE = 100
# More than any shoe is sold in; beyond it the choice was surely a mistake.
MAX_NEW_VARIANTS = 2_000
MAX_SKU_LENGTH = Variant.__table__.c.sku.type.length
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
BARCODE = re.compile(r"^[0-9]{8}$|^[0-9]{12,14}$")
MAX_WEIGHT_GRAMS = 20_000
SIZE_LABEL = re.compile(r"^[0-9]{1,2}(?:\.5)?$")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
HISTORY_LIMIT = 50


class InvalidVariants(InvalidFields):
    """The grid or the variant edits have problems; `errors` maps field names to messages."""

    code = "invalid_variants"
    errors_key = "fields"


class UnknownProductVariant(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, variant_id):
        super().__init__(f"This product has no variant number {variant_id}.")


@dataclass(frozen=True)
class GridChoice:
    """What staff chose in the generator: options by id, more sizes and a new colour typed
    in, the SKU pattern and the price (and compare-at price) for every new variant."""

    size_ids: tuple = ()
    width_ids: tuple = ()
    colour_ids: tuple = ()
    more_sizes: str = ""
    colour_name: str = ""
    colour_hex: str = ""
    sku_pattern: str = DEFAULT_SKU_PATTERN
    price: str = ""
    compare_at: str = ""


@dataclass(frozen=True)
class PlannedVariant:
    size: Size
    width: Width
    colour: Colour
    sku: str

    @property
    def label(self):
        return f"Size {self.size.label}, {self.width.label}, {self.colour.name}"


@dataclass(frozen=True)
class GridPlan:
    new: list
    already: int  # chosen combinations the product has (retired ones included)
    price_cents: int
    compare_at_cents: int | None

    @property
    def needs_confirmation(self):
        return len(self.new) > CONFIRM_ABOVE


@dataclass(frozen=True)
class VariantEdit:
    """One row of the grid as submitted: the raw text of each field."""

    variant_id: int
    sku: str = ""
    price: str = ""
    compare_at: str = ""
    barcode: str = ""
    weight: str = ""


@dataclass
class VariantChange:
    sku: str
    fields: list = field(default_factory=list)
    price: tuple | None = None  # (old, new) minor units


@dataclass(frozen=True)
class VariantGrid:
    product: Product
    variants: list  # every variant, retired ones included, in colour/size/width order
    levels: dict
    sizes: list
    widths: list
    colours: list
    history: list  # (PriceChange, sku)


def _ordered(variants):
    return sorted(variants, key=lambda v: (v.colour.name, v.size.sort_key, v.width.sort_key,
                                           v.id or 0))


def _options():
    return (db.session.scalars(select(Size).order_by(Size.sort_key)).all(),
            db.session.scalars(select(Width).order_by(Width.sort_key)).all(),
            db.session.scalars(select(Colour).order_by(Colour.name)).all())


def price_history(product_id, limit=HISTORY_LIMIT):
    """The latest price changes of a product's variants, newest first, with each SKU."""
    return db.session.execute(
        select(PriceChange, Variant.sku).join(PriceChange.variant)
        .where(Variant.product_id == product_id)
        .order_by(PriceChange.id.desc()).limit(limit)
    ).all()


def variant_grid(product_id):
    """A product with all its variants, their stock, the options to generate more from,
    and its price history; raises UnknownProduct."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise UnknownProduct(product_id)
    variants = _ordered(product.all_variants)
    sizes, widths, colours = _options()
    return VariantGrid(product, variants, inventory.levels([v.id for v in variants]),
                       sizes, widths, colours, price_history(product_id))


def sku_for(pattern, product, size, width, colour):
    """The SKU `pattern` gives one option; placeholders are {product} (the initials of the
    web address), {size} (without its point: 7.5 -> 75), {width} and {colour}."""
    initials = "".join(word[0] for word in product.slug.split("-")[:3] if word).upper()
    return pattern.format(product=initials, size=size.label.replace(".", ""),
                          width=width.code.upper(), colour=colour.slug.upper())


def _check_pattern(pattern):
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern)
                 if name is not None}
    except ValueError:
        return "Close every { with a }; use {product}, {size}, {width} and {colour}."
    unknown = names - set(SKU_PLACEHOLDERS)
    if unknown:
        return (f"{{{sorted(unknown)[0]}}} is not a placeholder; use {{product}}, {{size}}, "
                "{width} and {colour}.")
    return None


def _size_sort_key(label):
    return int(float(label) * 10)


def _chosen(choice, errors):
    """The sizes, widths and colours chosen; new ones not yet in the database are built
    but not added. Forged or unknown ids are errors."""
    sizes, widths, colours = _options()
    by_id = ({s.id: s for s in sizes}, {w.id: w for w in widths}, {c.id: c for c in colours})
    picked = []
    for name, ids, known in zip(("sizes", "widths", "colours"),
                                (choice.size_ids, choice.width_ids, choice.colour_ids),
                                by_id, strict=True):
        if any(i not in known for i in ids):
            errors[name] = f"Choose {name} from the list."
        picked.append([known[i] for i in dict.fromkeys(ids) if i in known])
    chosen_sizes, chosen_widths, chosen_colours = picked
    labels = {s.label: s for s in sizes}
    for label in [part.strip() for part in choice.more_sizes.split(",") if part.strip()]:
        if not SIZE_LABEL.match(label) or not 1 <= float(label) <= 20:
            errors["more_sizes"] = (f"“{label[:12]}” is not a US size: give whole or half sizes "
                                    "from 1 to 20, separated by commas (like “12.5, 13”).")
            break
        size = labels.get(label) or Size(label=label, sort_key=_size_sort_key(label))
        labels[label] = size
        if size not in chosen_sizes:
            chosen_sizes.append(size)
    name = " ".join(choice.colour_name.split())
    if name or choice.colour_hex.strip():
        slug = slugify(name)
        existing = next((c for c in colours if c.slug == slug), None)
        if not slug or len(name) > Colour.__table__.c.name.type.length:
            errors["colour_name"] = "Name the new colour in at most 40 characters."
        elif existing is not None:
            if existing not in chosen_colours:
                chosen_colours.append(existing)
        elif not HEX.match(choice.colour_hex.strip()):
            errors["colour_hex"] = "Give the new colour's swatch as # and six hex digits."
        else:
            chosen_colours.append(Colour(slug=slug, name=name,
                                         hex=choice.colour_hex.strip().lower()))
    chosen_sizes.sort(key=lambda s: s.sort_key)
    chosen_widths.sort(key=lambda w: w.sort_key)
    for name, values in (("sizes", chosen_sizes), ("widths", chosen_widths),
                         ("colours", chosen_colours)):
        if not values and name not in errors:
            errors[name] = f"Choose at least one of the {name}."
    return chosen_sizes, chosen_widths, chosen_colours


def _prices(choice, currency, errors):
    price = compare_at = None
    try:
        price = parse_price(choice.price, currency)
    except InvalidPrice as bad:
        errors["price"] = bad.message
    if choice.compare_at.strip():
        try:
            compare_at = parse_price(choice.compare_at, currency)
        except InvalidPrice as bad:
            errors["compare_at"] = bad.message
        else:
            if price is not None and compare_at <= price:
                errors["compare_at"] = ("The compare-at price is the old, higher price: make "
                                        "it more than the price, or leave it empty.")
    return price, compare_at


def _plan(product, choice, currency):
    errors = {}
    sizes, widths, colours = _chosen(choice, errors)
    price, compare_at = _prices(choice, currency, errors)
    pattern = choice.sku_pattern.strip()
    pattern_error = _check_pattern(pattern) if pattern else "Give an SKU pattern."
    if pattern_error:
        errors["sku_pattern"] = pattern_error
    combinations = len(sizes) * len(widths) * len(colours)
    if combinations > MAX_NEW_VARIANTS:
        errors["sizes"] = (f"That makes {combinations:,} variants; at most "
                           f"{MAX_NEW_VARIANTS:,} can be made in one step.")
    if errors:
        raise InvalidVariants(errors=errors)
    have = {(v.size.label, v.width.code, v.colour.slug) for v in product.all_variants}
    new, already = [], 0
    for colour in colours:
        for size in sizes:
            for width in widths:
                if (size.label, width.code, colour.slug) in have:
                    already += 1
                    continue
                new.append(PlannedVariant(size, width, colour,
                                          sku_for(pattern, product, size, width, colour)))
    _check_new_skus(new)
    return GridPlan(new, already, price, compare_at)


def _check_new_skus(new):
    skus = [p.sku for p in new]
    problems = []
    bad = next((s for s in skus if len(s) > MAX_SKU_LENGTH or not SKU.match(s)), None)
    if bad is not None:
        problems.append(f"The pattern makes “{bad[:70]}”: an SKU is letters, digits and "
                        f". _ / - only, at most {MAX_SKU_LENGTH} characters.")
    repeated = sorted({s for s in skus if skus.count(s) > 1}) if len(set(skus)) < len(skus) \
        else []
    if repeated:
        problems.append(f"The pattern gives several variants the SKU “{repeated[0]}”: add "
                        "the placeholder that tells them apart.")
    taken = db.session.scalars(select(Variant.sku).where(
        func.upper(Variant.sku).in_([s.upper() for s in skus]))).all() if skus else []
    if taken:
        problems.append(f"{len(taken)} SKU(s) the pattern makes are used already, like "
                        f"“{sorted(taken)[0]}”: change the pattern.")
    if problems:
        raise InvalidVariants(errors={"sku_pattern": " ".join(problems)})


def preview_grid(product_id, choice, currency):
    """What generating `choice` would create, without creating it. Raises UnknownProduct
    or InvalidVariants."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise UnknownProduct(product_id)
    return _plan(product, choice, currency)


def _lock(product_id, revision):
    product = db.session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise UnknownProduct(product_id)
    if revision != product.revision:
        raise StaleEdit(product)
    return product


@transactional
def generate_variants(product_id, choice, currency, *, revision, actor, confirmed=False):
    """Create the chosen combinations the product lacks, at zero stock, with the price
    recorded in the price history; returns the new variants (none when all exist).

    Above CONFIRM_ABOVE new variants, `confirmed` must be true. Raises UnknownProduct,
    StaleEdit or InvalidVariants, with nothing written.
    """
    product = _lock(product_id, revision)
    plan = _plan(product, choice, currency)
    if plan.needs_confirmation and not confirmed:
        raise InvalidVariants(errors={"confirm": (
            f"This makes {len(plan.new):,} variants. Tick the box to confirm that number.")})
    created = []
    for planned in plan.new:
        for option in (planned.size, planned.colour):
            if option.id is None:
                db.session.add(option)
        variant = Variant(sku=planned.sku, size=planned.size, width=planned.width,
                          colour=planned.colour, price_cents=plan.price_cents,
                          compare_at_cents=plan.compare_at_cents, attributes={})
        product.variants.append(variant)
        created.append(variant)
    try:
        db.session.flush()
    except IntegrityError:  # an SKU taken by another save just now
        raise InvalidVariants(errors={
            "sku_pattern": "Some of these SKUs were just taken by another save: preview again."
        }) from None
    for variant in created:
        inventory.open_stock(variant.id, 0, actor=actor,
                             note="Opened at zero by the variant grid")
        db.session.add(PriceChange(variant_id=variant.id, new_price_cents=variant.price_cents,
                                   new_compare_at_cents=variant.compare_at_cents, actor=actor))
    if created:
        product.revision += 1
    return created


def _edit_errors(product, edits, currency):
    """Parsed values per variant id, or raises InvalidVariants keyed "<field>-<id>"."""
    mine = {v.id: v for v in product.all_variants}
    errors, parsed = {}, {}
    for edit in edits:
        variant = mine.get(edit.variant_id)
        if variant is None:
            raise UnknownProductVariant(edit.variant_id)
        vid, values = edit.variant_id, {}
        sku = edit.sku.strip()
        if not sku or len(sku) > MAX_SKU_LENGTH or not SKU.match(sku):
            errors[f"sku-{vid}"] = (f"An SKU is letters, digits and . _ / - only, at most "
                                    f"{MAX_SKU_LENGTH} characters.")
        values["sku"] = sku
        try:
            values["price_cents"] = parse_price(edit.price, currency)
        except InvalidPrice as bad:
            errors[f"price-{vid}"] = bad.message
        values["compare_at_cents"] = None
        if edit.compare_at.strip():
            try:
                values["compare_at_cents"] = parse_price(edit.compare_at, currency)
            except InvalidPrice as bad:
                errors[f"compare_at-{vid}"] = bad.message
            else:
                if values["compare_at_cents"] <= values.get("price_cents", -1):
                    errors[f"compare_at-{vid}"] = ("Make the compare-at price more than the "
                                                   "price, or leave it empty.")
        barcode = edit.barcode.strip().replace(" ", "")
        if barcode and not BARCODE.match(barcode):
            errors[f"barcode-{vid}"] = "A bar code number has 8, 12, 13 or 14 digits."
        values["barcode"] = barcode or None
        weight = edit.weight.strip()
        values["weight_grams"] = None
        if weight:
            if not weight.isascii() or not weight.isdigit() or int(weight) > MAX_WEIGHT_GRAMS:
                errors[f"weight-{vid}"] = (f"Give the weight in whole grams, up to "
                                           f"{MAX_WEIGHT_GRAMS:,}.")
            else:
                values["weight_grams"] = int(weight)
        parsed[vid] = values
    _check_unique(product, parsed, "sku", "SKU", errors)
    _check_unique(product, parsed, "barcode", "bar code", errors)
    if errors:
        raise InvalidVariants(errors=errors)
    return mine, parsed


def _check_unique(product, parsed, name, words, errors):
    column = getattr(Variant, name)
    seen = {}
    for vid, values in parsed.items():
        value = values.get(name)
        if not value or f"{name}-{vid}" in errors:
            continue
        key = value.upper()
        if key in seen:
            errors[f"{name}-{vid}"] = f"Two variants here have the {words} {value}."
        seen[key] = vid
    if not seen:
        return
    others = db.session.execute(
        select(column, Variant.id).where(func.upper(column).in_(list(seen)),
                                         Variant.id.not_in(list(parsed)))
    ).all()
    for value, _ in others:
        vid = seen[value.upper()]
        errors[f"{name}-{vid}"] = f"Another variant already has the {words} {value}."


@transactional
def save_variants(product_id, edits, currency, *, revision, actor):
    """Write the grid's edits where they differ; returns a VariantChange per changed
    variant. Price changes go to the price history; orders keep the price they were
    placed at. Raises UnknownProduct, UnknownProductVariant, StaleEdit or InvalidVariants,
    with nothing written."""
    product = _lock(product_id, revision)
    mine, parsed = _edit_errors(product, edits, currency)
    before = {vid: {"sku": mine[vid].sku, "barcode": mine[vid].barcode,
                    "weight_grams": mine[vid].weight_grams} for vid in parsed}
    # SKUs and bar codes may be swapped between rows: park the changed ones on values no
    # other row has first, so no unique constraint sees one value twice in between.
    for name in ("sku", "barcode"):
        moving = [vid for vid, values in parsed.items() if values[name] != before[vid][name]]
        for vid in moving:
            setattr(mine[vid], name, f"~{vid}" if name == "sku" else None)
        if moving:
            db.session.flush()
    changes = []
    for vid, values in parsed.items():
        variant = mine[vid]
        change = VariantChange(values["sku"])
        for name, words in (("sku", "SKU"), ("barcode", "bar code"),
                            ("weight_grams", "weight")):
            setattr(variant, name, values[name])
            if before[vid][name] != values[name]:
                change.fields.append(words)
        old_price, old_compare = variant.price_cents, variant.compare_at_cents
        if (old_price, old_compare) != (values["price_cents"], values["compare_at_cents"]):
            variant.price_cents = values["price_cents"]
            variant.compare_at_cents = values["compare_at_cents"]
            if old_price != values["price_cents"]:
                change.price = (old_price, values["price_cents"])
            change.fields.append("price" if old_price != values["price_cents"]
                                 else "compare-at price")
            db.session.add(PriceChange(
                variant_id=vid, old_price_cents=old_price, new_price_cents=variant.price_cents,
                old_compare_at_cents=old_compare,
                new_compare_at_cents=variant.compare_at_cents, actor=actor))
        if change.fields:
            changes.append(change)
    if changes:
        product.revision += 1
    return changes


def _variant_of(product, variant_id):
    variant = next((v for v in product.all_variants if v.id == variant_id), None)
    if variant is None:
        raise UnknownProductVariant(variant_id)
    return variant


@transactional
def retire_variant(product_id, variant_id, *, revision):
    """Take a variant off sale: the shop stops showing and selling it, its orders, stock and
    ledger stay. Returns the variant and its stock levels. Raises UnknownProduct,
    UnknownProductVariant or StaleEdit."""
    product = _lock(product_id, revision)
    variant = _variant_of(product, variant_id)
    if variant.retired_at is None:
        variant.retired_at = utcnow()
        product.revision += 1
    return variant, inventory.get_levels(variant_id)


@transactional
def restore_variant(product_id, variant_id, *, revision):
    """Put a retired variant on sale again; returns it. Raises as retire_variant does."""
    product = _lock(product_id, revision)
    variant = _variant_of(product, variant_id)
    if variant.retired_at is not None:
        variant.retired_at = None
        product.revision += 1
    return variant
