"""Discount codes: checking one against a cart, pricing it per line, taking and giving
back a use, and the staff's list of codes.

Amounts are computed here from the database, never from the request: each line's
saving is rounded once, in the currency's chargeable unit, and never exceeds the
line. A code's usage limit is kept like stock: one conditional UPDATE takes a use
inside the checkout transaction, and an unpaid order gives it back.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import money
from ..catalogue.models import Product
from ..catalogue.prices import InvalidPrice, parse_price
from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inputs import parse_int
from ..models import utcnow
from .models import DISCOUNT_KINDS, Discount, DiscountRedemption

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")


class DiscountRefused(DomainError):
    """The code cannot be used on this cart (now); the cart and order are unchanged."""

    status = 422
    code = "discount_refused"
    field = "code"

    def to_dict(self):
        return super().to_dict() | {"field": self.field}


class InvalidDiscount(InvalidFields):
    """A staff edit of a code that was refused; `errors` names each bad field."""

    code = "invalid_discount"


@dataclass(frozen=True)
class AppliedDiscount:
    """A code priced against a cart: the saving and each line's share of it."""

    discount_id: int
    code: str
    amount: int
    per_line: dict = field(default_factory=dict)  # line key -> minor units

    def as_dict(self):
        return {"code": self.code, "amount": self.amount}


def normalise_code(raw):
    """The code as stored (upper case, no surrounding spaces)."""
    return str(raw or "").strip().upper()


def find(code):
    """The discount with this code in any case, or None."""
    code = normalise_code(code)
    if not code or len(code) > 40:
        return None
    return db.session.scalars(select(Discount).where(Discount.code == code)).first()


def _refuse_if_unusable(discount, code, now):
    if discount is None or not discount.active:
        raise DiscountRefused(f"We do not know the code {code}. Check its spelling.")
    if discount.starts_at and now < discount.starts_at:
        raise DiscountRefused(f"The code {discount.code} is valid from "
                              f"{discount.starts_at:%d %B %Y, %H:%M} UTC.")
    if discount.ends_at and now >= discount.ends_at:
        raise DiscountRefused(f"The code {discount.code} expired on "
                              f"{discount.ends_at:%d %B %Y}.")
    if discount.uses_left == 0:
        raise DiscountRefused(f"The code {discount.code} has been used up.")


def _split(amount, shares, currency):
    """Split `amount` over lines in proportion to `shares` (line key -> line total),
    each part rounded down once to a chargeable amount; the last line takes the rest."""
    total = sum(shares.values())
    parts, left = {}, amount
    keys = list(shares)
    for key in keys[:-1]:
        part = money.round_to_step(Decimal(amount) * shares[key] / total, currency,
                                   ROUND_DOWN)
        parts[key] = part
        left -= part
    parts[keys[-1]] = left
    return parts


def price(discount, lines, subtotal, currency):
    """Each eligible line's saving under `discount`, as an AppliedDiscount.

    `lines` are (key, product_id, line_total) of the orderable lines. Raises
    DiscountRefused below the minimum subtotal or when no line is eligible.
    """
    if discount.min_subtotal_cents and subtotal < discount.min_subtotal_cents:
        minimum = money.format_money(discount.min_subtotal_cents, currency)
        raise DiscountRefused(f"The code {discount.code} needs a subtotal of at least "
                              f"{minimum}; add items or remove the code.")
    products = {p.id for p in discount.products}
    eligible = {key: total for key, product_id, total in lines
                if total > 0 and (not products or product_id in products)}
    if not eligible:
        raise DiscountRefused(f"The code {discount.code} does not apply to any item in "
                              "your cart.")
    if discount.kind == "percent":
        per_line = {key: money.round_to_step(Decimal(total) * discount.value / 100, currency)
                    for key, total in eligible.items()}
    else:
        per_line = _split(min(discount.value, sum(eligible.values())), eligible, currency)
    per_line = {key: min(max(cents, 0), eligible[key]) for key, cents in per_line.items()}
    return AppliedDiscount(discount.id, discount.code, sum(per_line.values()), per_line)


def check(code, lines, subtotal, currency, now=None):
    """The code priced against a cart's lines; raises DiscountRefused saying why not."""
    shown = normalise_code(code)
    if not shown:
        raise DiscountRefused("Enter a discount code.")
    if len(shown) > 40:
        raise DiscountRefused("That is longer than any of our codes. Check it and try again.")
    discount = find(shown)
    _refuse_if_unusable(discount, shown, now or utcnow())
    return price(discount, lines, subtotal, currency)


def redeem(applied, order_id, email):
    """Take one use of the code for `order_id`, inside the caller's (checkout) transaction.

    Raises DiscountRefused, taking nothing, when the last use went to someone else a
    moment ago or this e-mail address has already used a once-per-address code.
    """
    discount = db.session.get(Discount, applied.discount_id)
    if discount.once_per_email:
        if not email:
            raise DiscountRefused(f"The code {discount.code} is one use per e-mail address: "
                                  "enter your e-mail address to use it.")
        used = db.session.scalar(select(func.count()).select_from(DiscountRedemption).where(
            DiscountRedemption.discount_id == discount.id,
            DiscountRedemption.email == email.lower(),
            DiscountRedemption.released_at.is_(None)))
        if used:
            raise DiscountRefused(f"The code {discount.code} has already been used with "
                                  f"{email}.")
    taken = db.session.execute(
        update(Discount)
        .where(Discount.id == discount.id,
               (Discount.usage_limit.is_(None)) | (Discount.times_used < Discount.usage_limit))
        .values(times_used=Discount.times_used + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise DiscountRefused(f"Sorry, the last use of the code {discount.code} has just "
                              "gone. Nothing was charged; remove the code to check out "
                              "without it.")
    try:
        with db.session.begin_nested():
            db.session.add(DiscountRedemption(
                discount_id=discount.id, order_id=order_id, amount_cents=applied.amount,
                email=email.lower() if email and discount.once_per_email else None))
    except IntegrityError as error:  # the same address, at the same moment, elsewhere
        raise DiscountRefused(f"The code {discount.code} has already been used with "
                              f"{email}.") from error


def give_back(order_id):
    """Return the code use an unpaid order took (its hold was released); idempotent.

    Runs inside the caller's transaction. Returns the code given back, or None.
    """
    redemption = db.session.scalars(
        select(DiscountRedemption).where(DiscountRedemption.order_id == order_id,
                                         DiscountRedemption.released_at.is_(None))
        .with_for_update()).first()
    if redemption is None:
        return None
    redemption.released_at = utcnow()
    db.session.execute(
        update(Discount).where(Discount.id == redemption.discount_id, Discount.times_used > 0)
        .values(times_used=Discount.times_used - 1)
        .execution_options(synchronize_session=False))
    return redemption.discount.code


def retake(order_id):
    """A payment arrived after the order closed and gave its use back: take it again.

    Runs inside the payment's transaction. Returns the code when a use was left (or none
    had been given back: None), or raises CodeOverLimit when the last use had gone
    meanwhile; the shopper paid the discounted price, so the order keeps it.
    """
    redemption = db.session.scalars(
        select(DiscountRedemption).where(DiscountRedemption.order_id == order_id,
                                         DiscountRedemption.released_at.is_not(None))
        .with_for_update()).first()
    if redemption is None:
        return None
    discount = redemption.discount
    if redemption.email is not None and db.session.scalar(
            select(DiscountRedemption.id).where(
                DiscountRedemption.discount_id == discount.id,
                DiscountRedemption.email == redemption.email,
                DiscountRedemption.released_at.is_(None)).limit(1)) is not None:
        # The address used its one use on a later order meanwhile.
        raise CodeOverLimit(discount.code, discount.usage_limit, email=redemption.email)
    taken = db.session.execute(
        update(Discount)
        .where(Discount.id == discount.id,
               (Discount.usage_limit.is_(None)) | (Discount.times_used < Discount.usage_limit))
        .values(times_used=Discount.times_used + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise CodeOverLimit(discount.code, discount.usage_limit)
    redemption.released_at = None
    return discount.code


class CodeOverLimit(DomainError):
    """A late payment used a code whose uses had all gone meanwhile."""

    code = "discount_over_limit"

    def __init__(self, discount_code, limit, email=None):
        if email is not None:
            super().__init__(f"Paid after the order had closed, with code {discount_code}, "
                             f"which {email} used on another order meanwhile: the shopper "
                             "paid the discounted price twice for a code of one use per "
                             "address.")
        else:
            super().__init__(f"Paid after the order had closed, with code {discount_code}, "
                             f"whose {limit} use(s) had all gone meanwhile: the shopper paid "
                             "the discounted price, one use more than the limit.")


# -- staff -----------------------------------------------------------------------------

@dataclass
class DiscountInput:
    """A code as staff typed it, still text where it came from a form."""

    code: str
    kind: str
    value: str
    min_subtotal: str = ""
    product_ids: list = field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    once_per_email: bool = False
    active: bool = True


def all_discounts():
    """Every code, newest first."""
    return db.session.scalars(select(Discount).order_by(Discount.created_at.desc(),
                                                        Discount.id.desc())).all()


def product_choices():
    """(id, title) of every product, for choosing the ones a code applies to."""
    return [(p.id, p.title) for p in db.session.scalars(select(Product).order_by(Product.title))]


def get_discount(discount_id):
    """A discount by id, or None."""
    return db.session.get(Discount, discount_id)


def _amount(text, currency, errors, name, label):
    try:
        return parse_price(text, currency)
    except InvalidPrice as error:
        errors[name] = f"{label}: {error.message}"
        return None


@transactional
def save_discount(discount_id, data, currency):
    """Create (discount_id None) or change a code; returns it. Raises InvalidDiscount."""
    errors = {}
    code = normalise_code(data.code)
    if not CODE_PATTERN.match(code):
        errors["code"] = ("Use 3 to 40 letters, digits, hyphens or underscores, starting "
                          "with a letter or digit.")
    if data.kind not in DISCOUNT_KINDS:
        errors["kind"] = "Choose a percentage or a fixed amount."
    value = None
    if data.kind == "percent":
        value = parse_int(data.value, minimum=1, maximum=100)
        if value is None:
            errors["value"] = "A percentage is a whole number from 1 to 100."
    elif data.kind == "fixed":
        value = _amount(data.value, currency, errors, "value", "Amount off")
        if value == 0:
            errors["value"] = "Amount off must be more than zero."
    minimum = None
    if str(data.min_subtotal or "").strip():
        minimum = _amount(data.min_subtotal, currency, errors, "min_subtotal",
                          "Minimum subtotal")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = "The end must come after the start."
    products = []
    if data.product_ids:
        products = db.session.scalars(select(Product).where(
            Product.id.in_(data.product_ids))).all()
        if len(products) != len(set(data.product_ids)):
            errors["product_ids"] = "Some of the chosen products no longer exist."
    discount = get_discount(discount_id) if discount_id else Discount(times_used=0)
    if discount is None:
        raise InvalidDiscount("That code no longer exists.", {})
    other = find(code)
    if other is not None and other.id != discount.id:
        errors["code"] = f"There is already a code {code}."
    if (data.usage_limit is not None and discount.times_used
            and data.usage_limit < discount.times_used):
        errors["usage_limit"] = (f"It has been used {discount.times_used} time(s) already; "
                                 "the limit cannot be lower.")
    if errors:
        raise InvalidDiscount("The code was not saved: please fix the fields marked below.",
                              errors)
    discount.code, discount.kind, discount.value = code, data.kind, value
    discount.min_subtotal_cents = minimum
    discount.starts_at, discount.ends_at = data.starts_at, data.ends_at
    discount.usage_limit = data.usage_limit
    discount.once_per_email, discount.active = data.once_per_email, data.active
    discount.products = list(products)
    db.session.add(discount)
    db.session.flush()
    return discount


def describe(discount, currency):
    """What a code takes off, in words: "15% off" or "$20.00 off"."""
    if discount.kind == "percent":
        return f"{discount.value}% off"
    return f"{money.format_money(discount.value, currency)} off"
