"""Placing orders: the checkout starts, the cart's stock is held for a pending
order, its payment page opens; an unpaid order is closed and its hold released.

Calls to the payment gateway happen outside the database transactions, so a
slow or failing gateway never holds row locks and never leaves half a change.
"""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ... import signals
from ...articles.models import Article
from ...cart import discounts, taxes
from ...cart import service as cart_service
from ...cart import shipping as shipping_rates
from ...database import transactional
from ...extensions import db
from ...inputs import parse_id
from ...inventory import service as inventory
from ...models import utcnow
from ...templating import money
from .. import gateways
from ..gateways import GatewayError
from ..models import Order, OrderLine
from .errors import (
    CartNotReady,
    InvalidDetails,
    InvalidOrderState,
    OrderNotFound,
    PaymentUnavailable,
    StockShort,
)
from .orders import (
    actor_name,
    claim_event,
    clock_time,
    flag,
    get_order,
    lock_order,
    move,
    order_for_shopper,
    queue_order_cancelled_email,
    record_event,
)

# A payment finished in the last seconds of its session may be reported a little
# later; the hold outlives the payment page by this much so it still finds its units.
HOLD_GRACE = timedelta(minutes=5)


_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


ADDRESS_FIELDS = {
    "name": ("Full name", 200, True),
    "line1": ("Address", 200, True),
    "line2": ("Apartment, suite (optional)", 200, False),
    "city": ("City", 120, True),
    "state": ("State or province", 120, False),
    "postal_code": ("ZIP or postal code", 30, True),
    "country": ("Country", 2, True),
}


def _new_number():
    return "SA-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def _variant_name(variant):
    return f"{variant.product.title} ({variant.label})"


def _known_article_id(value):
    """`value` if it names an existing article, else None.

    It comes from the shopper's session, which may outlive the article; a stale
    or odd value must never stop a sale, so it is dropped rather than refused.
    """
    article_id = parse_id(value)
    if article_id is None:
        return None
    return db.session.scalar(select(Article.id).where(Article.id == article_id))


def _shortage_message(shortages, names):
    parts = []
    for s in shortages:
        name = names.get(s.variant_id, "An item")
        if s.available <= 0:
            parts.append(f"{name} is sold out.")
        else:
            parts.append(f"Only {s.available} of {name} left; you asked for {s.requested}.")
    return ("Sorry, someone got there first. " + " ".join(parts)
            + " Nothing was charged; change your cart and check out again.")


def _clean_email(raw):
    email = str(raw or "").strip()
    if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
        message = "Enter an e-mail address like name@example.com, or leave it empty."
        raise InvalidDetails(message, {"email": message})
    return email or None


@transactional
def _open_order(cart, gateway_name, pay_by, source_article_id=None, code=None, email=None,
                country=None, rate_id=None, region=None):
    """Create the pending order from the cart (prices from the database, shipping by the
    chosen rate), take a use of its discount code and hold its stock."""
    view = cart_service.view(cart)
    if not view.lines:
        raise CartNotReady("Your cart is empty.")
    withdrawn = [line for line in view.lines if not line.orderable]
    if withdrawn:
        raise CartNotReady("Some items in your cart are no longer sold. Remove them to check out.")
    applied = None
    if code:
        # Re-checked now: the code may have expired or run out since it was applied.
        applied = discounts.check(code, view.priced_lines(), view.subtotal, view.currency)
    saving = applied.amount if applied else 0
    country = country or shipping_rates.default_country()
    quote = shipping_rates.choose(country, rate_id, view.subtotal - saving)
    postage = quote.amount if quote else 0
    line_amounts = [line.line_total - (applied.per_line.get(line.key, 0) if applied else 0)
                    for line in view.lines]
    tax = _tax_for(country, region, line_amounts, postage, view.currency)
    order = Order(
        number=_new_number(), token=secrets.token_urlsafe(32), status="pending",
        currency=view.currency, subtotal_cents=view.subtotal, shipping_cents=postage,
        shipping_rate_name=quote.name if quote else "",
        shipping_country=country if quote or tax else "",
        shipping_state=taxes.normalise_region(region) if tax else "",
        discount_cents=saving, discount_code=applied.code if applied else "",
        tax_cents=tax.amount if tax else 0, tax_label=tax.label if tax else "",
        tax_mode="stripe" if _stripe_tax() else "rates",
        prices_include_tax=current_app.config["PRICES_INCLUDE_TAX"],
        total_cents=view.subtotal - saving + postage + (tax.added if tax else 0),
        gateway=gateway_name, email=email,
        hold_expires_at=pay_by + HOLD_GRACE, payment_expires_at=pay_by,
        source_article_id=_known_article_id(source_article_id),
    )
    line_taxes = tax.lines if tax else (0,) * len(view.lines)
    for line, line_tax in zip(view.lines, line_taxes, strict=True):
        variant, right = line.variant, line.right_variant
        order.lines.append(OrderLine(
            variant_id=variant.id, product_slug=variant.product.slug,
            title=variant.product.title, sku=variant.sku, size=variant.size.label,
            width=variant.width.label, colour=variant.colour.name, details=variant.option_key,
            right_variant_id=right.id if right else None, right_sku=right.sku if right else None,
            right_size=right.size.label if right else None,
            right_width=right.width.label if right else None,
            unit_price_cents=line.unit_price, quantity=line.quantity,
            line_total_cents=line.line_total,
            discount_cents=applied.per_line.get(line.key, 0) if applied else 0,
            tax_cents=line_tax,
        ))
    db.session.add(order)
    db.session.flush()
    try:
        inventory.hold(order.stock_reference, order.stock_lines, order.hold_expires_at,
                       actor="checkout")
    except inventory.OutOfStock as error:
        names = {}
        for line in view.lines:
            names.setdefault(line.variant_id, _variant_name(line.variant))
            if line.is_pair:  # either shoe of a mismatched pair can be the short one
                names.setdefault(line.right_variant_id, _variant_name(line.right_variant))
        raise StockShort(
            _shortage_message(error.shortages, names),
            [{"variant_id": s.variant_id, "requested": s.requested,
              "available": max(s.available, 0)} for s in error.shortages],
        ) from error
    if applied:
        # After the hold: locks are taken order, variants, code, as close_unpaid takes them.
        discounts.redeem(applied, order.id, email)
        record_event(order, "discount_taken",
                     f"Code {applied.code} takes {money(saving, order.currency)} off.",
                     "shopper")
    later = " plus the tax worked out on the payment page" if order.tax_mode == "stripe" else ""
    record_event(order, "created",
           f"Order placed for {money(order.total_cents, order.currency)}{later}; "
           f"{order.item_count} item(s) held until {clock_time(order.hold_expires_at)}.",
           "shopper")
    return order.id


@transactional
def _attach_session(order_id, session):
    order = lock_order(order_id)
    order.gateway_session_id = session.id
    order.payment_url = session.url
    order.payment_expires_at = session.expires_at
    record_event(order, "payment_page_opened",
           f"Payment page opened ({order.gateway}), open until {clock_time(session.expires_at)}.")
    return order


def _stripe_tax():
    """Whether Stripe Tax works out the tax on the payment page (TAX_MODE=stripe); with the
    demo gateway nothing does, and its orders carry no tax."""
    return current_app.config.get("TAX_MODE", "rates") == "stripe"


def _tax_for(country, region, line_amounts, shipping_cents, currency, order=None):
    """The sales tax for a delivery (TAX_MODE=rates), or None when no rate applies. For an
    open `order`, by the tax mode and prices it was placed with."""
    mode = order.tax_mode if order else current_app.config.get("TAX_MODE", "rates")
    if mode != "rates":
        return None
    included = (order.prices_include_tax if order
                else current_app.config["PRICES_INCLUDE_TAX"])
    region = region if taxes.has_regions(country) else ""
    return taxes.compute(taxes.rate_for(country, region), line_amounts, shipping_cents,
                         currency, included=included)


def start_checkout(cart, urls_for, source_article_id=None, *, code=None, email=None,
                   country=None, rate_id=None, region=None):
    """Open a pending order holding the cart's stock, then its payment session.

    `urls_for(order)` gives the CheckoutUrls for that order; `source_article_id`
    is the article the shopper came from (an unknown one is ignored); `code` the
    discount code entered on the cart, `email` the shopper's address if given (a
    signed-in shopper's: the payment page then asks for no other),
    `country`, `rate_id` and `region` the delivery chosen on the cart (default: the
    cheapest rate); the region picks the sales tax where regions have their own.
    Returns the order. Raises CartNotReady, StockShort (nothing held), DiscountRefused,
    ShippingRefused, InvalidDetails (nothing taken), PaymentUnavailable (hold released).
    """
    email = _clean_email(email)
    gateway = gateways.get()
    now = utcnow()
    pay_by = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    pay_by = gateway.session_expiry(pay_by, now)
    order_id = _open_order(cart, gateway.name, pay_by, source_article_id, code, email,
                           country, rate_id, region)
    order = get_order(order_id)
    try:
        session = gateway.create_session(order, urls_for(order), order.payment_expires_at)
    except GatewayError as error:
        close_unpaid(order_id, "fail", f"The payment page could not be opened: "
                      f"{error.message}", "checkout", release_reason="hold_released")
        raise PaymentUnavailable(
            "We could not open the payment page just now. Nothing was charged and nothing "
            "is held; your cart is unchanged. Please try again in a minute."
        ) from error
    return _attach_session(order_id, session)


@transactional
def close_unpaid(order_id, closing, reason, actor, *, release_reason="hold_released",
                  event=None):
    """Close an open order by `closing` ("expire" or "fail"), releasing its hold.

    A shopper who had completed the payment page (a bank payment on its way) is
    e-mailed why. Returns the new status, or "already_done" when the order is no
    longer open.
    """
    claim_event(event, order_id)
    order = lock_order(order_id)
    if not order.can(closing):
        return "already_done"
    tell_shopper = order.is_awaiting_payment
    released = inventory.release(order.stock_reference, reason=release_reason,
                                 actor=actor_name(actor), note=reason)
    given_back = discounts.give_back(order.id)
    if given_back:
        record_event(order, "discount_given_back",
                     f"The use of code {given_back} was given back.", actor)
    order.cancel_reason = reason
    order.cancelled_at = utcnow()
    units = sum(released.values())
    status = move(order, closing, f"{reason} {units} held unit(s) released." if units else reason,
                  actor=actor)
    if tell_shopper:
        queue_order_cancelled_email(order, refund=None)
    return status


def address_fields(country):
    """ADDRESS_FIELDS with the region and postcode named as `country` names them."""
    region, postcode = shipping_rates.address_labels(country)
    fields = dict(ADDRESS_FIELDS)
    fields["state"] = (region, *ADDRESS_FIELDS["state"][1:])
    fields["postal_code"] = (postcode, *ADDRESS_FIELDS["postal_code"][1:])
    return fields


def shipping_countries(order):
    """Where this order's parcel may go: its rate's country, or wherever the shop ships."""
    if order is not None and order.shipping_rate_name and order.shipping_country:
        return [order.shipping_country]
    if shipping_rates.active_rates():
        return shipping_rates.countries()
    return list(gateways.SHIPPING_COUNTRIES)


def clean_address(data, countries=None, *, email_required=True):
    """A shipping address and the receipt's e-mail address from form input; raises
    InvalidDetails naming each bad field.

    `countries` are the ones the parcel may go to (default: the shop's usual two). The
    e-mail address may be left empty only when `email_required` is false (the order
    has one already)."""
    address, errors = {}, {}
    for key, (label, limit, required) in ADDRESS_FIELDS.items():
        value = str(data.get(key) or "").strip()
        if required and not value:
            errors[key] = f"{label} is required."
        elif len(value) > limit:
            errors[key] = f"{label} must be at most {limit} characters."
        address[key] = value
    allowed = countries or gateways.SHIPPING_COUNTRIES
    if address["country"] and address["country"].upper() not in allowed:
        if list(allowed) == list(gateways.SHIPPING_COUNTRIES):
            errors["country"] = "We ship to the United States and Canada only."
        else:
            names = ", ".join(shipping_rates.country_name(c) for c in allowed)
            errors["country"] = f"This order's delivery goes to {names} only."
    address["country"] = address["country"].upper()
    email = str(data.get("email") or "").strip()
    if email and ("@" not in email or len(email) > 254):
        errors["email"] = "Enter an e-mail address like name@example.com."
    elif not email and email_required:
        errors["email"] = "Enter an e-mail address for the receipt, like name@example.com."
    if errors:
        raise InvalidDetails("Please correct the highlighted fields.", errors)
    return address, email or None


@transactional
def change_shipping(token, rate_id):
    """On the demo payment page: send an open order by another rate serving its country.

    Returns the order with its new shipping and total. Raises OrderNotFound,
    ShippingRefused (nothing changed) for a rate that does not serve the order's country,
    InvalidOrderState when the order is no longer awaiting payment.
    """
    order = order_for_shopper(token)
    if order.gateway != "demo" or not order.shipping_rate_name:
        raise OrderNotFound()
    order = lock_order(order.id)
    if not order.is_open:
        raise InvalidOrderState(f"Order {order.number} is {order.status_label.lower()}: its "
                                "delivery can no longer change.")
    goods = order.subtotal_cents - order.discount_cents
    quote = shipping_rates.choose(order.shipping_country, rate_id, goods)
    if quote.name != order.shipping_rate_name or quote.amount != order.shipping_cents:
        tax = _tax_for(order.shipping_country, order.shipping_state,
                       [line.charged_cents for line in order.lines], quote.amount,
                       order.currency, order)
        order.shipping_rate_name, order.shipping_cents = quote.name, quote.amount
        order.tax_cents, order.tax_label = (tax.amount, tax.label) if tax else (0, "")
        order.total_cents = goods + quote.amount + order.tax_added_cents
        record_event(order, "shipping_changed",
                     f"Delivery changed to {quote.name} "
                     f"({money(quote.amount, order.currency)}); total now "
                     f"{money(order.total_cents, order.currency)}.", "shopper")
    return order


def shipping_choices(order):
    """The rates serving an open order's country, priced for its goods, cheapest first."""
    return shipping_rates.options(order.shipping_country,
                                  order.subtotal_cents - order.discount_cents)


def _late_payment_takes_its_code_again(_sender, order_id, old, new):
    # An order that closed gave its code's use back; a payment arriving afterwards (a
    # bank's late answer) makes it a sale at the discounted price, so the use is taken
    # again in the payment's own transaction, or staff are told when none was left.
    if new != "paid" or old not in ("expired", "failed"):
        return
    try:
        code = discounts.retake(order_id)
    except discounts.CodeOverLimit as over:
        flag(lock_order(order_id), over.message)
        return
    if code:
        record_event(get_order(order_id), "discount_taken",
                     f"The late payment took a use of code {code} again.")


def init_app(app):
    signals.before_commit(signals.order_status_changed, _late_payment_takes_its_code_again)
