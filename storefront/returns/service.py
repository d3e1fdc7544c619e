"""Returns and exchanges, one use case per function.

A shopper asks to send lines of a shipped order back, for a refund or for
other options of the same product. An exchange's replacement is held at once
through the inventory service (a hold of kind "exchange", the return as
reference), so it cannot sell out while the old pair travels back. Staff
receive the parcel (restock or damaged, per line), then refund it or ship the
replacement. Every step writes a line in the order's history, and the shopper
gets an e-mail from the outbox in the same transaction.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..catalogue.models import Product, Variant
from ..checkout import gateways
from ..checkout.gateways import GatewayError
from ..checkout.models import REFUND_ACTIVE_STATUSES, Order, OrderLine, Payment
from ..checkout.service import payments
from ..checkout.service.orders import (
    actor_name,
    claim_event,
    flag_order,
    has_payment,
    lock_order,
    order_for_shopper,
    record_event,
)
from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inputs import parse_int
from ..inventory import service as inventory
from ..links import absolute_url
from ..mail import service as mail
from ..models import utcnow
from ..templating import money
from .models import CONDITIONS, REASONS, RESOLUTIONS, ReturnLine, ShopReturn

log = logging.getLogger(__name__)

MAX_NOTE = 1000


# -- errors --------------------------------------------------------------------------

class ReturnError(DomainError):
    status = 409
    code = "return_refused"


class ReturnNotFound(ReturnError):
    status = 404
    code = "return_not_found"

    def __init__(self, message="We could not find that return."):
        super().__init__(message)


class NotReturnable(ReturnError):
    """The order cannot be returned now (not shipped, outside the window, nothing left)."""

    code = "not_returnable"


class InvalidReturn(InvalidFields, ReturnError):
    """The form has mistakes; `errors` names them per field. Nothing was changed."""

    code = "invalid_return"


class ReplacementUnavailable(ReturnError):
    """A replacement asked for is no longer in stock; nothing was held or changed."""

    code = "replacement_unavailable"

    def __init__(self, message, line_ids):
        super().__init__(message)
        self.line_ids = list(line_ids)

    def to_dict(self):
        return super().to_dict() | {"lines": self.line_ids}


class AlreadyRequested(ReturnError):
    """The same form was sent again; the return it made stands."""

    code = "return_already_requested"

    def __init__(self, shop_return):
        super().__init__(f"This form was already sent: it is return {shop_return.number}. "
                         "Nothing more was changed.")
        self.number = shop_return.number


class InvalidReturnState(ReturnError):
    code = "invalid_return_state"


class ReturnRefundFailed(ReturnError):
    status = 502
    code = "refund_failed"


# -- settings ------------------------------------------------------------------------

def window_days():
    return int(current_app.config.get("RETURN_WINDOW_DAYS", 60))


def hold_days():
    return int(current_app.config.get("EXCHANGE_HOLD_DAYS", 30))


def return_address():
    return current_app.config.get("RETURN_ADDRESS") or ""


# -- what can be returned --------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    """An option of the product a returned line may be exchanged for."""

    variant_id: int
    sku: str
    label: str
    price_cents: int
    available: int
    # How the product page names it (?size=&width=&colour=), for a back-in-stock notice.
    choice: dict = field(default_factory=dict)


@dataclass
class ReturnableLine:
    line: OrderLine
    returnable: int
    options: list[Option] = field(default_factory=list)
    allows_mismatched: bool = False
    product_slug: str = ""

    @property
    def sold_out(self):
        return [o for o in self.options if o.available <= 0]


def _product_of(line):
    """The product an order line was a unit of, or None when it is gone."""
    if line.variant_id is not None:
        variant = db.session.get(Variant, line.variant_id)
        if variant is not None:
            return variant.product
    if line.product_slug:
        return db.session.scalars(select(Product).where(Product.slug == line.product_slug)).first()
    return None


def _options(product):
    if product is None or not product.published:
        return []
    variants = sorted(product.variants,
                      key=lambda v: (v.colour.name, v.size.sort_key, v.width.sort_key))
    stock = inventory.levels([v.id for v in variants])
    return [Option(v.id, v.sku, v.label, v.price_cents,
                   stock[v.id].available if v.id in stock else 0,
                   {"size": v.size.label, "width": v.width.code, "colour": v.colour.slug})
            for v in variants]


def _being_returned(order_id):
    """{order_line_id: units} in this order's open or exchanged returns.

    Cancelled returns give their units back; refunded ones count in the order
    line's refunded quantity instead.
    """
    rows = db.session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ShopReturn).where(ShopReturn.order_id == order_id,
                                ShopReturn.status.not_in(("cancelled", "refunded")))
        .group_by(ReturnLine.order_line_id)
    ).all()
    return {line_id: int(units) for line_id, units in rows}


def window_ends(order):
    return order.shipped_at + timedelta(days=window_days()) if order.shipped_at else None


def _check_returnable(order, now=None):
    now = now or utcnow()
    if not order.is_shipped or order.shipped_at is None:
        raise NotReturnable(f"Order {order.number} has not been shipped yet, so there is "
                            "nothing to send back. Once it arrives you can return or "
                            "exchange it from this page.")
    ends = window_ends(order)
    if now > ends:
        raise NotReturnable(f"Returns for order {order.number} closed on "
                            f"{ends:%d %b %Y}, {window_days()} days after it was shipped.")


def returnable_lines(order):
    """The lines of `order` with how many units can still be returned and the options
    each can be exchanged for."""
    taken = _being_returned(order.id)
    lines = []
    for line in order.lines:
        product = _product_of(line)
        lines.append(ReturnableLine(
            line, max(line.refundable_quantity - taken.get(line.id, 0), 0), _options(product),
            bool(product and product.allows_mismatched), product.slug if product else ""))
    return lines


@dataclass(frozen=True)
class ReturnForm:
    order: Order
    lines: list[ReturnableLine]
    window_ends: object
    form_key: str


def new_return(token):
    """What the shopper needs to ask for a return of their order.

    Raises OrderNotFound (another shopper's or no order: 404) and NotReturnable.
    """
    order = order_for_shopper(token)
    _check_returnable(order)
    lines = returnable_lines(order)
    if not any(item.returnable for item in lines):
        raise NotReturnable(f"Every item of order {order.number} is already being returned.")
    return ReturnForm(order, lines, window_ends(order), secrets.token_urlsafe(24))


def returns_for_order(order_id):
    """The returns of an order, oldest first."""
    return db.session.scalars(select(ShopReturn).where(ShopReturn.order_id == order_id)
                              .order_by(ShopReturn.id)).all()


def can_request(order):
    """Whether the order page should offer a return (shipped, in the window, units left)."""
    try:
        _check_returnable(order)
    except NotReturnable:
        return False
    taken = _being_returned(order.id)
    return any(line.refundable_quantity > taken.get(line.id, 0) for line in order.lines)


# -- asking for a return ---------------------------------------------------------------

@dataclass(frozen=True)
class _Wanted:
    line: ReturnableLine
    quantity: int
    left: Option | None = None
    right: Option | None = None


def _field(data, name):
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _parse(data, form):
    """The lines and choices of a return form; raises InvalidReturn naming each field."""
    errors = {}
    resolution = _field(data, "resolution")
    if resolution not in RESOLUTIONS:
        errors["resolution"] = "Choose a refund or an exchange."
    reason = _field(data, "reason")
    if reason not in REASONS:
        errors["reason"] = "Choose the reason for the return."
    note = _field(data, "note")
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    wanted = []
    for item in form.lines:
        line_id = item.line.id
        raw = _field(data, f"quantity-{line_id}") or "0"
        quantity = parse_int(raw, minimum=0)
        if quantity is None:
            errors[f"quantity-{line_id}"] = "Enter a whole number of pairs, 0 or more."
            continue
        if quantity == 0:
            continue
        if quantity > item.returnable:
            errors[f"quantity-{line_id}"] = (
                f"You can return at most {item.returnable} of this item"
                + (" (the rest is already being returned)." if item.returnable < item.line.quantity
                   else "."))
            continue
        left = right = None
        if resolution == "exchange":
            left, right = _replacement(data, item, errors)
        wanted.append(_Wanted(item, quantity, left, right))
    if not wanted and not any(k.startswith("quantity-") for k in errors):
        errors["lines"] = "Choose how many of at least one item you are sending back."
    if errors:
        raise InvalidReturn("Nothing was sent yet: please correct the fields marked below.",
                            errors)
    return resolution, reason, note, wanted


def _replacement(data, item, errors):
    line_id = item.line.id
    options = {o.variant_id: o for o in item.options}
    if not options:
        errors[f"variant-{line_id}"] = ("This shoe is no longer sold, so it cannot be "
                                        "exchanged; choose a refund instead.")
        return None, None
    left = options.get(parse_int(_field(data, f"variant-{line_id}"), minimum=1))
    if left is None:
        errors[f"variant-{line_id}"] = "Choose the size and width you want instead, of this shoe."
        return None, None
    raw_right = _field(data, f"right-{line_id}")
    if not raw_right or raw_right == "same":
        return left, None
    right = options.get(parse_int(raw_right, minimum=1))
    if right is None:
        errors[f"right-{line_id}"] = "Choose the right shoe from this shoe's options."
        return left, None
    if right.variant_id == left.variant_id:
        return left, None
    if not item.allows_mismatched:
        errors[f"right-{line_id}"] = "This shoe is not sold with a different size for each foot."
        return left, None
    left_variant, right_variant = (db.session.get(Variant, left.variant_id),
                                   db.session.get(Variant, right.variant_id))
    if left_variant.colour_id != right_variant.colour_id:
        errors[f"right-{line_id}"] = "Both shoes of a pair must be the same colour."
    return left, right


def _replacement_fields(wanted):
    if wanted.left is None:
        return {}
    if wanted.right is None:
        return {"replacement_variant_id": wanted.left.variant_id,
                "replacement_sku": wanted.left.sku, "replacement_label": wanted.left.label,
                "replacement_unit_price_cents": wanted.left.price_cents}
    left, right = wanted.left, wanted.right
    left_v, right_v = db.session.get(Variant, left.variant_id), db.session.get(Variant,
                                                                               right.variant_id)
    label = (f"Left size {left_v.size.label}, {left_v.width.label}; right size "
             f"{right_v.size.label}, {right_v.width.label}; {left_v.colour.name}")
    return {"replacement_variant_id": left.variant_id,
            "replacement_right_variant_id": right.variant_id,
            "replacement_sku": f"{left.sku} / {right.sku}", "replacement_label": label,
            # A mismatched pair costs what the dearer of its two shoes costs.
            "replacement_unit_price_cents": max(left.price_cents, right.price_cents)}


def _by_form_key(form_key):
    return db.session.scalars(select(ShopReturn).where(ShopReturn.form_key == form_key)).first()


def _describe_lines(shop_return):
    parts = []
    for line in shop_return.lines:
        text = f"{line.quantity} × {line.order_line.title} ({line.order_line.option_label})"
        if line.replacement_label:
            text += f" for {line.replacement_label}"
        parts.append(text)
    return "; ".join(parts)


@transactional
def _create(token, data, actor):
    form_key = _field(data, "form_key")
    if not form_key or len(form_key) > 64:
        raise InvalidReturn("This form is out of date; open the return page again.",
                            {"form_key": "Open the return page again."})
    order = order_for_shopper(token)
    order = lock_order(order.id)  # one return at a time per order: numbers and units
    if (done := _by_form_key(form_key)) is not None:
        raise AlreadyRequested(done)
    _check_returnable(order)
    form = ReturnForm(order, returnable_lines(order), window_ends(order), form_key)
    resolution, reason, note, wanted = _parse(data, form)
    sequence = (db.session.scalar(select(func.max(ShopReturn.sequence))
                                  .where(ShopReturn.order_id == order.id)) or 0) + 1
    shop_return = ShopReturn(
        number=f"R-{order.number}-{sequence}", order=order, sequence=sequence,
        form_key=form_key, resolution=resolution, reason=reason, note=note)
    for item in wanted:
        shop_return.lines.append(ReturnLine(
            order_line_id=item.line.line.id, order_line=item.line.line, quantity=item.quantity,
            unit_price_cents=item.line.line.unit_price_cents, **_replacement_fields(item)))
    db.session.add(shop_return)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise InvalidReturn("This form was sent twice at once; open the order page to see "
                            "your return.") from error
    message = f"Return {shop_return.number} requested ({shop_return.resolution_label.lower()}): "
    message += f"{_describe_lines(shop_return)}. Reason: {shop_return.reason_label}."
    if shop_return.is_exchange:
        _hold_replacements(shop_return, actor)
        message += (f" Replacement held until {shop_return.hold_expires_at:%d %b %Y}.")
    record_event(order, "return_requested", message, actor)
    _queue_mail(shop_return, "return_requested",
                f"Return {shop_return.number}: how to send your shoes back")
    return shop_return


def _hold_replacements(shop_return, actor):
    expires = utcnow() + timedelta(days=hold_days())
    try:
        inventory.hold(shop_return.stock_reference, shop_return.replacement_lines, expires,
                       actor=actor, kind="exchange")
    except inventory.OutOfStock as error:
        short = {s.variant_id for s in error.shortages}
        lines = [line for line in shop_return.lines
                 if short & set(line.replacement_variant_ids)]
        names = ", ".join(line.replacement_label for line in lines)
        raise ReplacementUnavailable(
            f"Sorry: {names} has just sold out, so we cannot hold it for you. Nothing was "
            "sent or held. Choose another option, ask to be told when it is back, or choose "
            "a refund.", [line.order_line_id for line in lines]) from error
    shop_return.hold_status = "held"
    shop_return.hold_expires_at = expires
    # List price against list price: an exchange keeps whatever discount the order had.
    difference = sum(((line.replacement_unit_price_cents or 0) - line.unit_price_cents)
                     * line.quantity for line in shop_return.lines)
    shop_return.difference_cents = difference
    shop_return.difference_status = ("due" if difference > 0
                                     else "to_refund" if difference < 0 else "none")


def request_return(token, data, *, actor="shopper"):
    """Create a return of a shipped order from the shopper's form, holding any replacement.

    Raises OrderNotFound (404), NotReturnable, InvalidReturn (per field),
    ReplacementUnavailable or AlreadyRequested; in each case nothing was held or changed.
    """
    return _create(token, data, actor)


def shopper_return(token, number):
    order = order_for_shopper(token)
    shop_return = db.session.scalars(
        select(ShopReturn).where(ShopReturn.order_id == order.id,
                                 ShopReturn.number == str(number)[:40])).first()
    if shop_return is None:
        raise ReturnNotFound()
    return shop_return


@transactional
def cancel_return(token, number, *, actor="shopper"):
    """The shopper calls a return off before it is received: any held replacement goes back.

    Raises OrderNotFound, ReturnNotFound, InvalidReturnState (nothing changed).
    """
    shop_return = shopper_return(token, number)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(shop_return.id)
    if not shop_return.can("cancel"):
        raise InvalidReturnState(f"Return {shop_return.number} is "
                                 f"{shop_return.status_label.lower()}; only a return we have "
                                 "not received yet can be cancelled.")
    shop_return.status = "cancelled"
    shop_return.cancelled_at = utcnow()
    message = f"Return {shop_return.number} cancelled by the shopper."
    if shop_return.hold_status == "held":
        inventory.release(shop_return.stock_reference, reason="exchange_released",
                          actor=actor_name(actor), note="Return cancelled")
        shop_return.hold_status = "released"
        message += " The held replacement went back into stock."
    record_event(order, "return_cancelled", message, actor)
    _queue_mail(shop_return, "return_cancelled", f"Return {shop_return.number} cancelled")
    return shop_return


def _lock(return_id):
    shop_return = db.session.scalars(
        select(ShopReturn).where(ShopReturn.id == return_id).with_for_update()
        .execution_options(populate_existing=True)).one_or_none()
    if shop_return is None:
        raise ReturnNotFound()
    return shop_return


# -- e-mail ------------------------------------------------------------------------------

def _queue_mail(shop_return, kind, subject, **extra):
    order = shop_return.order
    if not order.email:
        log.warning("return %s: order has no e-mail address, no %s sent",
                    shop_return.number, kind)
        return
    try:
        mail.queue(kind, order.email, subject,
                   dedupe_key=f"{kind}:{shop_return.number}",
                   context={"r": shop_return, "order": order,
                            "customer_name": order.shipping_name,
                            "order_url": absolute_url("checkout.order_page", token=order.token),
                            "return_address": return_address(),
                            "lines": list(shop_return.lines), **extra})
    except mail.MailError as error:
        log.warning("return %s: no e-mail queued: %s", shop_return.number, error.message)


# -- exchange holds running out ------------------------------------------------------------

REFERENCE_PREFIX = "return:"


def _hold_expired(_sender, kind, variant_id, reference):
    """An exchange hold passed EXCHANGE_HOLD_DAYS: mark the return and tell the shopper,
    in the transaction that released the hold."""
    if kind != "exchange" or not reference.startswith(REFERENCE_PREFIX):
        return
    number = reference[len(REFERENCE_PREFIX):]
    shop_return = db.session.scalars(select(ShopReturn).where(ShopReturn.number == number)
                                     .with_for_update()).first()
    if shop_return is None or shop_return.hold_status != "held":
        return
    shop_return.hold_status = "expired"
    record_event(shop_return.order, "return_hold_expired",
                 f"The replacement held for return {shop_return.number} was released: "
                 f"the parcel had not arrived within {hold_days()} days.", "system")
    _queue_mail(shop_return, "exchange_hold_expired",
                f"Return {shop_return.number}: your replacement is no longer held",
                hold_days=hold_days())


def _unsettle(shop_return, payment):
    """A refund of the return gave nothing back: it no longer counts, so staff can retry."""
    shop_return.refunded_cents = max(shop_return.refunded_cents - payment.amount_cents, 0)
    if shop_return.status == "refunded":
        shop_return.status = "received"
        shop_return.resolved_at = None
        for line in shop_return.lines:
            order_line = line.order_line
            order_line.refunded_quantity = max(order_line.refunded_quantity - line.quantity, 0)
    if shop_return.difference_status == "refunded":
        shop_return.difference_status = "to_refund"


def _refund_failed(_sender, order_id, reference):
    """A refund the gateway later reported failed or cancelled: if it was a return's,
    take it off the return in the transaction that recorded the failure."""
    payment = db.session.scalars(
        select(Payment).where(Payment.order_id == order_id, Payment.kind == "refund",
                              Payment.reference == reference)).first()
    if payment is None:
        return
    if payment.note.startswith("Price difference refund, return "):
        shop_return = db.session.scalars(
            select(ShopReturn).where(ShopReturn.order_id == order_id, ShopReturn.number
                                     == payment.note[len("Price difference refund, return "):])
            .with_for_update()).first()
        if shop_return is not None and shop_return.difference_status == "refunded":
            shop_return.difference_status = "paid"
            record_event(shop_return.order, "return_refund_failed",
                         f"The refund of the {money(payment.amount_cents, payment.currency)} "
                         f"price difference for return {shop_return.number} did not go "
                         "through: refund the return again.", "system")
        return
    noted = payment.note[len("Return "):] if payment.note.startswith("Return ") else None
    shop_return = db.session.scalars(
        select(ShopReturn).where(ShopReturn.order_id == order_id,
                                 (ShopReturn.number == noted)
                                 | (ShopReturn.refund_reference == reference))
        .with_for_update()).first()
    if shop_return is None:
        return
    _unsettle(shop_return, payment)
    record_event(shop_return.order, "return_refund_failed",
                 f"The refund of {money(payment.amount_cents, payment.currency)} for return "
                 f"{shop_return.number} did not go through: refund the return again.",
                 "system")


def init_app(app):
    signals.before_commit(signals.holds_expired, _hold_expired)
    signals.before_commit(signals.refund_failed, _refund_failed)
    payments.handle_other_sessions(app, _difference_session_event)

    @app.context_processor
    def order_returns():
        return {"order_returns": returns_for_order, "order_can_return": can_request}


# -- staff ---------------------------------------------------------------------------------

def list_returns(status=None, limit=200):
    """Returns oldest first, optionally of one status (default: the open ones)."""
    query = select(ShopReturn).order_by(ShopReturn.created_at, ShopReturn.id)
    if status:
        query = query.where(ShopReturn.status == status)
    return db.session.scalars(query.limit(limit)).all()


def get_return(return_id):
    shop_return = db.session.get(ShopReturn, return_id)
    if shop_return is None:
        raise ReturnNotFound()
    return shop_return


def _restock_lines(line):
    """{variant_id: units} a returned order line puts back on the shelf."""
    order_line, units = line.order_line, {}
    for variant_id in (order_line.variant_id,
                       order_line.right_variant_id if order_line.is_pair else None):
        if variant_id is not None:
            units[variant_id] = units.get(variant_id, 0) + line.quantity
    return units


@transactional
def receive_return(return_id, conditions, *, actor):
    """The parcel arrived: per line restock (on hand up, reason return_restock) or damaged.

    A held replacement is committed to the exchange. `conditions` maps line ids to
    "restock" or "damaged". Raises InvalidReturn, InvalidReturnState (nothing changed).
    """
    shop_return = get_return(return_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if not shop_return.can("receive"):
        raise InvalidReturnState(f"Return {shop_return.number} is "
                                 f"{shop_return.status_label.lower()}: it cannot be received now.")
    errors = {}
    for line in shop_return.lines:
        condition = str(conditions.get(str(line.id), conditions.get(line.id, "")) or "")
        if condition not in CONDITIONS:
            errors[f"condition-{line.id}"] = "Choose restock or damaged."
        elif condition == "restock" and not _restock_lines(line):
            errors[f"condition-{line.id}"] = ("This option no longer exists in the "
                                             "catalogue; it cannot be restocked.")
        line.condition = condition or None
    if errors:
        raise InvalidReturn("Nothing was received: choose a condition for every line.",
                            errors)
    who = actor_name(actor)
    parts = []
    for line in shop_return.lines:
        what = f"{line.quantity} × {line.order_line.title} ({line.order_line.option_label})"
        if line.condition == "restock":
            for variant_id, units in sorted(_restock_lines(line).items()):
                inventory.adjust(variant_id, units, "return_restock", actor=who,
                                 reference=shop_return.stock_reference,
                                 note=f"Return {shop_return.number}")
            # Counted on the order line too, so a staff refund never restocks them again.
            order_line = line.order_line
            order_line.restocked_quantity = min(order_line.quantity,
                                                order_line.restocked_quantity + line.quantity)
            parts.append(f"{what} restocked")
        else:
            parts.append(f"{what} damaged, not restocked")
    shop_return.status = "received"
    shop_return.received_at = utcnow()
    message = f"Return {shop_return.number} received: " + "; ".join(parts) + "."
    if shop_return.hold_status == "held":
        inventory.confirm(shop_return.stock_reference, shop_return.replacement_lines,
                          actor=who, reason="exchange_committed")
        shop_return.hold_status = "committed"
        message += " The held replacement is set aside to ship."
    elif shop_return.is_exchange:
        message += " The replacement is no longer held: refund the return instead."
    record_event(order, "return_received", message, actor)
    _queue_mail(shop_return, "return_received", f"Return {shop_return.number} received")
    return shop_return


def refund_due(shop_return):
    """What a return still owes the shopper, never more than the order's money left: from
    the order's payment, and a price difference paid for an exchange refunded instead."""
    return _order_refund_due(shop_return) + difference_refund_due(shop_return)


def _difference_payment(shop_return):
    note = f"Price difference, return {shop_return.number}"
    return next((p for p in shop_return.order.payments
                 if p.kind == "charge" and p.note == note), None)


def _difference_refund_note(shop_return):
    return f"Price difference refund, return {shop_return.number}"


def difference_refund_due(shop_return):
    """The paid difference of a dearer exchange whose replacement is no longer held, so
    the return is refunded instead: given back from the payment that paid it."""
    if (shop_return.difference_status != "paid"
            or shop_return.hold_status not in ("released", "expired")):
        return 0
    payment = _difference_payment(shop_return)
    return payment.amount_cents if payment is not None else 0


def _order_refund_due(shop_return):
    order = shop_return.order
    if shop_return.resolution == "refund" or shop_return.hold_status in (
            "released", "expired"):
        # Once refunded, the units count as refunded on the order's lines.
        owed = (shop_return.unrefunded_cents if shop_return.status == "received"
                else shop_return.returned_cents)
    elif shop_return.difference_status == "to_refund":
        owed = -shop_return.difference_cents
    else:
        owed = 0
    owed -= shop_return.refunded_cents
    return max(min(owed, order.refundable_cents), 0)


def refund_return(return_id, *, actor):
    """Refund what a received return owes through the order's gateway; returns the cents.

    Idempotent: the gateway request's key comes from the return, so a retry never
    refunds twice, and a refunded return owes nothing. Never more than was paid.
    Raises InvalidReturnState, ReturnRefundFailed (the order flagged for staff).
    """
    shop_return = get_return(return_id)
    if shop_return.status not in ("received", "refunded", "exchanged"):
        raise InvalidReturnState(f"Return {shop_return.number} is "
                                 f"{shop_return.status_label.lower()}: refund it once the "
                                 "parcel is received.")
    if shop_return.status == "received" and shop_return.hold_status == "committed":
        raise InvalidReturnState(f"Return {shop_return.number} is an exchange whose "
                                 "replacement is set aside: ship the replacement instead.")
    amount = _order_refund_due(shop_return)
    order = shop_return.order
    if amount <= 0:
        if shop_return.status == "received":
            _settle_refund(return_id, None, actor)
        return _refund_difference(return_id, actor)
    # After a refund failed at the bank the next attempt is a new request, with a new key.
    failed = len(shop_return.failed_refunds)
    key = (f"return-refund-{shop_return.number}-{shop_return.refunded_cents}"
           + (f"-{failed}" if failed else ""))
    try:
        refund = gateways.get(order.gateway).refund(
            order.payment_reference, amount, order.currency, key, order.number)
    except GatewayError as error:
        reason = (f"The refund of {money(amount, order.currency)} for return "
                  f"{shop_return.number} failed: {error.message} Retry it from the return.")
        flag_order(order.id, reason, actor)
        raise ReturnRefundFailed(reason) from error
    _settle_refund(return_id, refund, actor)
    if refund.status not in REFUND_ACTIVE_STATUSES:
        raise ReturnRefundFailed(f"The refund of {money(refund.amount, refund.currency)} for "
                                 f"return {shop_return.number} did not go through at the "
                                 "bank. Retry it from the return.")
    return refund.amount + _refund_difference(return_id, actor)


def _refund_difference(return_id, actor):
    """Give back a paid price difference from its own payment; returns the cents."""
    shop_return = get_return(return_id)
    amount = difference_refund_due(shop_return)
    if amount <= 0:
        return 0
    order, payment = shop_return.order, _difference_payment(shop_return)
    note = _difference_refund_note(shop_return)
    failed = sum(1 for p in order.refunds
                 if p.note == note and p.status not in REFUND_ACTIVE_STATUSES)
    key = f"return-difference-{shop_return.number}" + (f"-{failed}" if failed else "")
    try:
        refund = gateways.get(order.gateway).refund(
            payment.reference, amount, payment.currency, key, order.number)
    except GatewayError as error:
        reason = (f"The refund of the {money(amount, payment.currency)} price difference "
                  f"paid for return {shop_return.number} failed: {error.message} Retry it "
                  "from the return.")
        flag_order(order.id, reason, actor)
        raise ReturnRefundFailed(reason) from error
    _settle_difference_refund(return_id, refund, actor)
    if refund.status not in REFUND_ACTIVE_STATUSES:
        raise ReturnRefundFailed(f"The refund of the {money(amount, payment.currency)} price "
                                 f"difference for return {shop_return.number} did not go "
                                 "through at the bank. Retry it from the return.")
    return refund.amount


@transactional
def _settle_difference_refund(return_id, refund, actor):
    shop_return = get_return(return_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if not has_payment(order, "refund", refund.id):
        order.payments.append(Payment(kind="refund", gateway=order.gateway,
                                      reference=refund.id, amount_cents=refund.amount,
                                      currency=refund.currency, status=refund.status,
                                      note=_difference_refund_note(shop_return)))
    if refund.status not in REFUND_ACTIVE_STATUSES:
        flag_order(order.id, f"The refund of the {money(refund.amount, refund.currency)} "
                   f"price difference for return {shop_return.number} did not go through "
                   "at the bank; refund the return again.", actor)
        return shop_return
    if shop_return.difference_status == "paid":
        shop_return.difference_status = "refunded"
        record_event(order, "refunded",
                     f"Refunded the {money(refund.amount, refund.currency)} price difference "
                     f"paid for return {shop_return.number}.", actor)
    return shop_return


@transactional
def _settle_refund(return_id, refund, actor):
    shop_return = get_return(return_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if refund is not None and refund.status not in REFUND_ACTIVE_STATUSES:
        # Refused at once: recorded, but it gave nothing back and the return stays open.
        if not has_payment(order, "refund", refund.id):
            order.payments.append(Payment(kind="refund", gateway=order.gateway,
                                          reference=refund.id, amount_cents=refund.amount,
                                          currency=refund.currency, status=refund.status,
                                          note=shop_return.refund_note))
        flag_order(order.id, f"The refund of {money(refund.amount, refund.currency)} for "
                   f"return {shop_return.number} did not go through at the bank; refund the "
                   "return again.", actor)
        return shop_return
    known = None if refund is None else next(
        (p for p in order.refunds if p.gateway == order.gateway and p.reference == refund.id),
        None)
    # Stripe's event may have recorded the refund first, unnamed: it is this return's.
    if refund is not None and (known is None or not known.note):
        if known is None:
            order.payments.append(Payment(kind="refund", gateway=order.gateway,
                                          reference=refund.id, amount_cents=refund.amount,
                                          currency=refund.currency, status=refund.status,
                                          note=shop_return.refund_note))
        else:
            known.note = shop_return.refund_note
        shop_return.refunded_cents += refund.amount
        shop_return.refund_reference = refund.id
        record_event(order, "refunded",
                     f"Refunded {money(refund.amount, refund.currency)} for return "
                     f"{shop_return.number}.", actor)
    if shop_return.difference_status == "to_refund" and refund is not None:
        shop_return.difference_status = "refunded"
    if shop_return.status == "received":
        shop_return.status = "refunded"
        shop_return.resolved_at = utcnow()
        # The returned units now count as refunded on the order's lines (as a staff
        # refund of lines counts them), so neither refunds them again.
        for line in shop_return.lines:
            order_line = line.order_line
            order_line.refunded_quantity = min(order_line.quantity,
                                               order_line.refunded_quantity + line.quantity)
    if refund is not None:
        _queue_mail(shop_return, "return_refunded",
                    f"Return {shop_return.number}: your refund is on its way",
                    refund_cents=refund.amount)
    return shop_return


@transactional
def _ship(return_id, carrier, tracking_number, actor):
    carrier = str(carrier or "").strip()
    tracking_number = str(tracking_number or "").strip()
    errors = {}
    if not carrier or len(carrier) > 60:
        errors["carrier"] = "Carrier is required (at most 60 characters)."
    if not tracking_number or len(tracking_number) > 120:
        errors["tracking_number"] = "Tracking number is required (at most 120 characters)."
    if errors:
        raise InvalidReturn("Please correct the highlighted fields.", errors)
    shop_return = get_return(return_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if not shop_return.can("ship") or shop_return.hold_status != "committed":
        raise InvalidReturnState(f"Return {shop_return.number} has no replacement set aside "
                                 "to ship (receive the return first).")
    if order.has_open_dispute:
        raise InvalidReturnState(f"Order {order.number} has an open payment dispute: the "
                                 "replacement waits until it is settled.")
    if shop_return.difference_status == "due":
        raise InvalidReturnState(
            f"The shopper still owes {money(shop_return.difference_cents, order.currency)} "
            "for the dearer replacement: wait for the payment, or waive the difference.")
    inventory.ship(shop_return.stock_reference, shop_return.replacement_lines,
                   actor=actor_name(actor), note=f"{carrier} {tracking_number}")
    shop_return.status = "exchanged"
    shop_return.hold_status = "shipped"
    shop_return.carrier, shop_return.tracking_number = carrier, tracking_number
    shop_return.resolved_at = utcnow()
    record_event(order, "exchange_shipped",
                 f"Replacement for return {shop_return.number} shipped with {carrier}, "
                 f"tracking {tracking_number}: "
                 + "; ".join(f"{line.quantity} × {line.replacement_label}"
                             for line in shop_return.lines) + ".", actor)
    _queue_mail(shop_return, "exchange_shipped",
                f"Return {shop_return.number}: your replacement is on its way")
    return shop_return


def ship_exchange(return_id, carrier, tracking_number, *, actor):
    """Ship a received exchange's replacement (committed units leave stock), e-mail the
    shopper, then refund the difference of a cheaper replacement.

    Raises InvalidReturn, InvalidReturnState (nothing changed), ReturnRefundFailed
    (shipped; the refund flagged for staff).
    """
    shop_return = _ship(return_id, carrier, tracking_number, actor)
    if shop_return.difference_status == "to_refund":
        refund_return(return_id, actor=actor)
    return get_return(return_id)


@transactional
def close_return(return_id, note, *, actor):
    """Staff close a received return with nothing more to do (no refund, no replacement),
    saying why; a replacement set aside goes back on sale. Raises InvalidReturn,
    InvalidReturnState (nothing changed)."""
    note = str(note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidReturn("Say why the return is closed.",
                            {"note": f"A note is required (at most {MAX_NOTE} characters)."})
    shop_return = get_return(return_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if not shop_return.can("close"):
        raise InvalidReturnState(f"Return {shop_return.number} is "
                                 f"{shop_return.status_label.lower()}: only a received "
                                 "return can be closed.")
    message = f"Return {shop_return.number} closed: {note}"
    if shop_return.hold_status == "committed":
        inventory.cancel_committed(shop_return.stock_reference, shop_return.replacement_lines,
                                   actor=actor_name(actor), note=note,
                                   reason="exchange_cancelled")
        shop_return.hold_status = "released"
        message += " The replacement set aside went back on sale."
    shop_return.status = "closed"
    shop_return.resolved_at = utcnow()
    record_event(order, "return_closed", message, actor)
    return shop_return


@transactional
def waive_difference(return_id, *, actor):
    """Staff let the shopper off the price difference of a dearer replacement."""
    shop_return = get_return(return_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if shop_return.difference_status != "due":
        raise InvalidReturnState(f"Return {shop_return.number} owes no difference.")
    shop_return.difference_status = "waived"
    record_event(order, "return_difference_waived",
                 f"Price difference of {money(shop_return.difference_cents, order.currency)} "
                 f"for return {shop_return.number} waived.", actor)
    return shop_return


# -- report ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportRow:
    product: str
    by_reason: dict
    total: int


def report():
    """Units returned per product and reason (cancelled returns left out), most first."""
    rows = db.session.execute(
        select(OrderLine.title, ShopReturn.reason, func.sum(ReturnLine.quantity))
        .join(ReturnLine.shop_return).join(ReturnLine.order_line)
        .where(ShopReturn.status != "cancelled")
        .group_by(OrderLine.title, ShopReturn.reason)
    ).all()
    products = {}
    for title, reason, units in rows:
        products.setdefault(title, {})[reason] = int(units)
    result = [ReportRow(title, {r: counts[r] for r in REASONS if r in counts},
                        sum(counts.values())) for title, counts in products.items()]
    return sorted(result, key=lambda row: (-row.total, row.product))


# -- the difference of a dearer replacement ---------------------------------------------

@dataclass(frozen=True)
class _DifferenceLine:
    title: str
    option_label: str
    sku: str
    unit_price_cents: int
    quantity: int = 1
    discount_cents: int = 0


@dataclass(frozen=True)
class _DifferenceCharge:
    """What a gateway needs to open a payment page for a return's price difference."""

    number: str
    currency: str
    email: str | None
    lines: list
    # No tax or delivery of its own: the order's were charged with it.
    tax_cents: int = 0
    shipping_rate_name: str = ""


def _due_return(token, number):
    shop_return = shopper_return(token, number)
    if shop_return.difference_status != "due" or not shop_return.is_open:
        raise InvalidReturnState(f"Return {shop_return.number} has nothing left to pay.")
    return shop_return


def start_difference_payment(token, number, urls_for):
    """Open a payment page for a dearer replacement's difference; returns its address.

    `urls_for(shop_return)` gives the gateway's success, cancel and demo addresses.
    Raises OrderNotFound, ReturnNotFound, InvalidReturnState, PaymentUnavailable.
    """
    shop_return = _due_return(token, number)
    if shop_return.difference_session_id:
        # Paid on an earlier page the shopper did not come back from: take that payment.
        confirm_difference(token, number, shop_return.difference_session_id)
        if shop_return.difference_status != "due":
            return absolute_url("checkout.order_page", token=token)
    order = shop_return.order
    gateway = gateways.get(order.gateway)
    # Each page opened is its own payment request (the gateway's idempotency key comes
    # from this name); the payment is matched to the return by the part before the dot.
    charge = _DifferenceCharge(
        f"{shop_return.number}.{secrets.token_hex(3)}", order.currency, order.email,
        [_DifferenceLine(f"Price difference for return {shop_return.number}",
                         "; ".join(line.replacement_label for line in shop_return.lines),
                         shop_return.number, shop_return.difference_cents)])
    now = utcnow()
    try:
        session = gateway.create_session(charge, urls_for(shop_return),
                                         gateway.session_expiry(now + timedelta(minutes=30),
                                                                now))
    except GatewayError as error:
        raise PaymentUnavailable("We could not open the payment page just now; nothing was "
                                 "charged. Please try again in a few minutes.") from error
    _remember_session(shop_return.id, session.id)
    return session.url


@transactional
def _remember_session(return_id, session_id):
    shop_return = _lock(return_id)
    shop_return.difference_session_id = session_id


class PaymentUnavailable(ReturnError):
    status = 503
    code = "payment_unavailable"


@transactional
def _record_difference(return_id, reference, amount, currency, actor, event=None):
    shop_return = get_return(return_id)
    claim_event(event, shop_return.order_id)
    order = lock_order(shop_return.order_id)
    shop_return = _lock(return_id)
    if has_payment(order, "charge", reference):
        return shop_return
    order.payments.append(Payment(kind="charge", gateway=order.gateway, reference=reference,
                                  amount_cents=amount, currency=currency,
                                  note=f"Price difference, return {shop_return.number}"))
    if shop_return.difference_status != "due":
        flag_order(order.id, f"A second payment of {money(amount, currency)} arrived for the "
                   f"price difference of return {shop_return.number}; refund it.", actor)
        return shop_return
    if amount != shop_return.difference_cents or currency != order.currency:
        flag_order(order.id, f"{money(amount, currency)} was paid for the difference of return "
                   f"{shop_return.number}, which is "
                   f"{money(shop_return.difference_cents, order.currency)}; check it.", actor)
        return shop_return
    shop_return.difference_status = "paid"
    record_event(order, "return_difference_paid",
                 f"Price difference of {money(amount, currency)} for return "
                 f"{shop_return.number} paid.", actor)
    return shop_return


def confirm_difference(token, number, session_id):
    """The shopper is back from paying the difference: record it if the gateway says paid.

    Returns the return. Raises OrderNotFound, ReturnNotFound.
    """
    shop_return = shopper_return(token, number)
    if shop_return.difference_status != "due" or not session_id:
        return shop_return
    order = shop_return.order
    try:
        state = gateways.get(order.gateway).retrieve_session(str(session_id)[:255])
    except GatewayError:
        log.warning("could not check the difference payment of %s", shop_return.number)
        return shop_return
    if (state is None or not state.paid
            or (state.order_number or "").split(".")[0] != shop_return.number):
        return shop_return
    return _record_difference(shop_return.id, state.payment_reference or state.session_id,
                              state.amount_total or 0, state.currency or order.currency,
                              "shopper return")


def demo_pay_difference(token, number):
    """The demo payment page's Pay button for a return's difference (no money moves)."""
    shop_return = _due_return(token, number)
    if shop_return.order.gateway != "demo":
        raise ReturnNotFound()
    return _record_difference(shop_return.id, f"demo_pi_{shop_return.number}",
                              shop_return.difference_cents, shop_return.order.currency,
                              "demo gateway")


@transactional
def _claim(event, order_id):
    claim_event(event, order_id)
    return "ignored"


def _difference_session_event(kind, state, event):
    """A Stripe payment page event that is no order's: a return's difference page, when
    its name starts with a return's number. The shopper who paid and closed the tab is
    recorded as paid here. Returns the outcome, or None when the page is not a return's."""
    number = (state.order_number or "").split(".")[0]
    shop_return = None
    if state.session_id:
        shop_return = db.session.scalars(select(ShopReturn).where(
            ShopReturn.difference_session_id == state.session_id)).first()
    if shop_return is None and number.startswith("R-"):
        shop_return = db.session.scalars(select(ShopReturn).where(
            ShopReturn.number == number)).first()
    if shop_return is None:
        return None
    order = shop_return.order
    # As for an order: act on the page as the gateway reports it now.
    now = gateways.get(order.gateway).retrieve_session(state.session_id)
    if (now is None or not now.paid
            or (now.order_number or "").split(".")[0] != shop_return.number):
        return _claim(event, order.id)
    before = shop_return.difference_status
    shop_return = _record_difference(shop_return.id, now.payment_reference or now.session_id,
                                     now.amount_total or 0, now.currency or order.currency,
                                     "stripe", event)
    if shop_return.difference_status == "paid" and before == "due":
        return "difference_paid"
    return "already_done"
