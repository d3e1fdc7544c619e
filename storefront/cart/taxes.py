"""Sales tax from the staff's rate table (TAX_MODE=rates): which rate applies to a
delivery, the tax on a cart line by line, and the table itself.

Prices are shown without tax and the tax is added to the total, or (PRICES_INCLUDE_TAX)
prices include it and the tax is the part of them it accounts for. Each line's tax is
worked out on what the line costs after its discount and rounded once, in the
currency's chargeable unit; shipping is taxed when the rate says so.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from .. import money
from ..database import transactional
from ..exceptions import InvalidFields
from ..extensions import db
from .models import TaxRate
from .shipping import country_name, is_country

_PERCENT = re.compile(r"^([0-9]{1,3})(?:\.([0-9]{1,2}))?$")


class InvalidTaxRate(InvalidFields):
    code = "invalid_tax_rate"


@dataclass(frozen=True)
class TaxQuote:
    """The tax on a delivery: its label, the whole amount, and its parts (one per line, in
    the lines' order, then shipping's), which add up to the amount."""

    label: str
    amount: int
    lines: tuple = ()
    shipping: int = 0
    # Inside the prices (PRICES_INCLUDE_TAX): shown as "includes", not added to the total.
    included: bool = False

    @property
    def added(self):
        """What the tax adds to the total: all of it, or nothing when prices include it."""
        return 0 if self.included else self.amount

    def as_dict(self):
        return {"label": self.label, "amount": self.amount, "included": self.included}


def normalise_region(raw):
    return str(raw or "").strip().upper()[:120]


def rate_for(country, region=""):
    """The rate for a delivery: the region's own, else the whole country's, else None."""
    if not country:
        return None
    rates = {r.region: r for r in db.session.scalars(
        select(TaxRate).where(TaxRate.country == country.upper()))}
    return rates.get(normalise_region(region)) or rates.get("")


def has_regions(country):
    """Whether some region of `country` has a rate of its own (so the cart asks for it)."""
    return bool(country) and db.session.scalar(
        select(TaxRate.id).where(TaxRate.country == country.upper(), TaxRate.region != "")
        .limit(1)) is not None


def compute(rate, line_amounts, shipping_cents, currency, included=False):
    """The tax under `rate` on lines costing `line_amounts` (after discounts) and on
    shipping; None without a rate. With `included`, the amounts hold the tax already: each
    one's tax is worked out backwards (amount × rate / (1 + rate)), rounded once."""
    if rate is None:
        return None
    points = rate.basis_points

    def tax(amount):
        if included:
            return money.round_to_step(Decimal(amount) * points / (10_000 + points), currency)
        return money.round_to_step(Decimal(amount) * points / 10_000, currency)

    lines = tuple(tax(amount) for amount in line_amounts)
    shipping = tax(shipping_cents) if rate.taxes_shipping and shipping_cents else 0
    return TaxQuote(rate.label, sum(lines) + shipping, lines, shipping, included)


# -- staff -----------------------------------------------------------------------------

def all_rates():
    return db.session.scalars(select(TaxRate).order_by(TaxRate.country, TaxRate.region)).all()


def get_rate(rate_id):
    return db.session.get(TaxRate, rate_id)


def parse_percent(text):
    """Basis points from "8.25" or "20"; None when it is not a percentage from 0 to 100."""
    match = _PERCENT.match(str(text or "").strip().rstrip("%").strip())
    if not match:
        return None
    points = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    return points if points <= 10_000 else None


@transactional
def save_rate(rate_id, *, country, region, percent, name, taxes_shipping):
    """Create (rate_id None) or change a tax rate; returns it. Raises InvalidTaxRate."""
    errors = {}
    country = str(country or "").strip().upper()
    if not is_country(country):
        errors["country"] = "Use a two-letter ISO country code, e.g. US or CA."
    region = normalise_region(region)
    points = parse_percent(percent)
    if points is None:
        errors["percent"] = "Give the rate as a percentage from 0 to 100, e.g. 8.25."
    name = str(name or "").strip() or "Sales tax"
    if len(name) > 80:
        errors["name"] = "Keep the name to 80 characters."
    rate = get_rate(rate_id) if rate_id else TaxRate()
    if rate is None:
        raise InvalidTaxRate("That tax rate no longer exists.", {})
    same = db.session.scalars(select(TaxRate).where(TaxRate.country == country,
                                                    TaxRate.region == region)).first()
    if same is not None and same.id != rate.id:
        where = f"{region}, {country_name(country)}" if region else country_name(country)
        errors["region"] = f"There is already a rate for {where}."
    if errors:
        raise InvalidTaxRate("The rate was not saved: please fix the fields marked below.",
                             errors)
    rate.country, rate.region, rate.basis_points = country, region, points
    rate.name, rate.taxes_shipping = name, bool(taxes_shipping)
    db.session.add(rate)
    db.session.flush()
    return rate


def describe(rate):
    where = f"{rate.region}, {country_name(rate.country)}" if rate.region else country_name(
        rate.country)
    shipping = ", shipping taxed" if rate.taxes_shipping else ""
    return f"{rate.label} for {where}{shipping}"
