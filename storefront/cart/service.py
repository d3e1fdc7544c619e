"""The cart: a {variant_id: quantity} mapping kept in the signed session cookie.

Nothing about the cart is stored on the server. Every function here takes the
mapping and returns a new one, so the views own the session and the rules
(whole quantities, the per-line cap, never more than is available, published
variants only) live in one place. Prices and stock are read from the database
each time the cart is shown, never remembered.
"""

from dataclasses import dataclass

from flask import current_app

from ..catalogue import service as catalogue
from ..exceptions import DomainError
from ..inventory import service as inventory

# A signed cookie holds about 4 KB; this many lines fit with room to spare.
MAX_LINES = 30


class CartError(DomainError):
    """A cart change that was refused; the cart is unchanged."""

    status = 422
    code = "cart_refused"


class InvalidCartQuantity(CartError):
    code = "invalid_quantity"


class UnknownCartVariant(CartError):
    status = 404
    code = "unknown_variant"


class NotEnoughStock(CartError):
    status = 409
    code = "not_enough_stock"

    def __init__(self, message, available):
        super().__init__(message)
        self.available = available

    def to_dict(self):
        return super().to_dict() | {"available": self.available}


class NotInCart(CartError):
    status = 404
    code = "not_in_cart"


class CartFull(CartError):
    status = 409
    code = "cart_full"


@dataclass
class CartLine:
    """One line as the shopper sees it, priced and checked against live stock."""

    variant_id: int
    quantity: int
    variant: object | None
    available: int

    @property
    def orderable(self):
        return self.variant is not None

    @property
    def unit_price(self):
        return self.variant.price_cents if self.variant else 0

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def problem(self):
        """Why this line blocks checkout: unavailable, sold_out, short, or None."""
        if self.variant is None:
            return "unavailable"
        if self.available <= 0:
            return "sold_out"
        if self.quantity > self.available:
            return "short"
        return None

    @property
    def problem_text(self):
        return {
            "unavailable": "No longer sold. Remove it to check out.",
            "sold_out": "Sold out since you added it. Remove it to check out.",
            "short": f"Only {self.available} left. Lower the quantity to check out.",
        }.get(self.problem, "")

    @property
    def title(self):
        return self.variant.product.title if self.variant else "An item no longer sold"

    def as_dict(self):
        data = {
            "variant_id": self.variant_id,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "line_total": self.line_total,
            "title": self.title,
            "available": max(self.available, 0),
            "problem": self.problem,
        }
        if self.variant is not None:
            data |= {
                "sku": self.variant.sku,
                "size": self.variant.size.label,
                "width": self.variant.width.code,
                "colour": self.variant.colour.name,
            }
        return data


@dataclass
class CartView:
    lines: list
    currency: str

    @property
    def subtotal(self):
        return sum(line.line_total for line in self.lines if line.orderable)

    @property
    def item_count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self):
        return [line for line in self.lines if line.problem]

    @property
    def can_checkout(self):
        return bool(self.lines) and not self.problems

    def as_dict(self):
        return {
            "lines": [line.as_dict() for line in self.lines],
            "subtotal": self.subtotal,
            "currency": self.currency,
            "item_count": self.item_count,
            "can_checkout": self.can_checkout,
        }


def line_cap():
    return current_app.config["CART_LINE_CAP"]


def load(raw):
    """The cart mapping from whatever the session holds; anything malformed is dropped."""
    cart = {}
    if not isinstance(raw, dict):
        return cart
    cap = line_cap()
    for key, value in raw.items():
        try:
            variant_id = int(key)
        except (TypeError, ValueError):
            continue
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= cap:
            cart[variant_id] = value
        if len(cart) >= MAX_LINES:
            break
    return cart


def dump(cart):
    """The cart as the session stores it (JSON object keys are strings)."""
    return {str(variant_id): quantity for variant_id, quantity in sorted(cart.items())}


def item_count(cart):
    return sum(cart.values())


def parse_variant_id(raw):
    """A variant id from form or JSON input; raises UnknownCartVariant."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isdigit() or len(text) > 12:
        raise UnknownCartVariant("Choose a size, width and colour first: that item was not found.")
    return int(text)


def parse_quantity(raw, *, allow_zero=False):
    """A whole number from 1 (or 0, for updates) to the line cap; raises InvalidCartQuantity."""
    cap = line_cap()
    lowest = 0 if allow_zero else 1
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int):
        quantity = raw
    else:
        text = str(raw).strip() if raw is not None else ""
        if not text.lstrip("-").isdigit() or len(text) > 6:
            raise InvalidCartQuantity(
                f"Quantity must be a whole number from {lowest} to {cap}."
            )
        quantity = int(text)
    if not lowest <= quantity <= cap:
        raise InvalidCartQuantity(f"Quantity must be a whole number from {lowest} to {cap}.")
    return quantity


def view(cart):
    """Price the cart from the database and check each line against live stock."""
    variants = catalogue.variants_by_id(cart)
    stock = inventory.levels(variants)
    lines = []
    for variant_id, quantity in cart.items():
        variant = variants.get(variant_id)
        available = stock[variant_id].available if variant and variant_id in stock else 0
        lines.append(CartLine(variant_id, quantity, variant, available))
    lines.sort(key=lambda line: (line.title, line.variant_id))
    return CartView(lines, current_app.config["SHOP_CURRENCY"])


def _describe(variant):
    return f"{variant.product.title} ({variant.label})"


def _sellable(variant_id):
    """The published variant and its available units; raises UnknownCartVariant."""
    variant = catalogue.variants_by_id([variant_id]).get(variant_id)
    if variant is None:
        raise UnknownCartVariant("That item is not for sale. It may have been withdrawn.")
    levels = inventory.levels([variant_id]).get(variant_id)
    return variant, levels.available if levels else 0


def _check_stock(variant, quantity, available, already=0):
    if available <= 0:
        raise NotEnoughStock(f"{_describe(variant)} is sold out.", 0)
    if quantity > available:
        have = f" You already have {already} in your cart." if already else ""
        raise NotEnoughStock(
            f"Only {available} of {_describe(variant)} left, so you cannot have {quantity}.{have}",
            available,
        )


def add(cart, variant_id, quantity):
    """Add units of a published variant; returns (new cart, message). Raises CartError."""
    variant, available = _sellable(variant_id)
    already = cart.get(variant_id, 0)
    wanted = already + quantity
    cap = line_cap()
    if wanted > cap:
        raise InvalidCartQuantity(
            f"You can have at most {cap} of one item in your cart; "
            f"you already have {already} of {_describe(variant)}."
        )
    if variant_id not in cart and len(cart) >= MAX_LINES:
        raise CartFull(f"Your cart holds at most {MAX_LINES} different items.")
    _check_stock(variant, wanted, available, already)
    updated = dict(cart) | {variant_id: wanted}
    noun = "pair" if quantity == 1 else "pairs"
    return updated, f"Added {quantity} {noun} of {_describe(variant)} to your cart."


def update(cart, variant_id, quantity):
    """Set a line's quantity (0 removes it); returns (new cart, message). Raises CartError."""
    if variant_id not in cart:
        raise NotInCart("That item is not in your cart any more.")
    if quantity == 0:
        variant = catalogue.variants_by_id([variant_id]).get(variant_id)
        name = _describe(variant) if variant else "The item that is no longer sold"
        updated = {k: v for k, v in cart.items() if k != variant_id}
        return updated, f"Removed {name} from your cart."
    variant, available = _sellable(variant_id)
    _check_stock(variant, quantity, available)
    updated = dict(cart) | {variant_id: quantity}
    return updated, f"{_describe(variant)}: quantity is now {quantity}."


def product_link_args(variant_id):
    """url_for arguments for the product page with this variant chosen, or None."""
    variant = catalogue.variants_by_id([variant_id]).get(variant_id)
    if variant is None:
        return None
    return {"slug": variant.product.slug, "size": variant.size.label,
            "width": variant.width.code, "colour": variant.colour.slug}
