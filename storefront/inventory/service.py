"""The only code that writes stock counters.

Every change is one conditional UPDATE of a variant's stock_level row whose
WHERE clause keeps the promise (nothing negative, reserved + committed never
above on hand), plus a stock_movement row in the same transaction. Changes to
several variants go in ascending variant id, and whatever touches a variant's
holds locks that variant's counters first, so transactions never deadlock.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Integer, UniqueConstraint, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..models import utcnow
from ..signals import became_available, holds_expired, send, stock_changed, stock_read
from .models import HOLD_KINDS, StockHold, StockLevel, StockMovement

STAFF_REASONS = {
    "received": "Received delivery",
    "correction": "Correction",
    "damaged": "Damaged",
    "theft_or_loss": "Theft or loss",
    "return_restock": "Customer return, restocked",
    "promotion": "Taken for promotion",
}
# Reasons that only make sense in one direction.
_POSITIVE_REASONS = {"received", "return_restock"}
_NEGATIVE_REASONS = {"damaged", "theft_or_loss", "promotion"}
SYSTEM_REASONS = {
    "opening": "Opening stock",
    "count": "Stock count",
    "hold": "Held for checkout",
    "hold_released": "Hold released",
    "hold_expired": "Hold expired",
    "payment_confirmed": "Payment confirmed",
    "payment_after_expiry": "Paid after the hold expired",
    "shipped": "Shipped",
    "order_cancelled": "Paid order cancelled, restocked",
    "import": "Import",
    "exchange_hold": "Held for an exchange",
    "exchange_released": "Exchange hold released",
    "exchange_expired": "Exchange hold expired",
    "exchange_committed": "Exchange replacement set aside to ship",
    "exchange_cancelled": "Exchange called off, replacement back on sale",
}
# The ledger reason of a hold, and of its expiry, per kind of hold.
_HOLD_REASONS = {"checkout": ("hold", "hold_expired"),
                 "exchange": ("exchange_hold", "exchange_expired")}
REASONS = STAFF_REASONS | SYSTEM_REASONS
MAX_UNITS = 1_000_000

_level = StockLevel.__table__
_hold = StockHold.__table__
# One hold row per (reference, variant), whatever its status.
_HOLD_ONCE = next(c for c in _hold.constraints if isinstance(c, UniqueConstraint)
                  and [col.name for col in c.columns] == ["reference", "variant_id"])
_HOLD_ONCE_SQLITE = "UNIQUE constraint failed: " + ", ".join(
    f"{_hold.name}.{col.name}" for col in _HOLD_ONCE.columns)


@dataclass(frozen=True)
class Levels:
    variant_id: int
    on_hand: int
    reserved: int
    committed: int

    @property
    def available(self):
        return max(self.on_hand - self.reserved - self.committed, 0)

    def as_dict(self):
        return {
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "committed": self.committed,
            "available": self.available,
        }


@dataclass(frozen=True)
class Shortage:
    variant_id: int
    requested: int
    available: int


class InventoryError(DomainError):
    status = 409


class UnknownVariant(InventoryError):
    status = 404
    code = "unknown_variant"

    def __init__(self, variant_id):
        super().__init__(f"Variant {variant_id} has no stock record.")
        self.variant_id = variant_id


class InvalidQuantity(InventoryError):
    status = 422
    code = "invalid_quantity"


class OutOfStock(InventoryError):
    """Some lines could not be held or taken; nothing was changed."""

    code = "out_of_stock"

    def __init__(self, shortages):
        self.shortages = list(shortages)
        parts = [
            f"variant {s.variant_id}: {s.requested} requested, {s.available} available"
            for s in self.shortages
        ]
        super().__init__("Not enough stock for " + "; ".join(parts) + ".")

    def to_dict(self):
        return super().to_dict() | {
            "shortages": [s.__dict__ for s in self.shortages],
        }


class WouldBreakStock(InventoryError):
    """A staff change would leave fewer units than are reserved or committed."""

    code = "would_break_stock"

    def __init__(self, levels, on_hand_after):
        self.levels = levels
        allocated = []
        if levels.committed:
            allocated.append(f"{_units(levels.committed)} committed to paid orders")
        if levels.reserved:
            allocated.append(f"{_units(levels.reserved)} held by open checkouts")
        why = (" and ".join(allocated) + " of " + _units(levels.on_hand) + " on hand"
               if allocated else f"only {_units(levels.on_hand)} on hand")
        super().__init__(
            f"Refused: on hand would become {on_hand_after}, but there are {why}. "
            f"On hand cannot go below {levels.reserved + levels.committed}."
        )

    def to_dict(self):
        return super().to_dict() | {"levels": self.levels.as_dict()}


class StaleCount(InventoryError):
    code = "stale_count"

    def __init__(self, variant_id, expected, actual):
        super().__init__(
            f"Stock changed while you were counting: you started from {expected} on hand, "
            f"it is now {actual}. Nothing was changed; count again from {actual}."
        )
        self.variant_id, self.expected, self.actual = variant_id, expected, actual


class IdempotencyConflict(InventoryError):
    status = 422
    code = "idempotency_key_reused"


class AlreadyHeld(InventoryError):
    """A reference already has a hold row on a variant (of any status); nothing was changed."""

    code = "already_held"

    def __init__(self, reference, variant_id):
        super().__init__(
            f"Variant {variant_id} was already held for {reference}; a reference can hold "
            f"each variant only once, even after that hold was released, confirmed or "
            f"expired. Nothing was changed; hold it under a new reference."
        )
        self.reference, self.variant_id = reference, variant_id

    def to_dict(self):
        return super().to_dict() | {"variant_id": self.variant_id}


def _units(n):
    return f"{n} unit" if n == 1 else f"{n} units"


def _quantity(value, *, allow_zero=False, allow_negative=False):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantity(f"Quantity must be a whole number, not {value!r}.")
    if abs(value) > MAX_UNITS:
        raise InvalidQuantity(f"Quantity must be at most {MAX_UNITS:,} units.")
    if value < 0 and not allow_negative or value == 0 and not allow_zero:
        raise InvalidQuantity(f"Quantity {value} is not allowed here.")
    return value


def _lines(lines):
    """Validate a {variant_id: quantity} mapping and return it sorted by variant id."""
    if not isinstance(lines, Mapping) or not lines:
        raise InvalidQuantity("Nothing to change.")
    return [(int(vid), _quantity(q)) for vid, q in sorted(lines.items())]


# -- the one primitive ------------------------------------------------------------
#
# Every checkout of a popular shoe queues on that variant's row lock, taken by
# the UPDATE and kept until COMMIT, so the primitive does as little as possible
# in between: on PostgreSQL the UPDATE and its ledger INSERT are one statement
# (a data-modifying CTE), leaving one round trip plus the COMMIT under the lock.
# The statements are built once with bind parameters and run on the session's
# connection, so each call only binds: on a two-core box the Python time per
# hold, not the lock, is what limits a hot variant.

_movement = StockMovement.__table__


def _guarded_update(extra_where=None):
    on_hand, reserved, committed = (bindparam(n, type_=Integer)
                                    for n in ("d_on_hand", "d_reserved", "d_committed"))
    stmt = (
        update(_level)
        .where(_level.c.variant_id == bindparam("b_variant_id", type_=Integer))
        .where(_level.c.reserved + reserved >= 0)
        .where(_level.c.committed + committed >= 0)
        .where(
            (_level.c.on_hand + on_hand) - (_level.c.reserved + reserved)
            - (_level.c.committed + committed)
            >= 0
        )
        .values(
            on_hand=_level.c.on_hand + on_hand,
            reserved=_level.c.reserved + reserved,
            committed=_level.c.committed + committed,
            changes=_level.c.changes + 1,
        )
        .returning(_level.c.variant_id, _level.c.on_hand, _level.c.reserved,
                   _level.c.committed)
    )
    return stmt if extra_where is None else stmt.where(extra_where)


_LEDGER_COLUMNS = ("reason", "actor", "reference", "note", "idempotency_key", "created_at")


def _record_from(moved):
    """INSERT of the ledger row for what the `moved` CTE (a guarded UPDATE) returned."""
    facts = [bindparam(f"b_{name}", type_=_movement.c[name].type) for name in _LEDGER_COLUMNS]
    return insert(_movement).from_select(
        ["variant_id", "on_hand_delta", "reserved_delta", "committed_delta",
         "on_hand_after", "reserved_after", "committed_after", *_LEDGER_COLUMNS],
        select(moved.c.variant_id,
               bindparam("d_on_hand", type_=Integer),
               bindparam("d_reserved", type_=Integer),
               bindparam("d_committed", type_=Integer),
               moved.c.on_hand, moved.c.reserved, moved.c.committed, *facts),
    )


_AFTER = (_movement.c.on_hand_after, _movement.c.reserved_after, _movement.c.committed_after)


def _update_and_record(extra_where=None):
    """One statement: the guarded UPDATE, then a ledger row from what it returned."""
    moved = _guarded_update(extra_where).cte("moved")
    return _record_from(moved).add_cte(moved).returning(*_AFTER)


def _reserve_and_record():
    """One statement for a hold line: the guarded UPDATE, its ledger row and the hold row.

    It also returns whether the variant has expired holds still counted, so the
    common case (none) needs no separate look-up.
    """
    moved = _guarded_update().cte("moved")
    created_at = bindparam("b_created_at", type_=_hold.c.created_at.type)
    held = insert(_hold).from_select(
        ["variant_id", "reference", "quantity", "status", "kind", "expires_at", "created_at"],
        select(moved.c.variant_id,
               bindparam("b_reference", type_=_hold.c.reference.type),
               bindparam("d_reserved", type_=Integer),
               literal("active", _hold.c.status.type),
               bindparam("b_kind", type_=_hold.c.kind.type),
               bindparam("b_expires_at", type_=_hold.c.expires_at.type),
               created_at),
    ).cte("held")
    expired = (select(_hold.c.id)
               .where(_hold.c.variant_id == bindparam("b_variant_id", type_=Integer),
                      _hold.c.status == "active", _hold.c.expires_at <= created_at)
               .exists())
    return (_record_from(moved).add_cte(moved, held)
            .returning(*_AFTER, expired.label("has_expired_holds")))


_UPDATE = _guarded_update()
_UPDATE_AND_RECORD = _update_and_record()
_RESERVE_AND_RECORD = _reserve_and_record()
_RECORD = insert(_movement)
_INSERT_HOLD = insert(_hold)


def _execute(statement, params):
    """Run a prebuilt Core statement on the session's connection, inside its transaction."""
    return db.session.connection().execute(statement, params)


# -- announcing changes -------------------------------------------------------------
#
# Packages above inventory (the page cache, back-in-stock notices) react to stock
# changes through signals (storefront/signals.py), delivered when the transaction
# commits; inventory imports none of them. The hot path pays one list append.

def _announce(levels, available_delta):
    """Send stock_changed for a changed variant, and became_available when its
    available units went from 0 to more than 0."""
    variant_ids = [levels.variant_id]
    send(stock_changed, variant_ids=variant_ids)
    if available_delta > 0:
        after = levels.on_hand - levels.reserved - levels.committed
        if after - available_delta <= 0 < after:
            send(became_available, variant_ids=variant_ids)
    return levels


def _apply(variant_id, reason, *, on_hand=0, reserved=0, committed=0, actor="system",
           reference=None, note="", idempotency_key=None, where=None):
    """Change the counters by the given deltas if the result keeps the promise.

    Returns the new Levels, or None when the guard refused (nothing changed).
    """
    facts = {"reason": reason, "actor": actor, "reference": reference, "note": note or "",
             "idempotency_key": idempotency_key, "created_at": utcnow()}
    params = {"b_variant_id": variant_id, "d_on_hand": on_hand, "d_reserved": reserved,
              "d_committed": committed, **{f"b_{k}": v for k, v in facts.items()}}
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = _UPDATE_AND_RECORD if where is None else _update_and_record(where)
        row = _execute(stmt, params).first()
        if row is None:
            return None
        return _announce(Levels(variant_id, row.on_hand_after, row.reserved_after,
                                row.committed_after), on_hand - reserved - committed)
    # SQLite cannot put an UPDATE in a CTE; BEGIN IMMEDIATE already serialises writers.
    stmt = _UPDATE if where is None else _guarded_update(where)
    row = _execute(stmt, params).first()
    if row is None:
        return None
    _execute(_RECORD, {
        "variant_id": variant_id, "on_hand_delta": on_hand, "reserved_delta": reserved,
        "committed_delta": committed, "on_hand_after": row.on_hand,
        "reserved_after": row.reserved, "committed_after": row.committed, **facts,
    })
    return _announce(Levels(variant_id, row.on_hand, row.reserved, row.committed),
                     on_hand - reserved - committed)


def _current(variant_id):
    row = db.session.execute(
        select(_level.c.on_hand, _level.c.reserved, _level.c.committed).where(
            _level.c.variant_id == variant_id
        )
    ).first()
    if row is None:
        raise UnknownVariant(variant_id)
    return Levels(variant_id, *row)


def _lock(variant_id):
    """Lock a variant's counters until commit (SQLite's BEGIN IMMEDIATE already has)."""
    row = db.session.execute(
        select(_level.c.variant_id).where(_level.c.variant_id == variant_id).with_for_update()
    ).first()
    if row is None:
        raise UnknownVariant(variant_id)


def _expire_holds(variant_id, now, *, sparing=None):
    """Release a locked variant's expired holds, except `sparing`'s; returns the units released."""
    stmt = (
        update(_hold)
        .where(_hold.c.variant_id == variant_id)
        .where(_hold.c.status == "active")
        .where(_hold.c.expires_at <= now)
        .values(status="expired", closed_at=now)
        .returning(_hold.c.reference, _hold.c.quantity, _hold.c.kind)
    )
    if sparing is not None:
        stmt = stmt.where(_hold.c.reference != sparing)
    rows = db.session.execute(stmt).all()
    for reference, quantity, kind in rows:
        if _apply(variant_id, _HOLD_REASONS[kind][1], reserved=-quantity,
                  reference=reference) is None:
            raise RuntimeError(f"reserved below an active hold on variant {variant_id}")
        if kind != "checkout":
            # Whoever asked for a long hold hears that it ended, in this transaction.
            send(holds_expired, kind=kind, variant_id=variant_id, reference=reference)
    return sum(q for _, q, _ in rows)


_EXPIRED_HOLD_VARIANTS = (
    select(_hold.c.variant_id)
    .where(_hold.c.variant_id.in_(bindparam("variant_ids", expanding=True)))
    .where(_hold.c.status == "active")
    .where(_hold.c.expires_at <= bindparam("now"))
    .distinct()
)


def _variants_with_expired_holds(variant_ids, now):
    return set(_execute(_EXPIRED_HOLD_VARIANTS,
                        {"variant_ids": list(variant_ids), "now": now}).scalars())


# -- reads -----------------------------------------------------------------------

def levels(variant_ids):
    """Current counters of the given variants, as {variant_id: Levels}."""
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(_level).where(_level.c.variant_id.in_(ids))).all()
    if stock_read.receivers:
        stock_read.send(None, versions={r.variant_id: r.changes for r in rows})
    return {r.variant_id: Levels(r.variant_id, r.on_hand, r.reserved, r.committed) for r in rows}


def get_levels(variant_id):
    """Current counters of one variant; raises UnknownVariant."""
    return _current(variant_id)


def history(variant_id, limit=200):
    """The newest ledger rows of a variant, newest first."""
    return db.session.scalars(
        select(StockMovement)
        .where(StockMovement.variant_id == variant_id)
        .order_by(StockMovement.id.desc())
        .limit(limit)
    ).all()


def active_holds(variant_id):
    return db.session.scalars(
        select(StockHold)
        .where(StockHold.variant_id == variant_id, StockHold.status == "active")
        .order_by(StockHold.expires_at)
    ).all()


# -- transitions -----------------------------------------------------------------

@transactional
def open_stock(variant_id, on_hand=0, *, actor="system", reference=None, note=""):
    """Create the counters of a new variant, with an opening ledger row when on_hand > 0."""
    _quantity(on_hand, allow_zero=True)
    db.session.execute(_level.insert().values(variant_id=variant_id, on_hand=0,
                                              reserved=0, committed=0))
    if on_hand:
        _apply(variant_id, "opening", on_hand=on_hand, actor=actor, reference=reference,
               note=note)
    return Levels(variant_id, on_hand, 0, 0)


def _reserve(variant_id, quantity, reference, expires_at, actor, now, kind="checkout"):
    """Hold one line if there is stock: counters, ledger row and hold row.

    Returns (Levels or None when refused, whether expired holds still count on it).
    Raises AlreadyHeld, after rolling the whole transaction back, when `reference`
    already has a hold row on the variant.
    """
    reason = _HOLD_REASONS[kind][0]
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            row = _execute(_RESERVE_AND_RECORD, {
                "b_variant_id": variant_id, "d_on_hand": 0, "d_reserved": quantity,
                "d_committed": 0, "b_reason": reason, "b_actor": actor,
                "b_reference": reference, "b_note": "", "b_idempotency_key": None,
                "b_created_at": now, "b_expires_at": expires_at, "b_kind": kind,
            }).first()
            if row is None:
                return None, False
            return _announce(Levels(variant_id, *row[:3]), -quantity), row.has_expired_holds
        levels = _apply(variant_id, reason, reserved=quantity, actor=actor,
                        reference=reference)
        if levels is None:
            return None, False
        has_expired = bool(_variants_with_expired_holds([variant_id], now))
        _execute(_INSERT_HOLD, {"variant_id": variant_id, "reference": reference,
                                "quantity": quantity, "status": "active", "kind": kind,
                                "expires_at": expires_at, "created_at": now})
        return levels, has_expired
    except IntegrityError as error:
        if not _breaks_hold_once(error):
            raise
        # The unique index, not a look-up first, finds the repeat, so a hold pays
        # nothing for it. PostgreSQL has aborted the transaction and SQLite kept this
        # line's counter and ledger changes (and earlier lines'): only a rollback of
        # the whole transaction, a caller's it joined included, leaves nothing changed
        # and the session usable.
        db.session.rollback()
        raise AlreadyHeld(reference, variant_id) from error


def _breaks_hold_once(error):
    """Whether an IntegrityError is a second hold row for one (reference, variant)."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None:  # psycopg names the violated constraint
        return diag.constraint_name == _HOLD_ONCE.name
    return str(error.orig) == _HOLD_ONCE_SQLITE


@transactional
def hold(reference, lines, expires_at, *, actor="system", kind="checkout"):
    """Reserve units for `reference` until `expires_at`: every line or none.

    `kind` is "checkout" (an open checkout) or "exchange" (a return's replacement).

    Raises OutOfStock listing each short line with what is available, and
    AlreadyHeld when `reference` has held one of the variants before (the
    transaction, a caller's it joined included, is then rolled back).
    """
    if kind not in HOLD_KINDS:
        raise InvalidQuantity(f"Unknown kind of hold {kind!r}.")
    lines = _lines(lines)
    now = utcnow()
    for index, (variant_id, quantity) in enumerate(lines):
        levels, has_expired = _reserve(variant_id, quantity, reference, expires_at, actor, now,
                                       kind)
        if levels is None and _variants_with_expired_holds([variant_id], now):
            # Units of expired holds are free again: release them, then try once more.
            _lock(variant_id)
            _expire_holds(variant_id, now)
            levels, has_expired = _reserve(variant_id, quantity, reference, expires_at,
                                           actor, now, kind)
        if has_expired:
            # The UPDATE above holds the row lock; expired holds go before it is let go.
            _expire_holds(variant_id, now, sparing=reference)
        if levels is None:
            shortages = [Shortage(variant_id, quantity, _current(variant_id).available)]
            for other_id, other_q in lines[index + 1:]:
                available = _current(other_id).available
                if available < other_q:
                    shortages.append(Shortage(other_id, other_q, available))
            raise OutOfStock(shortages)
    return True


def _close_holds(reference, variant_id, status, now):
    """Close the active hold of `reference` on a locked variant; returns its quantity or 0."""
    row = db.session.execute(
        update(_hold)
        .where(_hold.c.reference == reference, _hold.c.variant_id == variant_id,
               _hold.c.status == "active")
        .values(status=status, closed_at=now)
        .returning(_hold.c.quantity)
    ).first()
    return row.quantity if row else 0


def _held_variants(reference):
    return sorted(db.session.scalars(
        select(_hold.c.variant_id).where(_hold.c.reference == reference,
                                         _hold.c.status == "active")
    ))


@transactional
def release(reference, *, reason="hold_released", actor="system", note=""):
    """Give back every active hold of `reference`; returns the units released per variant."""
    now = utcnow()
    released = {}
    for variant_id in _held_variants(reference):
        _lock(variant_id)
        quantity = _close_holds(reference, variant_id, "released", now)
        if quantity:
            _apply(variant_id, reason, reserved=-quantity, actor=actor,
                   reference=reference, note=note)
            released[variant_id] = quantity
    return released


@transactional
def extend_hold(reference, lines, expires_at, *, actor="system", note=""):
    """Keep `reference`'s units held until `expires_at` (a payment that takes days).

    A line whose hold has already been released is held again if the units are
    still available. Returns the lines it could not hold, as {variant_id: quantity}.
    """
    now = utcnow()
    short = {}
    for variant_id, quantity in _lines(lines):
        _lock(variant_id)
        kept = db.session.execute(
            update(_hold).where(_hold.c.reference == reference,
                                _hold.c.variant_id == variant_id, _hold.c.status == "active")
            .values(expires_at=expires_at).returning(_hold.c.quantity)).first()
        if kept:
            continue
        _expire_holds(variant_id, now)
        if _apply(variant_id, "hold", reserved=quantity, actor=actor, reference=reference,
                  note=note) is None:
            short[variant_id] = quantity
            continue
        # The hold row of this reference exists (one per variant, whatever its status).
        reopened = db.session.execute(
            update(_hold).where(_hold.c.reference == reference,
                                _hold.c.variant_id == variant_id)
            .values(status="active", quantity=quantity, expires_at=expires_at, closed_at=None)
            .returning(_hold.c.id)).first()
        if reopened is None:
            _execute(_INSERT_HOLD, {"variant_id": variant_id, "reference": reference,
                                    "quantity": quantity, "status": "active",
                                    "expires_at": expires_at, "created_at": now})
    return short


@transactional
def confirm(reference, lines, *, actor="system", reason="payment_confirmed"):
    """Payment arrived: move held units to committed; lines whose hold is gone take fresh stock.

    All lines or none: raises OutOfStock (nothing changed) when a line whose
    hold was released can no longer be covered. `reason` names the move in the
    ledger ("exchange_committed" for a return's replacement).
    """
    lines = _lines(lines)
    now = utcnow()
    shortages = []
    for variant_id, quantity in lines:
        _lock(variant_id)
        held = _close_holds(reference, variant_id, "converted", now)
        if held:
            _apply(variant_id, reason, reserved=-held, committed=held,
                   actor=actor, reference=reference)
        missing = quantity - held
        if missing > 0:
            _expire_holds(variant_id, now)
            if _apply(variant_id, "payment_after_expiry", committed=missing, actor=actor,
                      reference=reference) is None:
                shortages.append(Shortage(variant_id, missing, _current(variant_id).available))
    if shortages:
        raise OutOfStock(shortages)
    return True


@transactional
def ship(reference, lines, *, actor="system", note=""):
    """Units of a paid order leave the warehouse: committed and on hand both go down."""
    for variant_id, quantity in _lines(lines):
        if _apply(variant_id, "shipped", on_hand=-quantity, committed=-quantity,
                  actor=actor, reference=reference, note=note) is None:
            raise InvalidQuantity(
                f"Variant {variant_id} has fewer than {quantity} committed units to ship."
            )
    return True


@transactional
def cancel_committed(reference, lines, *, actor="system", note="", reason="order_cancelled"):
    """A paid, unshipped order is cancelled: its committed units become available again.

    `reason` is "order_cancelled", or "exchange_cancelled" for a return's replacement.
    """
    if reason not in ("order_cancelled", "exchange_cancelled"):
        raise InvalidQuantity(f"Committed units cannot be given back for {reason!r}.")
    for variant_id, quantity in _lines(lines):
        if _apply(variant_id, reason, committed=-quantity, actor=actor,
                  reference=reference, note=note) is None:
            raise InvalidQuantity(
                f"Variant {variant_id} has fewer than {quantity} committed units to restock."
            )
    return True


@dataclass(frozen=True)
class Adjustment:
    levels: Levels
    replayed: bool = False


def _check_reason(reason, delta):
    if reason not in STAFF_REASONS:
        raise InvalidQuantity(
            f"Unknown reason {reason!r}; use one of: {', '.join(STAFF_REASONS)}."
        )
    if reason in _POSITIVE_REASONS and delta < 0 or reason in _NEGATIVE_REASONS and delta > 0:
        direction = "add" if reason in _POSITIVE_REASONS else "remove"
        raise InvalidQuantity(f"A '{reason}' change must {direction} units.")


def _replay(idempotency_key, variant_id, delta, reason):
    previous = db.session.scalars(
        select(StockMovement).where(StockMovement.idempotency_key == idempotency_key)
    ).first()
    if previous is None:
        return None
    if (previous.variant_id, previous.on_hand_delta, previous.reason) != (
        variant_id, delta, reason,
    ):
        raise IdempotencyConflict(
            "This Idempotency-Key was already used for a different change."
        )
    return Adjustment(_current(variant_id), replayed=True)


@transactional
def _adjust(variant_id, delta, reason, actor, note, idempotency_key, reference=None):
    if idempotency_key and (done := _replay(idempotency_key, variant_id, delta, reason)):
        return done
    _expire_holds_if_any(variant_id)
    result = _apply(variant_id, reason, on_hand=delta, actor=actor, note=note,
                    idempotency_key=idempotency_key, reference=reference)
    if result is None:
        current = _current(variant_id)
        raise WouldBreakStock(current, current.on_hand + delta)
    return Adjustment(result)


def adjust(variant_id, delta, reason, *, actor, note="", idempotency_key=None, reference=None):
    """Staff change of on hand by `delta` for `reason`; a repeated idempotency key is a no-op.

    Raises InvalidQuantity, WouldBreakStock (nothing changed), IdempotencyConflict.
    """
    _quantity(delta, allow_negative=True)
    _check_reason(reason, delta)
    try:
        return _adjust(variant_id, delta, reason, actor, note, idempotency_key, reference)
    except IntegrityError:
        # A concurrent request with the same key won the race and has committed.
        if not idempotency_key:
            raise
        return transactional(_replay)(idempotency_key, variant_id, delta, reason)


def _expire_holds_if_any(variant_id):
    now = utcnow()
    if _variants_with_expired_holds([variant_id], now):
        _lock(variant_id)
        _expire_holds(variant_id, now)


@transactional
def count(variant_id, counted, expected, *, actor, note="", reference=None, reason="count"):
    """Set on hand to a counted value, only if it still equals `expected` (compare-and-swap).

    `reason` is "count", or "import" for a stock file (with the batch as `reference`).
    Raises StaleCount or WouldBreakStock; nothing changes in either case.
    """
    if reason not in ("count", "import"):
        raise InvalidQuantity(f"A count cannot have the reason {reason!r}.")
    _quantity(counted, allow_zero=True)
    _quantity(expected, allow_zero=True)
    _expire_holds_if_any(variant_id)
    result = _apply(variant_id, reason, on_hand=counted - expected, actor=actor, note=note,
                    reference=reference, where=_level.c.on_hand == expected)
    if result is None:
        current = _current(variant_id)
        if current.on_hand != expected:
            raise StaleCount(variant_id, expected, current.on_hand)
        raise WouldBreakStock(current, counted)
    return result


@dataclass(frozen=True)
class Released:
    variant_id: int
    units: int


@transactional
def release_expired(now=None):
    """Release every hold past its expiry; returns what was released per variant."""
    now = now or utcnow()
    variant_ids = sorted(db.session.scalars(
        select(_hold.c.variant_id)
        .where(_hold.c.status == "active", _hold.c.expires_at <= now)
        .distinct()
    ))
    released = []
    for variant_id in variant_ids:
        _lock(variant_id)
        units = _expire_holds(variant_id, now)
        if units:
            released.append(Released(variant_id, units))
    return released


@dataclass(frozen=True)
class Drift:
    variant_id: int
    counters: Levels
    ledger: Levels


def reconcile():
    """Replay the ledger; returns every variant whose counters differ from its ledger sums."""
    sums = {
        row.variant_id: Levels(row.variant_id, row.on_hand, row.reserved, row.committed)
        for row in db.session.execute(
            select(
                StockMovement.variant_id,
                func.sum(StockMovement.on_hand_delta).label("on_hand"),
                func.sum(StockMovement.reserved_delta).label("reserved"),
                func.sum(StockMovement.committed_delta).label("committed"),
            ).group_by(StockMovement.variant_id)
        )
    }
    drift = []
    for row in db.session.execute(select(_level).order_by(_level.c.variant_id)):
        counters = Levels(row.variant_id, row.on_hand, row.reserved, row.committed)
        ledger = sums.get(row.variant_id, Levels(row.variant_id, 0, 0, 0))
        if (counters.on_hand, counters.reserved, counters.committed) != (
            ledger.on_hand, ledger.reserved, ledger.committed,
        ):
            drift.append(Drift(row.variant_id, counters, ledger))
    return drift


def in_stock_variant_ids():
    """A subquery of variant ids with at least one available unit, for catalogue filters."""
    if stock_read.receivers:
        stock_read.send(None, versions=None)  # what it selects depends on every variant
    return select(_level.c.variant_id).where(
        _level.c.on_hand - _level.c.reserved - _level.c.committed > 0
    )
