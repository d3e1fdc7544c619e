"""Currencies: each one's minor units, amounts for people and amounts for Stripe.

The shop keeps every amount as an integer in the currency's minor unit as ISO 4217
(through Babel's CLDR data) defines it: cents for USD, whole yen for JPY, fils
(thousandths) for KWD. Stripe counts some currencies differently; the conversion
lives here and nowhere else.
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision, is_currency

from .exceptions import DomainError

# Stripe charges these in whole units (https://docs.stripe.com/currencies#zero-decimal).
STRIPE_ZERO_DECIMAL = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
    "VUV", "XAF", "XOF", "XPF",
})
# Stripe takes these as two-decimal amounts but charges only whole units (the decimals
# must be 00).
STRIPE_WHOLE_UNITS_AS_TWO_DECIMALS = frozenset({"ISK", "HUF", "TWD"})
DEFAULT_LOCALE = "en_US"


class UnknownCurrency(DomainError):
    status = 500
    code = "unknown_currency"


def known(currency):
    """Whether `currency` is an ISO 4217 code the currency data knows."""
    return bool(currency) and currency == str(currency).upper() and is_currency(str(currency))


def _code(currency):
    code = str(currency or "").upper()
    if not known(code):
        raise UnknownCurrency(f"{currency!r} is not a currency code this shop knows "
                              "(use an ISO 4217 code such as USD, EUR, JPY or KWD).")
    return code


def exponent(currency):
    """Decimal places of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD.

    Raises UnknownCurrency."""
    return get_currency_precision(_code(currency))


def _stripe_exponent(code):
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_WHOLE_UNITS_AS_TWO_DECIMALS:
        return 2
    return get_currency_precision(code)


def step(currency):
    """The smallest amount, in the shop's minor units, that can be charged.

    1 for most currencies; 10 for three-decimal ones (Stripe's amounts for them end
    in 0); 10**exponent where Stripe charges only whole units of a decimal currency.
    """
    code = _code(currency)
    shop = get_currency_precision(code)
    if code in STRIPE_WHOLE_UNITS_AS_TWO_DECIMALS:
        return 10 ** shop
    if shop == 3:
        return 10
    return 10 ** max(shop - _stripe_exponent(code), 0)


def round_to_step(minor, currency, rounding=ROUND_HALF_UP):
    """`minor` (int or Decimal) rounded once to a chargeable whole number of minor units."""
    unit = step(currency)
    return int((Decimal(minor) / unit).quantize(Decimal(1), rounding=rounding)) * unit


def to_major(minor, currency):
    """Minor units as a Decimal in whole units: 8000 JPY -> 8000, 1250 KWD -> 1.250."""
    places = exponent(currency)
    return Decimal(int(minor)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def plain(minor, currency):
    """The amount as a plain number with the currency's decimals, for forms and exports."""
    if minor is None:
        return ""
    return str(to_major(minor, currency))


def format_money(minor, currency, locale=DEFAULT_LOCALE):
    """The amount for people in `locale`, e.g. $129.00, ¥8,000, KWD 1.250."""
    code = _code(currency)
    text = format_currency(to_major(minor, code), code, locale=locale)
    # CLDR glues a letter code to the number ("KWD1.250"); a space reads better.
    if text.startswith(code) or text.startswith("-" + code):
        text = text.replace(code, code + "\u00a0", 1)
    return text


def to_stripe(minor, currency):
    """Shop minor units as the integer Stripe expects for `currency`.

    Raises UnknownCurrency, or ValueError for an amount Stripe cannot charge (not a
    multiple of step()); the checkout never produces one.
    """
    code = _code(currency)
    minor = int(minor)
    if minor % step(code):
        raise ValueError(f"{minor} is not a chargeable amount of {code}.")
    shift = _stripe_exponent(code) - get_currency_precision(code)
    return minor * 10 ** shift if shift >= 0 else minor // 10 ** -shift


def from_stripe(amount, currency):
    """An integer amount as Stripe reports it, in shop minor units (None stays None)."""
    if amount is None:
        return None
    code = _code(currency)
    shift = _stripe_exponent(code) - get_currency_precision(code)
    return int(amount) // 10 ** shift if shift >= 0 else int(amount) * 10 ** -shift
