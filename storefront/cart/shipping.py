"""Shipping rates: which ones serve a country, what each costs for a cart, the shopper's
choice checked against both, and the staff's table of rates.

With no active rate the shop ships free to DEFAULT_COUNTRIES, as it always has.
"""

from dataclasses import dataclass

from babel import Locale
from sqlalchemy import select

from .. import money
from ..catalogue.prices import InvalidPrice, parse_price
from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inputs import parse_id
from .models import ShippingRate

# Where parcels go when staff have set up no rates.
DEFAULT_COUNTRIES = ("US", "CA")
# CLDR names a few regions that are not countries anyone ships to.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}
_NAMES = Locale("en").territories

# How the address form names the region and the postcode, per country.
ADDRESS_LABELS = {
    "US": ("State", "ZIP code"),
    "CA": ("Province", "Postal code"),
    "GB": ("County (optional)", "Postcode"),
    "IE": ("County", "Eircode"),
    "AU": ("State or territory", "Postcode"),
    "NZ": ("Region (optional)", "Postcode"),
    "DE": ("State (optional)", "Postleitzahl (postcode)"),
    "FR": ("Region (optional)", "Code postal (postcode)"),
    "JP": ("Prefecture", "Postal code"),
    "IN": ("State", "PIN code"),
}
DEFAULT_LABELS = ("State, province or region", "Postal code")


class ShippingRefused(DomainError):
    """The chosen country or rate cannot be used; the cart and order are unchanged."""

    status = 422
    code = "shipping_refused"

    def __init__(self, message, field="shipping_rate"):
        super().__init__(message)
        self.field = field

    def to_dict(self):
        return super().to_dict() | {"field": self.field}


class InvalidRate(InvalidFields):
    code = "invalid_shipping_rate"


@dataclass(frozen=True)
class ShippingQuote:
    """One rate priced for a cart."""

    rate_id: int | None
    name: str
    amount: int
    estimate: str = ""

    def as_dict(self):
        return {"rate_id": self.rate_id, "name": self.name, "amount": self.amount,
                "estimate": self.estimate}


def is_country(code):
    return (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()
            and code in _NAMES and code not in _NOT_COUNTRIES)


def country_name(code):
    return _NAMES.get(code, code) if is_country(code) else code


def address_labels(country):
    """(region label, postcode label) for the address form of `country`."""
    return ADDRESS_LABELS.get(country, DEFAULT_LABELS)


def active_rates():
    return db.session.scalars(select(ShippingRate).where(ShippingRate.active.is_(True))
                              .order_by(ShippingRate.price_cents, ShippingRate.id)).all()


def countries():
    """The countries the shop ships to, by name: every active rate's, or the defaults."""
    rates = active_rates()
    if not rates:
        return list(DEFAULT_COUNTRIES)
    served = {code for rate in rates for code in rate.country_codes}
    return sorted(served, key=country_name)


def options(country, goods_cents):
    """The active rates serving `country`, priced for goods worth `goods_cents`, cheapest
    first (the first is the one preselected)."""
    quotes = [ShippingQuote(r.id, r.name, r.price_for(goods_cents), r.estimate)
              for r in active_rates() if r.serves(country)]
    return sorted(quotes, key=lambda q: (q.amount, q.name))


def default_country():
    served = countries()
    return "US" if "US" in served else served[0]


def choose(country, rate_id, goods_cents):
    """The quote for the shopper's choice; None when the shop has no rates (free shipping).

    Raises ShippingRefused for a country no rate serves (field `country`), or a rate that
    is unknown, inactive or does not serve that country (field `shipping_rate`).
    """
    if not active_rates():
        return None
    country = str(country or "").strip().upper()
    if country not in countries():
        raise ShippingRefused(f"We do not ship to {country_name(country) or 'that country'} "
                              "yet. Choose one of the countries listed.", "country")
    offered = options(country, goods_cents)
    if rate_id is None or str(rate_id).strip() == "":
        return offered[0]
    wanted = parse_id(rate_id)
    for quote in offered:
        if quote.rate_id == wanted:
            return quote
    raise ShippingRefused(f"That delivery option is not available to "
                          f"{country_name(country)}. Choose one of the options listed.")


# -- staff -----------------------------------------------------------------------------

def all_rates():
    return db.session.scalars(select(ShippingRate).order_by(ShippingRate.active.desc(),
                                                            ShippingRate.price_cents,
                                                            ShippingRate.id)).all()


def get_rate(rate_id):
    return db.session.get(ShippingRate, rate_id)


def _amount(text, currency, errors, name, label, required):
    if not str(text or "").strip():
        if required:
            errors[name] = f"{label} is required (0 for free)."
        return None
    try:
        return parse_price(text, currency)
    except InvalidPrice as error:
        errors[name] = f"{label}: {error.message}"
        return None


@transactional
def save_rate(rate_id, *, name, price, free_at, countries_text, estimate, active, currency):
    """Create (rate_id None) or change a shipping rate; returns it. Raises InvalidRate."""
    errors = {}
    name = str(name or "").strip()
    if not name or len(name) > 80:
        errors["name"] = "Give the rate a name of at most 80 characters, e.g. Standard."
    price_cents = _amount(price, currency, errors, "price", "Price", True)
    free_at_cents = _amount(free_at, currency, errors, "free_at", "Free at or above", False)
    codes = sorted({part.upper() for part in str(countries_text or "").replace(",", " ").split()})
    unknown = [code for code in codes if not is_country(code)]
    if not codes:
        errors["countries"] = "List at least one country code, e.g. US CA."
    elif unknown:
        errors["countries"] = (f"Not country codes: {', '.join(unknown)}. Use two-letter "
                               "ISO codes such as US, CA, GB.")
    estimate = str(estimate or "").strip()
    if len(estimate) > 80:
        errors["estimate"] = "Keep the delivery estimate to 80 characters."
    rate = get_rate(rate_id) if rate_id else ShippingRate()
    if rate is None:
        raise InvalidRate("That shipping rate no longer exists.", {})
    if errors:
        raise InvalidRate("The rate was not saved: please fix the fields marked below.", errors)
    rate.name, rate.price_cents, rate.free_at_cents = name, price_cents, free_at_cents
    rate.countries, rate.estimate, rate.active = " ".join(codes), estimate, bool(active)
    db.session.add(rate)
    db.session.flush()
    return rate


def describe(rate, currency):
    """A rate in words for staff: "Standard, $8.00 (free from $100.00), US CA"."""
    free = (f" (free from {money.format_money(rate.free_at_cents, currency)})"
            if rate.free_at_cents is not None else "")
    return (f"{rate.name}, {money.format_money(rate.price_cents, currency)}{free}, "
            f"to {' '.join(rate.country_codes)}")
