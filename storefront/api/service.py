"""JSON API use cases: stock levels by SKU and staff adjustments, checked and typed."""

from dataclasses import dataclass

from ..exceptions import DomainError
from ..inputs import parse_int
from ..inventory import service as inventory
from ..staff import warehouse

MAX_NOTE = 500
MAX_KEY = 120


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


@dataclass(frozen=True)
class AdjustmentRequest:
    delta: int
    reason: str
    note: str


def parse_adjustment(body):
    """Check a JSON adjustment body; returns an AdjustmentRequest or raises InvalidInput."""
    if not isinstance(body, dict):
        raise InvalidInput('Send a JSON object like {"delta": 12, "reason": "received"}.')
    unknown = sorted(set(body) - {"delta", "reason", "note"})
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(unknown)}.")
    # JSON numbers only (not "12" as text); 2.0 is the integer 2, as in JSON Schema.
    delta = (parse_int(body.get("delta")) if isinstance(body.get("delta"), int | float)
             else None)
    if delta is None:
        raise InvalidInput("delta must be a whole number of units, e.g. 12 or -3.")
    if delta == 0:
        raise InvalidInput("delta must not be 0: a change needs units.")
    if abs(delta) > inventory.MAX_UNITS:
        raise InvalidInput(f"delta must be between -{inventory.MAX_UNITS:,} and "
                           f"{inventory.MAX_UNITS:,}.")
    reason = body.get("reason")
    if not isinstance(reason, str) or reason not in inventory.STAFF_REASONS:
        raise InvalidInput(f"reason must be one of: {', '.join(inventory.STAFF_REASONS)}.")
    note = body.get("note", "")
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidInput(f"note must be text of at most {MAX_NOTE} characters.")
    return AdjustmentRequest(delta, reason, note)


def check_idempotency_key(key):
    """The header value, or None when absent; raises InvalidInput for an unusable key."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters.")
    return key


def stock(sku):
    """The counters of the variant with this SKU; raises UnknownSku."""
    variant = warehouse.variant_by_sku(sku)
    return {"sku": variant.sku, **inventory.get_levels(variant.id).as_dict()}


def adjust(sku, change, *, user, idempotency_key=None):
    """Apply an adjustment for `user`; returns (levels dict, replayed).

    A repeated Idempotency-Key from the same account returns the first result
    without changing stock again. Raises UnknownSku, InvalidQuantity,
    WouldBreakStock, IdempotencyConflict.
    """
    variant = warehouse.variant_by_sku(sku)
    # Keys are scoped to the account, so two integrations cannot collide.
    scoped = f"api:{user.id}:{idempotency_key}" if idempotency_key else None
    result = inventory.adjust(variant.id, change.delta, change.reason,
                              actor=f"{user.email} (API)", note=change.note,
                              idempotency_key=scoped)
    return {"sku": variant.sku, **result.levels.as_dict()}, result.replayed
