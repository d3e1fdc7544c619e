"""Prices typed by staff, read into integer minor units of the shop's currency."""

import re

from .. import money
from ..exceptions import DomainError

# No shoe costs this much: a figure above it is a typo (an extra zero, cents typed as units).
MAX_PRICE_MAJOR = 10_000
_AMOUNT = re.compile(r"^([0-9]{1,9})(?:\.([0-9]+))?$")


class InvalidPrice(DomainError):
    status = 422
    code = "invalid_price"


def minor_units(currency):
    """How many decimal places the currency's prices have."""
    return money.exponent(currency.upper())


def parse_price(text, currency):
    """Integer minor units from a price typed as "119", "119.5" or "119.50".

    Raises InvalidPrice for text that is not a price, a negative one, one with more decimal
    places than the currency has, or one above MAX_PRICE_MAJOR.
    """
    value = (text or "").strip().replace(" ", "")
    digits = minor_units(currency)
    if value.startswith("-"):
        raise InvalidPrice("A price cannot be negative.")
    match = _AMOUNT.match(value)
    if not match:
        example = "119" if digits == 0 else "119." + "0" * digits
        raise InvalidPrice(f"Enter a price as a number, like {example}.")
    units, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        raise InvalidPrice(
            f"{currency} prices have no decimal places." if digits == 0 else
            f"{currency} prices have at most {digits} decimal places.")
    cents = int(units) * 10**digits + int((fraction or "0").ljust(digits, "0")[:digits] or 0)
    unit = money.step(currency.upper())
    if cents % unit:
        smallest = money.plain(unit, currency.upper())
        raise InvalidPrice(f"{currency} prices must be a whole multiple of {smallest}: "
                           "card payments cannot charge a smaller part.")
    if cents > MAX_PRICE_MAJOR * 10**digits:
        raise InvalidPrice(f"That is more than {MAX_PRICE_MAJOR:,} {currency}: check the figure.")
    return cents


def format_amount(cents, currency):
    """Minor units as the plain number a staff form shows, e.g. 11900 -> "119.00"."""
    return money.plain(cents, currency)
