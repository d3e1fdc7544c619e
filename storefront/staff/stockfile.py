"""Stock files: export every variant's counters as CSV; import absolute on-hand counts.

An import sets on hand per SKU (columns `sku`, `on_hand`, optionally
`expected_on_hand` to refuse a row whose stock moved since the export). It is
planned first (every change and every bad row, by line number), then applied
in one transaction through the inventory service: all rows or none, one
ledger row per changed variant, each referencing the import batch.
"""

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import csvrows
from ..catalogue.models import Colour, Product, Size, Variant, Width
from ..csvrows import BatchRejected, LineProblem
from ..database import transactional
from ..extensions import db
from ..inventory import service as inventory
from .stockrows import FORMULA_STARTS, read_stock_rows
from .warehouse import batch_reference

EXPORT_COLUMNS = ["sku", "product", "size", "width", "colour", "on_hand", "reserved",
                  "committed", "available", "expected_on_hand"]


def neutralise(value):
    """Make a cell inert in spreadsheets: a leading ' before a formula character."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_rows():
    """Every variant with its counters, ordered by product and options, as dicts."""
    variants = db.session.scalars(
        select(Variant)
        .join(Variant.product)
        .join(Size, Variant.size_id == Size.id)
        .join(Width, Variant.width_id == Width.id)
        .join(Colour, Variant.colour_id == Colour.id)
        .options(joinedload(Variant.product))
        .order_by(Product.title, Size.sort_key, Width.sort_key, Colour.name, Variant.id)
    ).all()
    stock = inventory.levels([v.id for v in variants])
    for variant in variants:
        levels = stock.get(variant.id) or inventory.Levels(variant.id, 0, 0, 0)
        yield {
            "sku": variant.sku,
            "product": variant.product.title,
            "size": variant.size.label,
            "width": variant.width.code,
            "colour": variant.colour.name,
            "on_hand": levels.on_hand,
            "reserved": levels.reserved,
            "committed": levels.committed,
            "available": levels.available,
            "expected_on_hand": levels.on_hand,
        }


def write_export(stream):
    """Write the stock CSV to a text stream; returns the number of variants written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    for row in export_rows():
        writer.writerow([neutralise(row[c]) for c in EXPORT_COLUMNS])
        written += 1
    return written


def export_csv():
    """The stock CSV as one string."""
    buffer = io.StringIO()
    write_export(buffer)
    return buffer.getvalue()


# -- import -------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    line: int
    sku: str
    variant_id: int
    title: str
    before: inventory.Levels
    on_hand: int
    expected: int | None
    locations: tuple = ()  # ((location, units), ...) from a Shopify file
    # A variant whose stock was not counted (untracked on Shopify): counted from now on.
    starts_tracking: bool = False

    @property
    def delta(self):
        return self.on_hand - self.before.on_hand

    @property
    def locations_text(self):
        return ", ".join(f"{name} {units}" for name, units in self.locations)


@dataclass
class ImportPlan:
    changes: list = field(default_factory=list)
    unchanged: int = 0
    problems: list = field(default_factory=list)
    rows: int = 0
    layout: str = ""
    # Rows of a Shopify file for variants whose stock is not counted here (imported as
    # untracked): (line, sku), left alone, since Shopify's number for them is no count
    # (unless staff typed one into "On hand (new)").
    not_counted: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def decode(data):
    """Uploaded bytes as text with normalised newlines; raises BatchRejected."""
    return normalise_newlines(csvrows.decode(data))


def normalise_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def plan_import(text):
    """Read a stock CSV (own layout or Shopify's inventory export) and work out every
    change against the current counters.

    Never raises for bad rows: they are listed in the plan's problems.
    """
    read = read_stock_rows(text)
    plan = ImportPlan(problems=list(read.problems), layout=read.layout)
    rows = read.rows
    plan.rows = len(rows)
    wanted = {row.sku for row in rows} | {row.alternative_sku for row in rows
                                           if row.alternative_sku}
    variants = {
        v.sku: v for v in db.session.scalars(
            select(Variant).where(Variant.sku.in_(sorted(wanted)))
            .options(joinedload(Variant.product))
        )
    } if rows else {}
    stock = inventory.levels([v.id for v in variants.values()])
    lines = {}
    for row in rows:
        # A variant given a suffixed SKU because another variant had this one.
        variant = variants.get(row.alternative_sku) or variants.get(row.sku)
        if variant is not None and variant.id in lines:
            plan.problems.append(LineProblem(row.line, (
                f"{variant.sku} is also on line {lines[variant.id]}, for other options; "
                "the shop has one variant with this SKU")))
            continue
        if variant is not None:
            lines[variant.id] = row.line
        if variant is None or variant.id not in stock:
            plan.problems.append(LineProblem(row.line, (
                f"the row has no SKU and no variant imported from Shopify matches "
                f"{row.matched_by}; run `flask shopify import` with the product export "
                "first") if row.matched_by else f"unknown SKU {row.sku!r}"))
            continue
        if read.layout != "stock" and not variant.stock_tracked and not row.counted:
            plan.not_counted.append((row.line, variant.sku))
            continue
        before = stock[variant.id]
        if row.expected is not None and row.expected != before.on_hand:
            plan.problems.append(LineProblem(
                row.line, f"{row.sku} has {before.on_hand} on hand now, not the expected "
                          f"{row.expected}; stock moved since the file was made, so count it "
                          "again"))
            continue
        allocated = before.reserved + before.committed
        if row.on_hand < allocated:
            plan.problems.append(LineProblem(
                row.line, f"{row.sku} cannot go to {row.on_hand} on hand: "
                          f"{before.committed} committed to paid orders and {before.reserved} "
                          f"held by open checkouts need at least {allocated}"))
            continue
        if row.on_hand == before.on_hand:
            plan.unchanged += 1
            continue
        plan.changes.append(Change(row.line, variant.sku, variant.id,
                                   f"{variant.product.title}, {variant.label}",
                                   before, row.on_hand, row.expected, row.locations,
                                   starts_tracking=not variant.stock_tracked))
    plan.problems.sort(key=lambda p: p.line)
    return plan


@dataclass(frozen=True)
class ImportResult:
    reference: str
    changes: list
    unchanged: int


@transactional
def apply_import(text, *, actor, source="", progress=None):
    """Apply a stock CSV in one transaction: every changed row or none.

    Raises BatchRejected with each bad row's line number (nothing changed).
    """
    plan = plan_import(text)
    if not plan.ok:
        raise BatchRejected(plan.problems)
    reference = batch_reference("import")
    note = f"line {{line}} of {source}" if source else "line {line}"
    for change in sorted(plan.changes, key=lambda c: c.variant_id):
        try:
            inventory.count(change.variant_id, change.on_hand, change.before.on_hand,
                            actor=actor, reference=reference, reason="import",
                            note=note.format(line=change.line))
        except inventory.InventoryError as refused:
            # Stock moved between reading and writing (another worker): refuse it all.
            raise BatchRejected([LineProblem(change.line, refused.message)]) from refused
        if change.starts_tracking:
            db.session.get(Variant, change.variant_id).stock_tracked = True
        if progress:
            progress(1)
    return ImportResult(reference, plan.changes, plan.unchanged)


def digest(text):
    """A keyed digest of previewed CSV text, so the applied file is the one that was shown."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"stock-import\0" + text.encode(), hashlib.sha256).hexdigest()


def digest_matches(text, claimed):
    return hmac.compare_digest(digest(text), claimed or "")
