"""The cart: a {line key: quantity} mapping kept in the signed session cookie.

A line key is a variant id, or for a mismatched pair (a different size or width
for each foot) the tuple (left variant id, right variant id); the session
stores the tuple as "left:right".

Nothing about the cart is stored on the server. Every function here takes the
mapping and returns a new one, so the views own the session and the rules
(whole quantities, the per-line cap, never more than is available, published
variants only) live in one place. Prices and stock are read from the database
each time the cart is shown, never remembered.
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field

from flask import current_app

from .. import money
from ..catalogue import service as catalogue
from ..exceptions import DomainError
from ..inputs import parse_id, parse_int
from ..inventory import service as inventory
from . import discounts, taxes
from . import shipping as shipping_rates

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


class PricesChanged(CartError):
    """Prices in the cart changed since the shopper last saw them; nothing was ordered."""

    status = 409
    code = "prices_changed"

    def __init__(self, changes, describe):
        super().__init__(
            " ".join(describe(change) for change in changes)
            + " Your cart shows the new prices; check out again to pay them.")
        self.changes = changes

    def to_dict(self):
        return super().to_dict() | {"lines": [
            {"variant_id": c.line.variant_id, "was": c.was, "now": c.now}
            for c in self.changes]}


@dataclass(frozen=True)
class PriceChange:
    """A line whose unit price is not the one the shopper was shown."""

    line: object
    was: int
    now: int


@dataclass
class CartLine:
    """One line as the shopper sees it, priced and checked against live stock.

    A mismatched pair has a `right_variant`; `available` is then the pairs that
    can be made from both variants.
    """

    variant_id: int
    quantity: int
    variant: object | None
    available: int
    right_variant_id: int | None = None
    right_variant: object | None = None

    @property
    def is_pair(self):
        return self.right_variant_id is not None

    @property
    def key(self):
        return (self.variant_id, self.right_variant_id) if self.is_pair else self.variant_id

    @property
    def form_id(self):
        if self.is_pair:
            return f"{self.variant_id}-{self.right_variant_id}"
        return str(self.variant_id)

    @property
    def orderable(self):
        return self.variant is not None and (not self.is_pair or self.right_variant is not None)

    @property
    def unit_price(self):
        if not self.orderable:
            return 0
        if self.is_pair:  # a mismatched pair costs what the dearer of its two shoes costs
            return max(self.variant.price_cents, self.right_variant.price_cents)
        return self.variant.price_cents

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def problem(self):
        """Why this line blocks checkout: unavailable, sold_out, short, or None."""
        if not self.orderable:
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
        if self.is_pair:
            data["right_variant_id"] = self.right_variant_id
            if self.right_variant is not None:
                data |= {"right_sku": self.right_variant.sku,
                         "right_size": self.right_variant.size.label,
                         "right_width": self.right_variant.width.code}
        return data

    @property
    def label(self):
        """The option as the shopper chose it; a pair names each foot."""
        if not self.orderable:
            return ""
        if self.is_pair:
            left, right = self.variant, self.right_variant
            return (f"Left size {left.size.label} {left.width.label}, right size "
                    f"{right.size.label} {right.width.label}, {left.colour.name}")
        return self.variant.label


@dataclass
class CartView:
    lines: list
    currency: str
    # The code the shopper entered, priced against these lines (None without one), or
    # why it does not apply now (the cart changed, the code expired...).
    discount: discounts.AppliedDiscount | None = None
    discount_problem: str = ""
    # Where it goes and how: the rates serving that country and the one chosen (None when
    # the shop has no rates, so shipping is free), or why the choice stands no more.
    shipping_country: str = ""
    shipping_options: list = dataclass_field(default_factory=list)
    shipping: shipping_rates.ShippingQuote | None = None
    shipping_problem: str = ""
    # Sales tax (TAX_MODE=rates) for the delivery's country and region, None without a rate.
    shipping_region: str = ""
    asks_region: bool = False
    tax: taxes.TaxQuote | None = None
    # TAX_MODE=stripe with Stripe as the gateway: Stripe Tax adds the tax on its page.
    tax_at_payment: bool = False

    @property
    def subtotal(self):
        return sum(line.line_total for line in self.lines if line.orderable)

    @property
    def discount_amount(self):
        return self.discount.amount if self.discount else 0

    @property
    def shipping_countries(self):
        return shipping_rates.countries()

    @property
    def goods_total(self):
        """What the goods cost after the discount; free-shipping thresholds compare it."""
        return self.subtotal - self.discount_amount

    @property
    def shipping_amount(self):
        return self.shipping.amount if self.shipping else 0

    @property
    def tax_amount(self):
        """What the tax adds to the total (nothing when prices include it)."""
        return self.tax.added if self.tax else 0

    @property
    def total(self):
        return self.goods_total + self.shipping_amount + self.tax_amount

    def charged_line_amounts(self):
        """What each orderable line costs after its discount."""
        return [line.line_total - self.line_discount(line)
                for line in self.lines if line.orderable]

    def line_discount(self, line):
        return self.discount.per_line.get(line.key, 0) if self.discount else 0

    def priced_lines(self):
        """(key, product id, line total) of the orderable lines, for pricing a code."""
        return [(line.key, line.variant.product_id, line.line_total)
                for line in self.lines if line.orderable]

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
            "discount": self.discount.as_dict() if self.discount else None,
            "shipping": (self.shipping.as_dict() | {"country": self.shipping_country}
                         if self.shipping else None),
            "tax": self.tax.as_dict() if self.tax else None,
            "total": self.total,
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
    for raw_key, value in raw.items():
        parts = [parse_id(part) for part in str(raw_key).split(":")]
        if None in parts or len(parts) > 2:
            continue
        # A "pair" of one option on both feet is an ordinary line of one unit per pair.
        key = parts[0] if len(parts) == 1 or parts[0] == parts[1] else tuple(parts)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= cap:
            cart[key] = min(cart.get(key, 0) + value, cap)
        if len(cart) >= MAX_LINES:
            break
    return cart


def dump(cart):
    """The cart as the session stores it (JSON object keys are strings)."""
    return {_key_text(key): quantity for key, quantity in sorted(cart.items(), key=_key_order)}


def _key_text(key):
    return f"{key[0]}:{key[1]}" if isinstance(key, tuple) else str(key)


def _key_order(item):
    key = item[0]
    return key if isinstance(key, tuple) else (key, 0)


def _variant_ids(cart):
    ids = set()
    for key in cart:
        ids.update(key if isinstance(key, tuple) else (key,))
    return ids


def item_count(cart):
    return sum(cart.values())


def parse_variant_id(raw):
    """A variant id from form or JSON input; raises UnknownCartVariant."""
    variant_id = parse_id(raw)
    if variant_id is None:
        raise UnknownCartVariant("Choose a size, width and colour first: that item was not found.")
    return variant_id


def parse_quantity(raw, *, allow_zero=False):
    """A whole number from 1 (or 0, for updates) to the line cap; raises InvalidCartQuantity."""
    cap = line_cap()
    lowest = 0 if allow_zero else 1
    quantity = parse_int(raw, minimum=lowest, maximum=cap)
    if quantity is None:
        raise InvalidCartQuantity(f"Quantity must be a whole number from {lowest} to {cap}.")
    return quantity


def view(cart, code=None, country=None, rate_id=None, region=None):
    """Price the cart from the database and check each line against live stock; with a
    discount `code`, price that too (a code that does not apply is said, not applied);
    then shipping to `country` by rate `rate_id` (default: the cheapest serving it), and
    the sales tax for that country and `region`."""
    variants = catalogue.variants_by_id(_variant_ids(cart))
    stock = inventory.levels(variants)

    def units(variant_id):
        return stock[variant_id].available if variant_id in variants and variant_id in stock else 0

    lines = []
    for key, quantity in cart.items():
        if isinstance(key, tuple):
            left, right = key
            available = (units(left) // 2 if left == right
                         else min(units(left), units(right)))
            lines.append(CartLine(left, quantity, variants.get(left), available,
                                  right, variants.get(right)))
            continue
        lines.append(CartLine(key, quantity, variants.get(key), units(key)))
    lines.sort(key=lambda line: (line.title, line.variant_id))
    shown = CartView(lines, current_app.config["SHOP_CURRENCY"])
    if code and shown.priced_lines():
        try:
            shown.discount = discounts.check(code, shown.priced_lines(), shown.subtotal,
                                             shown.currency)
        except discounts.DiscountRefused as refused:
            shown.discount_problem = refused.message
    _price_shipping(shown, country, rate_id)
    _price_tax(shown, region)
    return shown


def _price_tax(shown, region):
    if current_app.config.get("TAX_MODE", "rates") == "stripe":
        # The demo payment page (no Stripe key) works out no tax.
        shown.tax_at_payment = bool(current_app.config.get("STRIPE_SECRET_KEY"))
        return
    if current_app.config.get("TAX_MODE", "rates") != "rates":
        return
    shown.asks_region = taxes.has_regions(shown.shipping_country)
    shown.shipping_region = taxes.normalise_region(region) if shown.asks_region else ""
    rate = taxes.rate_for(shown.shipping_country, shown.shipping_region)
    if shown.lines:
        shown.tax = taxes.compute(rate, shown.charged_line_amounts(), shown.shipping_amount,
                                  shown.currency,
                                  included=current_app.config["PRICES_INCLUDE_TAX"])


def _price_shipping(shown, country, rate_id):
    served = shipping_rates.countries()
    shown.shipping_country = country if country in served else shipping_rates.default_country()
    shown.shipping_options = shipping_rates.options(shown.shipping_country, shown.goods_total)
    try:
        shown.shipping = shipping_rates.choose(shown.shipping_country, rate_id,
                                               shown.goods_total)
    except shipping_rates.ShippingRefused as refused:  # the rate was withdrawn meanwhile
        shown.shipping_problem = refused.message
        shown.shipping = shipping_rates.choose(shown.shipping_country, None, shown.goods_total)


def choose_shipping(cart, code, country, rate_id, previous_country):
    """Check a delivery choice against the cart; returns (country, rate id, message).

    A new country gets its cheapest rate; a rate that does not serve the country chosen
    is refused. Raises ShippingRefused naming the field; nothing is kept then."""
    country = str(country or "").strip().upper()
    shown = view(cart, code)
    if country != previous_country:
        rate_id = None
    if country not in shipping_rates.countries():
        raise shipping_rates.ShippingRefused(
            f"We do not ship to {shipping_rates.country_name(country) or 'that country'} "
            "yet. Choose one of the countries listed.", "country")
    quote = shipping_rates.choose(country, rate_id, shown.goods_total)
    if quote is None:
        return country, None, (f"Delivery to {shipping_rates.country_name(country)}: "
                               "shipping is free.")
    price = ("free" if quote.amount == 0
             else money.format_money(quote.amount, shown.currency))
    return (country, quote.rate_id,
            f"Delivery to {shipping_rates.country_name(country)}: {quote.name}, {price}.")


def apply_code(cart, code):
    """Check a code against the cart; returns (the code as stored, message).

    Raises DiscountRefused saying why it cannot be used; nothing is kept then."""
    shown = view(cart)
    if not shown.priced_lines():
        raise discounts.DiscountRefused("Add something to your cart before entering a code.")
    applied = discounts.check(code, shown.priced_lines(), shown.subtotal, shown.currency)
    saving = money.format_money(applied.amount, shown.currency)
    return applied.code, f"Code {applied.code} applied: you save {saving}."


# -- prices the shopper was shown -------------------------------------------------
#
# The session keeps, beside the cart, each line's unit price when it was added (or last
# checked out); the cart page sends the prices it showed with the checkout form. A
# price that differs from what the shopper saw is announced before they pay.

def load_seen_prices(raw):
    """{line key text: cents} from the session; anything malformed is dropped."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in list(raw.items())[:MAX_LINES]
            if isinstance(v, int) and not isinstance(v, bool) and v >= 0}


def remember_prices(cart_view, seen, *, now_seen=False):
    """The seen prices for the lines of `cart_view`: lines already known keep theirs
    unless `now_seen` (the shopper has just been shown and accepted today's prices)."""
    current = {_key_text(line.key): line.unit_price
               for line in cart_view.lines if line.orderable}
    if now_seen:
        return current
    return {key: seen.get(key, price) for key, price in current.items()}


def shown_prices_text(cart_view):
    """The prices a page shows, as the checkout form carries them: "12=9900;3:4=12900"."""
    return ";".join(f"{_key_text(line.key)}={line.unit_price}"
                    for line in cart_view.lines if line.orderable)


def parse_shown_prices(raw):
    """{line key text: cents} from a checkout form's `prices`; malformed parts dropped."""
    shown = {}
    for part in str(raw or "").split(";")[:MAX_LINES]:
        key, _, cents = part.rpartition("=")
        price = parse_int(cents, minimum=0)
        if key and price is not None:
            shown[key.strip()] = price
    return shown


def price_changes(cart_view, told):
    """The lines whose unit price is not the one in `told` ({key text: cents})."""
    changes = []
    for line in cart_view.lines:
        was = told.get(_key_text(line.key))
        if line.orderable and was is not None and was != line.unit_price:
            changes.append(PriceChange(line, was, line.unit_price))
    return changes


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


class PairNotAllowed(CartError):
    code = "mismatched_pair_refused"


def parse_right_variant_id(raw):
    """The right foot's variant id of a mismatched pair, or None for an ordinary line."""
    if raw is None or str(raw).strip() == "":
        return None
    return parse_variant_id(raw)


def _pair_name(left, right):
    return (f"{left.product.title} (left size {left.size.label} {left.width.label}, "
            f"right size {right.size.label} {right.width.label}, {left.colour.name})")


def _sellable_pair(left_id, right_id):
    """Both published variants of one product that sells mismatched pairs, in one colour,
    and how many pairs their stock makes; raises UnknownCartVariant or PairNotAllowed."""
    variants = catalogue.variants_by_id({left_id, right_id})
    left, right = variants.get(left_id), variants.get(right_id)
    if left is None or right is None:
        raise UnknownCartVariant("That item is not for sale. It may have been withdrawn.")
    if left.product_id != right.product_id or not left.product.allows_mismatched:
        raise PairNotAllowed(
            f"{left.product.title} cannot be bought with a different size for each foot.")
    if left.colour_id != right.colour_id:
        raise PairNotAllowed("Both shoes of a pair must be the same colour.")
    stock = inventory.levels({left_id, right_id})

    def units(vid):
        return stock[vid].available if vid in stock else 0

    pairs = units(left_id) // 2 if left_id == right_id else min(units(left_id), units(right_id))
    return left, right, pairs


def _check_pair_stock(left, right, quantity, pairs, already=0):
    if pairs <= 0:
        short = [v for v in (left, right)
                 if (inventory.levels([v.id]).get(v.id) or inventory.Levels(v.id, 0, 0, 0)
                     ).available <= 0] or [left]
        foot = " and ".join(
            ("left" if v is left else "right") + f" size {v.size.label} {v.width.label}"
            for v in short)
        raise NotEnoughStock(f"{left.product.title}: the {foot} is sold out, so that pair "
                             f"cannot be made. Nothing was added.", 0)
    if quantity > pairs:
        have = f" You already have {already} in your cart." if already else ""
        raise NotEnoughStock(f"Only {pairs} of {_pair_name(left, right)} can be made from "
                             f"stock, so you cannot have {quantity}.{have}", pairs)


def add_pair(cart, left_id, right_id, quantity):
    """Add `quantity` mismatched pairs as one line; returns (new cart, message).

    Raises CartError (nothing changed) when the product does not allow it,
    the colours differ, or either side is short. The same option for both feet is
    no mismatched pair: it is added as an ordinary line, one unit per pair.
    """
    if left_id == right_id:
        return add(cart, left_id, quantity)
    left, right, pairs = _sellable_pair(left_id, right_id)
    key = (left_id, right_id)
    already = cart.get(key, 0)
    wanted = already + quantity
    cap = line_cap()
    if wanted > cap:
        raise InvalidCartQuantity(f"You can have at most {cap} of one item in your cart; "
                                  f"you already have {already} of {_pair_name(left, right)}.")
    if key not in cart and len(cart) >= MAX_LINES:
        raise CartFull(f"Your cart holds at most {MAX_LINES} different items.")
    _check_pair_stock(left, right, wanted, pairs, already)
    noun = "pair" if quantity == 1 else "pairs"
    message = f"Added {quantity} {noun} of {_pair_name(left, right)} to your cart."
    return dict(cart) | {key: wanted}, message


def update(cart, variant_id, quantity, right_variant_id=None):
    """Set a line's quantity (0 removes it); returns (new cart, message). Raises CartError."""
    if right_variant_id is not None and right_variant_id != variant_id:
        return _update_pair(cart, (variant_id, right_variant_id), quantity)
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


def _update_pair(cart, key, quantity):
    if key not in cart:
        raise NotInCart("That item is not in your cart any more.")
    if quantity == 0:
        return ({k: v for k, v in cart.items() if k != key},
                "Removed the pair from your cart.")
    left, right, pairs = _sellable_pair(*key)
    _check_pair_stock(left, right, quantity, pairs)
    return dict(cart) | {key: quantity}, f"{_pair_name(left, right)}: quantity is now {quantity}."


def product_link_args(variant_id):
    """url_for arguments for the product page with this variant chosen, or None."""
    variant = catalogue.variants_by_id([variant_id]).get(variant_id)
    if variant is None:
        return None
    return {"slug": variant.product.slug, "size": variant.size.label,
            "width": variant.width.code, "colour": variant.colour.slug}
