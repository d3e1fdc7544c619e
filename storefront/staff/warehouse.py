"""Warehouse use cases: the stock console, a variant's ledger, adjustments, counts, deliveries.

Every change goes through the inventory service; this module only finds
variants by SKU or title and turns staff input into inventory calls.
"""

import math
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from .. import inputs as query
from ..catalogue.models import Colour, Product, Size, Variant, Width
from ..csvrows import BatchRejected, LineProblem
from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..inputs import parse_int
from ..inventory import service as inventory
from ..inventory.models import StockLevel
from ..models import utcnow

PER_PAGE = 50
SORTS = {
    "product": "Product",
    "sku": "SKU",
    "on_hand": "On hand",
    "reserved": "Reserved",
    "committed": "Committed",
    "available": "Available",
}
STOCK_FILTERS = {"low": "Low stock", "sold_out": "Sold out", "in_stock": "Available"}
MAX_BATCH_LINES = 5000


class UnknownSku(DomainError):
    status = 404
    code = "unknown_sku"

    def __init__(self, sku):
        super().__init__(f"No variant has the SKU {sku!r}.")
        self.sku = sku


class UnknownVariantPage(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, variant_id):
        super().__init__(f"There is no variant with id {variant_id}.")


def batch_reference(kind):
    """A readable, unique reference for one delivery or import, e.g. import-20260101-0930-1a2b."""
    return f"{kind}-{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


# -- the console ----------------------------------------------------------------

@dataclass
class ConsoleFilters(query.QueryFilters):
    """The console's query string, parsed; unknown values fall back to defaults."""

    q: str = query.text()
    stock: str = query.choice(STOCK_FILTERS)
    sort: str = query.choice(SORTS, "product")
    desc: bool = query.flag(on=("desc",), name="dir")
    page: int = query.page(last=100_000)

    def sort_args(self, column):
        """Query arguments for a column heading: sort by it, or flip its direction."""
        descending = not self.desc if self.sort == column else False
        return self.args(sort="" if column == "product" and not descending else column,
                         dir="desc" if descending else "", page="")


@dataclass
class ConsoleRow:
    variant: Variant
    levels: inventory.Levels

    @property
    def status(self):
        available = self.levels.on_hand - self.levels.reserved - self.levels.committed
        if available <= 0:
            return "sold_out"
        if available <= self.variant.product.low_stock_threshold:
            return "low_stock"
        return "in_stock"


@dataclass
class Console:
    rows: list
    total: int
    page: int
    pages: int
    filters: ConsoleFilters
    totals: dict = field(default_factory=dict)


def console(filters, per_page=PER_PAGE):
    """One page of variants with their counters, filtered and sorted as `filters` says."""
    level = StockLevel.__table__
    on_hand = func.coalesce(level.c.on_hand, 0)
    reserved = func.coalesce(level.c.reserved, 0)
    committed = func.coalesce(level.c.committed, 0)
    available = on_hand - reserved - committed
    query = (
        select(Variant, on_hand, reserved, committed)
        .join(Variant.product)
        .join(Size, Variant.size_id == Size.id)
        .join(Width, Variant.width_id == Width.id)
        .join(Colour, Variant.colour_id == Colour.id)
        .outerjoin(level, level.c.variant_id == Variant.id)
    )
    if filters.q:
        like = f"%{filters.q.lower()}%"
        query = query.where(or_(func.lower(Variant.sku).like(like),
                                func.lower(Product.title).like(like)))
    if filters.stock == "sold_out":
        query = query.where(available <= 0)
    elif filters.stock == "low":
        query = query.where(available > 0, available <= Product.low_stock_threshold)
    elif filters.stock == "in_stock":
        query = query.where(available > 0)

    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(math.ceil(total / per_page), 1)
    page = min(filters.page, pages)
    natural = (Product.title, Size.sort_key, Width.sort_key, Colour.name, Variant.id)
    key = {
        "product": Product.title,
        "sku": Variant.sku,
        "on_hand": on_hand,
        "reserved": reserved,
        "committed": committed,
        "available": available,
    }[filters.sort]
    order = [key.desc() if filters.desc else key, *natural]
    rows = db.session.execute(
        query.options(joinedload(Variant.product))
        .order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    result = [ConsoleRow(v, inventory.Levels(v.id, oh, r, c)) for v, oh, r, c in rows]
    return Console(result, total, page, pages, filters)


def variant_page(variant_id, history_limit=500):
    """A variant with its product, counters, open holds and ledger (newest first).

    Raises UnknownVariantPage.
    """
    variant = db.session.scalars(
        select(Variant).where(Variant.id == variant_id).options(joinedload(Variant.product))
    ).first()
    if variant is None:
        raise UnknownVariantPage(variant_id)
    return {
        "variant": variant,
        "levels": inventory.get_levels(variant_id),
        "holds": inventory.active_holds(variant_id),
        "history": inventory.history(variant_id, limit=history_limit),
        "reasons": inventory.REASONS,
    }


def current_levels(variant_id):
    """A variant's counters now; raises UnknownVariantPage."""
    if db.session.get(Variant, variant_id) is None:
        raise UnknownVariantPage(variant_id)
    return inventory.get_levels(variant_id)


def variant_by_sku(sku):
    """The variant with this SKU; raises UnknownSku."""
    variant = db.session.scalars(select(Variant).where(Variant.sku == sku)).first()
    if variant is None:
        raise UnknownSku(sku)
    return variant


def variant_ids_by_sku(skus):
    """{sku: variant_id} for those of `skus` that exist."""
    skus = list(skus)
    if not skus:
        return {}
    return dict(db.session.execute(
        select(Variant.sku, Variant.id).where(Variant.sku.in_(skus))
    ).all())


def adjust(variant_id, delta, reason, *, actor, note=""):
    """Change a variant's on hand by `delta` for `reason`; returns the new Levels.

    Raises InvalidQuantity or WouldBreakStock (nothing changed).
    """
    return inventory.adjust(variant_id, delta, reason, actor=actor, note=note).levels


@transactional
def count(variant_id, counted, expected, *, actor, note=""):
    """Record a shelf count against the on hand it started from; returns the new Levels
    and whether the variant's stock is counted from now on (it was not: untracked on
    Shopify).

    Raises StaleCount or WouldBreakStock (nothing changed).
    """
    levels = inventory.count(variant_id, counted, expected, actor=actor, note=note)
    variant = db.session.get(Variant, variant_id)
    starts_tracking = variant is not None and not variant.stock_tracked
    if starts_tracking:
        variant.stock_tracked = True
    return levels, starts_tracking


# -- receiving a delivery -----------------------------------------------------------

_SPLIT = re.compile(r"\s*[,;\t]\s*|\s+")


@dataclass(frozen=True)
class Received:
    reference: str
    lines: list  # (sku, quantity, Levels after)

    @property
    def units(self):
        return sum(q for _, q, _ in self.lines)


def parse_delivery(text):
    """Parse "SKU, quantity" lines: ([(line number, sku, quantity)], [LineProblem])."""
    entries, problems = [], []
    lines = (text or "").splitlines()
    if len(lines) > MAX_BATCH_LINES:
        return [], [LineProblem(MAX_BATCH_LINES + 1,
                                f"a delivery can have at most {MAX_BATCH_LINES} lines")]
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        if len(parts) != 2:
            problems.append(LineProblem(number, f"expected 'SKU, quantity', got {line[:80]!r}"))
            continue
        sku, quantity = parts
        count = parse_int(quantity, minimum=1, maximum=inventory.MAX_UNITS)
        if count is None or quantity.startswith("-"):
            problems.append(LineProblem(
                number, f"the quantity for {sku} must be a whole number from 1 to "
                        f"{inventory.MAX_UNITS:,}, not {quantity!r}"))
            continue
        entries.append((number, sku, count))
    if not entries and not problems:
        problems.append(LineProblem(1, "there are no SKU lines to receive"))
    return entries, problems


@transactional
def receive(text, *, actor, note=""):
    """Add every line of a delivery to on hand in one transaction: all lines or none.

    Raises BatchRejected naming each bad line (unknown SKU, bad quantity).
    """
    entries, problems = parse_delivery(text)
    ids = variant_ids_by_sku({sku for _, sku, _ in entries})
    problems += [LineProblem(n, f"unknown SKU {sku!r}") for n, sku, _ in entries if sku not in ids]
    if problems:
        raise BatchRejected(sorted(problems, key=lambda p: p.line))
    totals = {}
    for _, sku, quantity in entries:
        totals[sku] = totals.get(sku, 0) + quantity
    reference = batch_reference("delivery")
    done = []
    # Ascending variant id, like every multi-row stock change (no deadlocks).
    for sku, quantity in sorted(totals.items(), key=lambda item: ids[item[0]]):
        if quantity > inventory.MAX_UNITS:
            raise BatchRejected([LineProblem(
                min(n for n, s, _ in entries if s == sku),
                f"{sku} adds up to {quantity:,} units, more than {inventory.MAX_UNITS:,}")])
        result = inventory.adjust(ids[sku], quantity, "received", actor=actor,
                                  note=note, reference=reference)
        done.append((sku, quantity, result.levels))
    return Received(reference, done)

