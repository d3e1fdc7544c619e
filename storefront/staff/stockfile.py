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

from ..catalogue.models import Colour, Product, Size, Variant, Width
from ..database import transactional
from ..extensions import db
from ..inputs import UnreadableText, decode_text, parse_int
from ..inventory import service as inventory
from ..shopify import csvfile as shopify_csv
from .warehouse import BatchRejected, LineProblem, batch_reference

EXPORT_COLUMNS = ["sku", "product", "size", "width", "colour", "on_hand", "reserved",
                  "committed", "available", "expected_on_hand"]
MAX_IMPORT_ROWS = 20_000
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a cell inert in spreadsheets: a leading ' before a formula character."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _unneutralise(text):
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        return text[1:]
    return text


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

    @property
    def delta(self):
        return self.on_hand - self.before.on_hand


@dataclass
class ImportPlan:
    changes: list = field(default_factory=list)
    unchanged: int = 0
    problems: list = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self):
        return not self.problems


def decode(data):
    """Uploaded bytes as text with normalised newlines; raises BatchRejected."""
    try:
        text = decode_text(data)
    except UnreadableText as error:
        raise BatchRejected([LineProblem(1, str(error))]) from None
    return normalise_newlines(text)


def normalise_newlines(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _whole(value, column, sku):
    number = parse_int(_unneutralise(value.strip()), minimum=0, maximum=inventory.MAX_UNITS)
    if number is None or value.strip().startswith("-"):
        return None, (f"{column} for {sku} must be a whole number from 0 to "
                      f"{inventory.MAX_UNITS:,}, not {value.strip()[:20]!r}")
    return number, None


def plan_import(text):
    """Read a stock CSV and work out every change against the current counters.

    Never raises for bad rows: they are listed in the plan's problems. Shopify's
    inventory export is accepted too.
    """
    plan = ImportPlan()
    if shopify_csv.is_inventory_export(text):
        text = _from_shopify(text, plan)
        if not plan.ok:
            return plan
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        plan.problems.append(LineProblem(1, "the file is empty"))
        return plan
    except csv.Error as error:
        plan.problems.append(LineProblem(1, f"not a CSV file ({error})"))
        return plan
    missing = [c for c in ("sku", "on_hand") if c not in header]
    if missing:
        plan.problems.append(LineProblem(1, "the header row needs the column(s) "
                                            + ", ".join(missing)))
        return plan
    column = {name: header.index(name) for name in ("sku", "on_hand", "expected_on_hand")
              if name in header}

    rows, seen = [], {}
    line = 1
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            plan.rows += 1
            if plan.rows > MAX_IMPORT_ROWS:
                plan.problems.append(LineProblem(line, f"an import can have at most "
                                                       f"{MAX_IMPORT_ROWS:,} rows"))
                break
            cells = record + [""] * (len(header) - len(record))
            sku = _unneutralise(cells[column["sku"]].strip())
            if not sku:
                plan.problems.append(LineProblem(line, "the sku cell is empty"))
                continue
            if sku in seen:
                plan.problems.append(LineProblem(line, f"{sku} is also on line {seen[sku]}"))
                continue
            seen[sku] = line
            on_hand, error = _whole(cells[column["on_hand"]], "on_hand", sku)
            expected = None
            if error is None and "expected_on_hand" in column:
                raw = cells[column["expected_on_hand"]]
                if raw.strip():
                    expected, error = _whole(raw, "expected_on_hand", sku)
            if error:
                plan.problems.append(LineProblem(line, error))
                continue
            rows.append((line, sku, on_hand, expected))
    except csv.Error as error:
        plan.problems.append(LineProblem(line + 1, f"the CSV is malformed ({error})"))

    variants = {
        v.sku: v for v in db.session.scalars(
            select(Variant).where(Variant.sku.in_([sku for _, sku, _, _ in rows]))
            .options(joinedload(Variant.product))
        )
    } if rows else {}
    stock = inventory.levels([v.id for v in variants.values()])
    for line, sku, on_hand, expected in rows:
        variant = variants.get(sku)
        if variant is None or variant.id not in stock:
            plan.problems.append(LineProblem(line, f"unknown SKU {sku!r}"))
            continue
        before = stock[variant.id]
        if expected is not None and expected != before.on_hand:
            plan.problems.append(LineProblem(
                line, f"{sku} has {before.on_hand} on hand now, not the expected {expected}; "
                      f"stock moved since the file was made, so count it again"))
            continue
        allocated = before.reserved + before.committed
        if on_hand < allocated:
            plan.problems.append(LineProblem(
                line, f"{sku} cannot go to {on_hand} on hand: "
                      f"{before.committed} committed to paid orders and {before.reserved} "
                      f"held by open checkouts need at least {allocated}"))
            continue
        if on_hand == before.on_hand:
            plan.unchanged += 1
            continue
        plan.changes.append(Change(line, sku, variant.id,
                                   f"{variant.product.title}, {variant.label}",
                                   before, on_hand, expected))
    plan.problems.sort(key=lambda p: p.line)
    return plan


def _from_shopify(text, plan):
    """Shopify's inventory export as this file's own columns, each row on its original line
    (blank lines in between), so every problem still names the line staff see."""
    try:
        rows = shopify_csv.parse_inventory(text)
    except shopify_csv.ShopifyFileError as refused:
        plan.problems.extend(LineProblem(p.line or 1, p.message.rstrip("."))
                             for p in refused.problems)
        return ""
    lines = ["sku,on_hand"] + [""] * max((line for line, _, _ in rows), default=1)
    for line, sku, on_hand in rows:
        if on_hand < 0:
            plan.problems.append(LineProblem(line, (
                f"Shopify shows {on_hand} on hand for {sku} (oversold); this shop never "
                "holds negative stock, so put the number you count (0 if none) in the file")))
            continue
        cell = io.StringIO()
        csv.writer(cell, lineterminator="").writerow([sku, on_hand])
        lines[line - 1] = cell.getvalue()
    return "\n".join(lines)


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
        if progress:
            progress(1)
    return ImportResult(reference, plan.changes, plan.unchanged)


def digest(text):
    """A keyed digest of previewed CSV text, so the applied file is the one that was shown."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"stock-import\0" + text.encode(), hashlib.sha256).hexdigest()


def digest_matches(text, claimed):
    return hmac.compare_digest(digest(text), claimed or "")
