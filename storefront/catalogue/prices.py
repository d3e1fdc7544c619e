"""Prices typed by staff, read into integer minor units of the shop's currency."""

import re

from ..exceptions import DomainError

# ISO 4217 minor units where they are not 2 (the common case).
MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
# No shoe costs this much: a figure above it is a typo (an extra zero, cents typed as units).
MAX_PRICE_MAJOR = 10_000
_AMOUNT = re.compile(r"^([0-9]{1,9})(?:\.([0-9]+))?$")


class InvalidPrice(DomainError):
    status = 422
    code = "invalid_price"


def minor_units(currency):
    """How many decimal places the currency's prices have."""
    return MINOR_UNITS.get(currency.upper(), 2)


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
    if cents > MAX_PRICE_MAJOR * 10**digits:
        raise InvalidPrice(f"That is more than {MAX_PRICE_MAJOR:,} {currency}: check the figure.")
    return cents


def format_amount(cents, currency):
    """Minor units as the plain number a staff form shows, e.g. 11900 -> "119.00"."""
    if cents is None:
        return ""
    digits = minor_units(currency)
    if digits == 0:
        return str(cents)
    return f"{cents // 10**digits}.{cents % 10**digits:0{digits}d}"
