"""Importing a Shopify product export: the catalogue written, stock opened or counted.

One import is one transaction: a bad row anywhere, or a stock change the
inventory refuses, rolls everything back. A dry run does all the same work and
then rolls back, so what it reports is exactly what a real run would do.

Stock goes through inventory's service only. New variants are opened with
Shopify's quantity, or, when Shopify did not track them, with SHOPIFY_UNTRACKED_STOCK
units (shoppers see "In stock", never that number; later imports leave it alone). A
negative quantity (an oversold variant) opens at 0 and a ledger row records what
Shopify showed. On a later run, a variant's on hand is changed only when it still
equals what the last import left (the latest ledger row written by the import);
otherwise stock has moved here since (sales, deliveries, counts) and the difference
is reported as a conflict, applied only when asked, as a compare-and-swap count.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..catalogue.models import (
    Colour,
    Product,
    ProductImage,
    Size,
    Tag,
    Variant,
    Width,
    attributes_key,
)
from ..csvrows import BatchRejected, LineProblem
from ..database import transactional
from ..extensions import db
from ..inventory import service as inventory
from ..inventory.models import StockMovement
from ..models import utcnow
from .csvfile import currency_exponent
from .options import slugify

IMPORT_ACTOR = "shopify-import"
_CHUNK = 500


@dataclass(frozen=True)
class Oversold:
    """A variant Shopify showed below zero; imported as 0."""

    title: str
    sku: str
    line: int
    shopify_quantity: int
    repaired: bool  # False when an earlier import already brought it to 0


@dataclass(frozen=True)
class StockConflict:
    """Stock that changed here since the last import, and what Shopify says now."""

    title: str
    sku: str
    line: int
    last_imported: int
    here: int
    shopify: int
    applied: bool


@dataclass
class ImportReport:
    dry_run: bool
    overwrite_stock: bool
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    images: int = 0
    stock_changed: int = 0
    oversold: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    untracked: list = field(default_factory=list)  # (title, sku, line)
    kept_selling: dict = field(default_factory=dict)  # title -> variants Shopify oversold
    generated_skus: int = 0
    suffixed_skus: int = 0
    exponent: int = 2

    @property
    def repaired(self):
        return sum(1 for o in self.oversold if o.repaired)

    @property
    def conflicts_applied(self):
        return sum(1 for c in self.conflicts if c.applied)


class _RolledBack(Exception):
    """Raised at the end of a dry run so the transaction rolls back; carries the report."""

    def __init__(self, report):
        super().__init__("dry run")
        self.report = report


def import_products(export, *, dry_run=False, overwrite_stock=False, progress=None):
    """Create or update the export's products, variants, images and stock in one transaction.

    With `dry_run` everything is rolled back and only the report remains.
    Raises BatchRejected (nothing written) listing rows the catalogue or the
    stock rules refuse.
    """
    try:
        return _import(export, dry_run, overwrite_stock, progress)
    except _RolledBack as done:
        return done.report


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def _money(minor, exponent):
    if minor is None:
        return "none"
    return f"{minor / 10 ** exponent:.{exponent}f}"


class _Options:
    """The catalogue's sizes, widths, colours and tags, created on first use."""

    def __init__(self, report):
        self.report = report
        self.sizes = {s.label: s for s in db.session.scalars(select(Size))}
        self.widths = {w.code: w for w in db.session.scalars(select(Width))}
        self.colours = {c.slug: c for c in db.session.scalars(select(Colour))}
        self.colour_names = {c.name.lower(): c for c in self.colours.values()}
        self.tags = {t.slug: t for t in db.session.scalars(select(Tag))}

    def _new(self, row, kind, name):
        db.session.add(row)
        self.report.changes.append(f"+ {kind} {name}")
        return row

    def size(self, value):
        if value.label not in self.sizes:
            self.sizes[value.label] = self._new(
                Size(label=value.label, sort_key=value.sort_key), "size", value.label)
        return self.sizes[value.label]

    def width(self, value):
        if value.code not in self.widths:
            self.widths[value.code] = self._new(
                Width(code=value.code, label=value.label, sort_key=value.sort_key),
                "width", f"{value.code} ({value.label})")
        return self.widths[value.code]

    def colour(self, value):
        found = self.colours.get(value.slug) or self.colour_names.get(value.name.lower())
        if found is None:
            found = self._new(Colour(slug=value.slug, name=value.name, hex=value.hex),
                              "colour", value.name)
            self.colours[value.slug] = self.colour_names[value.name.lower()] = found
        return found

    def tag(self, name):
        slug = slugify(name)
        if slug not in self.tags:
            self.tags[slug] = self._new(Tag(slug=slug, name=name), "tag", name)
        return self.tags[slug]


def _assign(row, values):
    """Set the attributes that differ; returns the names of those that changed."""
    changed = []
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


def _existing_products(handles):
    found = {}
    for chunk in _chunks(handles):
        for product in db.session.scalars(
            select(Product).where(Product.slug.in_(chunk)).options(
                selectinload(Product.variants), selectinload(Product.images),
                selectinload(Product.tags))
        ):
            found[product.slug] = product
    return found


def _existing_variants(skus):
    found = {}
    for chunk in _chunks(skus):
        for variant in db.session.scalars(
            select(Variant).where(Variant.sku.in_(chunk)).options(selectinload(Variant.product))
        ):
            found[variant.sku] = variant
    return found


def _last_imported(variant_ids):
    """On hand as the latest import left it, per variant (variants never imported are absent)."""
    found = {}
    for chunk in _chunks(variant_ids):
        latest = (
            select(func.max(StockMovement.id))
            .where(StockMovement.actor == IMPORT_ACTOR, StockMovement.variant_id.in_(chunk))
            .group_by(StockMovement.variant_id)
        )
        rows = db.session.execute(
            select(StockMovement.variant_id, StockMovement.on_hand_after)
            .where(StockMovement.id.in_(latest))
        )
        found.update({row.variant_id: row.on_hand_after for row in rows})
    return found


def _product_values(item):
    return {
        "title": item.title,
        "summary": item.summary,
        "description": item.description,
        "gender": item.gender,
        "category": item.category,
        "published": item.published,
        "seo_title": item.seo_title,
        "seo_description": item.seo_description,
    }


def _sync_tags(product, item, options):
    wanted = [options.tag(name) for name in item.tags]
    if {t.slug for t in product.tags} != {t.slug for t in wanted}:
        product.tags = wanted
        return ["tags"]
    return []


def _sync_images(product, item):
    """Images follow the file when it lists any; a product without images keeps its own."""
    wanted = [(src, alt or item.title) for src, alt in item.ordered_images()]
    if not wanted:
        return [], len(product.images)
    # A photo fetched into storage (`flask media fetch`) still counts as its address.
    current = [(image.origin, image.alt) for image in product.images]
    if current == wanted:
        return [], len(wanted)
    if product.images:
        product.images.clear()
        # Delete the old rows before inserting new ones at the same positions.
        db.session.flush()
    product.images = [ProductImage(path=src, alt=alt, position=position)
                      for position, (src, alt) in enumerate(wanted)]
    return ["images"], len(wanted)


@transactional
def _import(export, dry_run, overwrite_stock, progress):
    report = ImportReport(dry_run=dry_run, overwrite_stock=overwrite_stock,
                          notes=list(export.notes),
                          exponent=currency_exponent(export.currency))
    reference = f"shopify-import {utcnow():%Y-%m-%dT%H:%M:%SZ}"
    problems = []
    options = _Options(report)
    products = _existing_products(p.handle for p in export.products)
    variants = _existing_variants(v.sku for p in export.products for v in p.variants)
    new_variants, known_variants = [], []

    with db.session.no_autoflush:
        for item in export.products:
            if item.skip_reason:
                if progress:
                    progress(1)
                continue
            product = products.get(item.handle)
            created = product is None
            if created:
                product = Product(slug=item.handle, featured=False, low_stock_threshold=5)
                db.session.add(product)
            changed = _assign(product, _product_values(item))
            changed += _sync_tags(product, item, options)
            image_changes, image_count = _sync_images(product, item)
            changed += image_changes
            report.images += image_count
            if created:
                report.products_created += 1
                counts = (f"{_plural(len(item.variants), 'variant')}, "
                          f"{_plural(image_count, 'image')}")
                report.changes.append(f"+ product {item.handle}: {item.title} ({counts})")
            elif changed:
                report.products_updated += 1
                report.changes.append(f"~ product {item.handle}: {', '.join(changed)} changed")
            else:
                report.products_unchanged += 1
            _sync_variants(product, item, variants, options, report, problems,
                           new_variants, known_variants)
            if progress:
                progress(1)

    if problems:
        raise BatchRejected(problems)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise BatchRejected([LineProblem(0, f"the catalogue refused the import: {exc.orig}")]) \
            from None

    _open_new_stock(new_variants, reference, report)
    _update_known_stock(known_variants, overwrite_stock, reference, report, problems)
    if problems:
        raise BatchRejected(problems)
    if dry_run:
        raise _RolledBack(report)
    return report


def _sync_variants(product, item, variants, options, report, problems, new, known):
    in_file = {v.sku for v in item.variants}
    taken = {(v.size_id, v.width_id, v.colour_id, v.option_key): v.sku for v in product.variants
             if v.sku not in in_file and v.id is not None}
    for row in item.variants:
        _note_stock_policy(row, item, report)
        variant = variants.get(row.sku)
        if variant is not None and variant.product is not product:
            problems.append(LineProblem(row.line, (
                f"the Variant SKU {row.sku!r} already belongs to {variant.product.title!r} "
                f"({variant.product.slug}), not to {item.handle!r}."
            )))
            continue
        values = {
            "size": options.size(row.size),
            "width": options.width(row.width),
            "colour": options.colour(row.colour),
            "price_cents": row.price_cents,
            "compare_at_cents": row.compare_at_cents,
            "attributes": row.attributes,
            "stock_tracked": row.tracked,
        }
        key = (values["size"].id, values["width"].id, values["colour"].id,
               attributes_key(row.attributes))
        if None not in key and key in taken:
            problems.append(LineProblem(row.line, (
                f"{row.sku!r} has the same options as {taken[key]!r}, a variant of this "
                "product that the file does not list."
            )))
            continue
        if variant is None:
            variant = Variant(sku=row.sku, **values)
            product.variants.append(variant)
            new.append((variant, row, item.title))
            report.variants_created += 1
            report.changes.append(
                f"+ variant {row.sku}: size {row.size.label}, {row.width.label}, "
                f"{row.colour.name}"
                + (f", {attributes_key(row.attributes)}" if row.attributes else "")
                + f", {_money(row.price_cents, report.exponent)}"
                + (", stock not tracked" if not row.tracked else
                   f", on hand {max(row.quantity, 0)}" if row.quantity is not None else ""))
            continue
        changed = _assign(variant, values)
        if changed:
            report.variants_updated += 1
            report.changes.append(f"~ variant {row.sku}: {', '.join(changed)} changed")
        else:
            report.variants_unchanged += 1
        known.append((variant, row, item.title))


def _note_stock_policy(row, item, report):
    if row.sku_source == "generated":
        report.generated_skus += 1
    elif row.sku_source == "suffixed":
        report.suffixed_skus += 1
    if not row.tracked:
        report.untracked.append((item.title, row.sku, row.line))
    if row.oversells:
        report.kept_selling[item.title] = report.kept_selling.get(item.title, 0) + 1


def _oversold_note(row):
    return (f"Shopify showed {row.quantity} (oversold); imported as 0 "
            f"(export line {row.line})")


def _open_new_stock(new_variants, reference, report):
    for variant, row, title in new_variants:
        if not row.tracked:
            # Shopify's number means nothing here; a generous stock keeps the variant on sale.
            inventory.open_stock(
                variant.id, current_app.config["SHOPIFY_UNTRACKED_STOCK"], actor=IMPORT_ACTOR,
                reference=reference,
                note=(f"Not tracked on Shopify (line {row.line}): opened with the shop's "
                      "untracked stock, not a count"))
            continue
        quantity = row.quantity or 0
        inventory.open_stock(variant.id, max(quantity, 0), actor=IMPORT_ACTOR,
                             reference=reference,
                             note=f"Opening stock from the Shopify export (line {row.line})")
        if quantity < 0:
            # A zero-unit count: the ledger keeps what Shopify showed and why it is 0 here.
            inventory.count(variant.id, 0, 0, actor=IMPORT_ACTOR, note=_oversold_note(row),
                            reason="import", reference=reference)
            report.oversold.append(Oversold(title, row.sku, row.line, quantity, True))


def _update_known_stock(known_variants, overwrite, reference, report, problems):
    rows = sorted((pair for pair in known_variants
                   if pair[1].quantity is not None or not pair[1].tracked),
                  key=lambda pair: pair[0].id)
    ids = [variant.id for variant, _, _ in rows]
    levels = inventory.levels(ids)
    last = _last_imported(ids)
    for variant, row, title in rows:
        if variant.id not in levels:
            # A variant made without stock counters elsewhere: open them as for a new one.
            _open_new_stock([(variant, row, title)], reference, report)
            report.stock_changed += 1
            continue
        if not row.tracked:
            # An untracked variant's stock stays as it is: Shopify's number is no count.
            continue
        target = max(row.quantity, 0)
        here = levels[variant.id].on_hand
        if row.quantity < 0 and target == here:
            report.oversold.append(Oversold(title, row.sku, row.line, row.quantity, False))
        if target == here:
            continue
        # A variant first opened at 0 by an import has no ledger row yet: 0 is what it left.
        imported = last.get(variant.id, 0)
        if here != imported:
            report.conflicts.append(StockConflict(title, row.sku, row.line, imported, here,
                                                  row.quantity, applied=overwrite))
            if not overwrite:
                continue
            note = (f"Shopify export line {row.line} overwrote stock changed here since the "
                    f"last import (which left {imported})")
        else:
            note = f"Shopify export line {row.line}: on hand {here} -> {target}"
        if row.quantity < 0:
            note = f"{_oversold_note(row)}; {note}"
        try:
            inventory.count(variant.id, target, here, actor=IMPORT_ACTOR, note=note,
                            reason="import", reference=reference)
        except inventory.WouldBreakStock as exc:
            problems.append(LineProblem(row.line, f"{row.sku}: {exc.message}"))
            continue
        report.stock_changed += 1
        report.changes.append(f"~ stock {row.sku}: on hand {here} -> {target}")
        if row.quantity < 0:
            report.oversold.append(Oversold(title, row.sku, row.line, row.quantity, True))
