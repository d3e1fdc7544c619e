"""Shopper accounts: sign-in by e-mail link, sessions, orders, saved addresses, buy again,
the fit profile, and the privacy export and deletion.

A sign-in link names an e-mail address, not an account: asking for one creates
nothing, and the answer is the same whether or not the address has an account. The
account is made when its owner first opens a link, which proves the address; orders
placed with that address then belong to it.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..articles.models import Comment
from ..cart import service as cart_service
from ..cart.models import DiscountRedemption
from ..catalogue.models import Size, Width
from ..checkout.models import Order, OrderEvent, OrderLine
from ..checkout.service import ADDRESS_FIELDS, clean_address
from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inputs import parse_id
from ..links import absolute_url
from ..mail import service as mail
from ..mail.models import OutboxMessage
from ..models import utcnow
from ..notices.models import BackInStockRequest
from .models import (
    BRACE_SIDES,
    CLOSURES,
    Shopper,
    ShopperAddress,
    ShopperLink,
    new_session_nonce,
)

LINK_LIFETIME = timedelta(minutes=15)
# However often the form is sent for one address, it gets at most one mail in this time.
MAIL_INTERVAL = timedelta(minutes=1)
MAX_ADDRESSES = 10
# Links (and the addresses they name) are forgotten this long after they were made.
LINK_RETENTION = timedelta(days=1)
# Plain ASCII: every mail server on the way can deliver it (no SMTPUTF8 needed).
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class AccountError(DomainError):
    status = 422
    code = "invalid_account_input"


class InvalidEmail(AccountError):
    code = "invalid_email"


class InvalidLink(DomainError):
    status = 410
    code = "invalid_link"

    def __init__(self):
        super().__init__("This link has expired, was used already, or is not one we sent. "
                         "Ask for a new one below: it arrives within a minute.")


class OtherBrowser(DomainError):
    status = 403
    code = "other_browser"

    def __init__(self):
        super().__init__("This link works only in the browser where it was asked for. Open "
                         "it there, or ask for a new link here; the old one then stops "
                         "mattering.")


class NotFound(DomainError):
    status = 404
    code = "not_found"


class OrdersInProgress(DomainError):
    """The shop still needs the address to take a payment or send a parcel."""

    status = 409
    code = "orders_in_progress"

    def __init__(self, numbers):
        super().__init__(f"Order {', '.join(numbers)} is still on its way, and we need your "
                         "name and address to finish it. Once it has been sent you can "
                         "delete your account here; nothing was deleted.")


# Orders the shop still has to take the money for or send: the address is needed for them.
IN_PROGRESS_STATUSES = ("pending", "awaiting_payment", "paid")


def _check_nothing_in_progress(email):
    numbers = db.session.scalars(
        select(Order.number).where(func.lower(Order.email) == email,
                                   Order.status.in_(IN_PROGRESS_STATUSES))
        .order_by(Order.id)).all()
    if numbers:
        raise OrdersInProgress(numbers)


# -- e-mail addresses and link tokens ---------------------------------------------------


def normalise_email(email):
    return (email or "").strip().lower()


def clean_email(raw):
    """The address in lower case; raises InvalidEmail with what is wrong with it."""
    email = normalise_email(raw)
    if not email:
        raise InvalidEmail("Enter your e-mail address.")
    if len(email) > 254:
        raise InvalidEmail("That e-mail address is too long: at most 254 characters.")
    if not email.isascii():
        raise InvalidEmail("Enter the address with plain letters, digits and dots (for an "
                           "address with accents, use the plain form your mail provider "
                           "gives).")
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    if (not at or not _LOCAL.match(local) or len(local) > 64 or len(labels) < 2
            or not all(_LABEL.match(label) for label in labels)
            or labels[-1].isdigit()):
        raise InvalidEmail("Enter an e-mail address like name@example.com.")
    return email


def _hash(value):
    # Tokens and browser nonces are 256 random bits: a fast hash is enough.
    return hashlib.sha256(value.encode()).hexdigest()


def new_browser_nonce():
    """A random value the asking browser keeps in its session; the link is bound to it."""
    return secrets.token_urlsafe(32)


def _new_link(email, purpose, browser_nonce):
    token = secrets.token_urlsafe(32)
    db.session.add(ShopperLink(email=email, purpose=purpose, token_hash=_hash(token),
                               browser_hash=_hash(browser_nonce),
                               expires_at=utcnow() + LINK_LIFETIME))
    return token


def _mailed_recently(email, purpose):
    return db.session.scalar(select(func.count(ShopperLink.id)).where(
        ShopperLink.email == email, ShopperLink.purpose == purpose,
        ShopperLink.created_at > utcnow() - MAIL_INTERVAL)) > 0


def _usable_link(token, purpose):
    """The open link for `token`, locked; raises InvalidLink."""
    if not token or len(token) > 100:
        raise InvalidLink()
    link = db.session.scalars(
        select(ShopperLink).where(ShopperLink.token_hash == _hash(token),
                                  ShopperLink.purpose == purpose,
                                  ShopperLink.used_at.is_(None),
                                  ShopperLink.expires_at > utcnow())
        .with_for_update()).first()
    if link is None:
        raise InvalidLink()
    return link


def _check_browser(link, browser_nonce):
    if not browser_nonce or not secrets.compare_digest(link.browser_hash,
                                                        _hash(browser_nonce)):
        raise OtherBrowser()


def _use_up(link):
    """Mark the link used; False when another request used it first."""
    return db.session.execute(
        update(ShopperLink).where(ShopperLink.id == link.id, ShopperLink.used_at.is_(None))
        .values(used_at=utcnow())).rowcount == 1


def minutes_valid():
    return int(LINK_LIFETIME.total_seconds() // 60)


# -- signing in ---------------------------------------------------------------------


@transactional
def request_sign_in(email, browser_nonce):
    """E-mail a sign-in link for `email`, bound to the asking browser, unless one went to
    that address in the last MAIL_INTERVAL. Says nothing about whether an account
    exists. Raises InvalidEmail."""
    email = clean_email(email)
    db.session.execute(delete(ShopperLink).where(
        ShopperLink.created_at < utcnow() - LINK_RETENTION))
    if _mailed_recently(email, "sign_in"):
        return
    token = _new_link(email, "sign_in", browser_nonce)
    mail.queue("account_sign_in", email, "Your sign-in link",
               context={"link": absolute_url("account.sign_in", token=token),
                        "minutes": minutes_valid()})


def find_shopper(email):
    return db.session.scalars(select(Shopper).where(Shopper.email == normalise_email(email))
                              ).first()


@transactional
def sign_in(token, browser_nonce):
    """Use up a sign-in link opened in the browser that asked for it and return the
    address's account (made now if it is the first sign-in). Every other open sign-in
    link of the address stops working. Raises InvalidLink, OtherBrowser (the link stays
    usable in its own browser)."""
    link = _usable_link(token, "sign_in")
    _check_browser(link, browser_nonce)
    if not _use_up(link):
        raise InvalidLink()
    db.session.execute(update(ShopperLink).where(
        ShopperLink.email == link.email, ShopperLink.purpose == "sign_in",
        ShopperLink.used_at.is_(None)).values(used_at=utcnow()))
    shopper = find_shopper(link.email)
    if shopper is None:
        try:
            with db.session.begin_nested():
                shopper = Shopper(email=link.email)
                db.session.add(shopper)
        except IntegrityError:  # a link of the same address opened at the same moment
            shopper = find_shopper(link.email)
    shopper.last_sign_in_at = utcnow()
    return shopper


def load_session_shopper(session_id):
    """The account whose `session_id()` is `session_id`, or None if that session ended."""
    if not isinstance(session_id, str):
        return None
    shopper_id, _, nonce = session_id.partition(":")
    shopper_id = parse_id(shopper_id)
    if shopper_id is None or not nonce:
        return None
    shopper = db.session.get(Shopper, shopper_id)
    if shopper is None or not secrets.compare_digest(shopper.session_nonce, nonce):
        return None
    return shopper


@transactional
def end_sessions(shopper_id):
    """End every session of the account (on every device)."""
    db.session.execute(update(Shopper).where(Shopper.id == shopper_id)
                       .values(session_nonce=new_session_nonce()))


# -- orders and buying again ----------------------------------------------------------


def _own_orders(shopper):
    return select(Order).where(func.lower(Order.email) == shopper.email)


def orders_for(shopper):
    """The orders placed with the account's address, newest first, with their lines."""
    return db.session.scalars(
        _own_orders(shopper).options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())).all()


def buy_again(shopper, line_id, cart):
    """Add what one line of the shopper's own order was to `cart` (the same shoe or pair,
    the same quantity), checked against stock; returns (new cart, message). Raises
    NotFound for a line of another shopper's order, CartError when it cannot be had."""
    line_id = parse_id(line_id)
    line = db.session.scalars(
        select(OrderLine).join(OrderLine.order)
        .where(OrderLine.id == line_id, func.lower(Order.email) == shopper.email)).first()
    if line is None:
        raise NotFound("That order line is not in your account.")
    if line.variant_id is None or (line.is_pair and line.right_variant_id is None):
        raise cart_service.UnknownCartVariant(
            f"{line.title} ({line.option_label}) is no longer sold.")
    quantity = min(line.quantity, cart_service.line_cap())
    if line.is_pair:
        return cart_service.add_pair(cart, line.variant_id, line.right_variant_id, quantity)
    return cart_service.add(cart, line.variant_id, quantity)


# -- saved addresses --------------------------------------------------------------------


def address_fields():
    return ADDRESS_FIELDS


def _own_address(shopper, address_id):
    address_id = parse_id(address_id)
    address = db.session.get(ShopperAddress, address_id) if address_id is not None else None
    if address is None or address.shopper_id != shopper.id:
        raise NotFound(f"There is no saved address number {str(address_id)[:20]} in your "
                       "account.")
    return address


def own_address(shopper, address_id):
    """One of the shopper's saved addresses; raises NotFound for anyone else's."""
    return _own_address(shopper, address_id)


@transactional
def save_address(shopper_id, data, address_id=None, make_default=False):
    """Add a shipping address (or change one of the shopper's own); the first one, or
    one asked to be, becomes the default. Raises InvalidDetails naming each bad field,
    NotFound, AccountError when the book is full."""
    shopper = db.session.get(Shopper, shopper_id)
    values, _ = clean_address(data, email_required=False)
    if address_id is None:
        if len(shopper.addresses) >= MAX_ADDRESSES:
            raise AccountError(f"You can save at most {MAX_ADDRESSES} addresses; delete one "
                               "first.")
        address = ShopperAddress(**values)
        shopper.addresses.append(address)
    else:
        address = _own_address(shopper, address_id)
        for key, value in values.items():
            setattr(address, key, value)
    if make_default or not any(a.is_default for a in shopper.addresses if a is not address):
        for other in shopper.addresses:
            other.is_default = other is address
    db.session.flush()
    return address


@transactional
def delete_address(shopper_id, address_id):
    """Delete one of the shopper's addresses; the oldest left becomes the default if the
    default went. Returns the deleted address's first line. Raises NotFound."""
    shopper = db.session.get(Shopper, shopper_id)
    address = _own_address(shopper, address_id)
    was_default = address.is_default
    shopper.addresses.remove(address)
    if was_default and shopper.addresses:
        shopper.addresses[0].is_default = True
    return address.line1


@transactional
def make_default(shopper_id, address_id):
    """Make one of the shopper's addresses the default; raises NotFound."""
    shopper = db.session.get(Shopper, shopper_id)
    address = _own_address(shopper, address_id)
    for other in shopper.addresses:
        other.is_default = other is address
    return address



# -- the fit profile ------------------------------------------------------------------

FEET = ("left", "right")


class InvalidFit(InvalidFields):
    """Fit values that are not on the size chart; `errors` names each field."""

    code = "invalid_fit"


def fit_choices():
    """The sizes and widths the shop has, brace sides and closures, for the fit form."""
    return {
        "sizes": db.session.scalars(select(Size).order_by(Size.sort_key)).all(),
        "widths": db.session.scalars(select(Width).order_by(Width.sort_key)).all(),
        "braces": BRACE_SIDES,
        "closures": CLOSURES,
    }


def fit_values(shopper):
    """The shopper's fit as the form shows it (size labels, width codes)."""
    return {
        "left_size": shopper.left_size.label if shopper.left_size else "",
        "left_width": shopper.left_width.code if shopper.left_width else "",
        "right_size": shopper.right_size.label if shopper.right_size else "",
        "right_width": shopper.right_width.code if shopper.right_width else "",
        "brace": shopper.brace,
        "closures": list(shopper.closures or []),
    }


@transactional
def save_fit(shopper_id, data):
    """Set the shopper's size and width per foot, brace side and preferred closures, all
    checked against the size chart and the options that exist; returns the account.
    Raises InvalidFit naming each bad field (nothing changed)."""
    sizes = {s.label: s for s in db.session.scalars(select(Size))}
    widths = {w.code: w for w in db.session.scalars(select(Width))}
    errors, chosen = {}, {}
    for foot in FEET:
        size = str(data.get(f"{foot}_size") or "").strip()
        width = str(data.get(f"{foot}_width") or "").strip()
        if size not in sizes:
            errors[f"{foot}_size"] = (f"Choose the {foot} foot's size from the list." if not size
                                      else f"We make no size {size[:10]!r}; choose one from "
                                           "the list.")
        if width not in widths:
            errors[f"{foot}_width"] = (f"Choose the {foot} foot's width from the list."
                                       if not width else
                                       f"We make no width {width[:10]!r}; choose one from "
                                       "the list.")
        chosen[foot] = (sizes.get(size), widths.get(width))
    brace = str(data.get("brace") or "none")
    if brace not in BRACE_SIDES:
        errors["brace"] = "Choose whether you wear a brace, and on which side."
    getlist = getattr(data, "getlist", None)
    closures = getlist("closures") if getlist else list(data.get("closures") or [])
    unknown = [c for c in closures if c not in CLOSURES]
    if unknown:
        errors["closures"] = "Choose closures from the list."
    if errors:
        raise InvalidFit("Please correct the highlighted choices; nothing was changed.", errors)
    shopper = db.session.get(Shopper, shopper_id)
    (shopper.left_size, shopper.left_width), (shopper.right_size, shopper.right_width) = (
        chosen["left"], chosen["right"])
    shopper.brace = brace
    shopper.closures = [c for c in CLOSURES if c in closures]
    return shopper


# -- privacy: the export and the deletion ------------------------------------------------


def _when(moment):
    return moment.isoformat() if moment else None


def export(shopper):
    """Everything the shop holds about the shopper's address, as JSON-ready data: the
    account and fit, saved addresses, orders, back-in-stock requests and comments."""
    requests = db.session.scalars(select(BackInStockRequest).where(
        BackInStockRequest.email == shopper.email).order_by(BackInStockRequest.id)).all()
    comments = db.session.scalars(select(Comment).where(
        func.lower(Comment.email) == shopper.email).order_by(Comment.id)).all()
    return {
        "account": {"email": shopper.email, "name": shopper.name,
                    "accepts_marketing": shopper.accepts_marketing,
                    "created_at": _when(shopper.created_at),
                    "last_sign_in_at": _when(shopper.last_sign_in_at)},
        "fit": {
            "left": {"size": shopper.left_size.label if shopper.left_size else None,
                     "width": shopper.left_width.code if shopper.left_width else None},
            "right": {"size": shopper.right_size.label if shopper.right_size else None,
                      "width": shopper.right_width.code if shopper.right_width else None},
            "brace": shopper.brace,
            "closures": list(shopper.closures or []),
        },
        "addresses": [a.as_dict() for a in shopper.addresses],
        "orders": [{
            "number": o.number, "placed_at": _when(o.created_at), "status": o.status,
            "email": o.email, "currency": o.currency, "total": o.total_cents,
            "shipping_address": o.shipping_address_lines, "carrier": o.carrier,
            "tracking_number": o.tracking_number,
            "lines": [{"title": line.title, "sku": line.sku, "size": line.size,
                       "width": line.width, "colour": line.colour, "details": line.details,
                       "right_sku": line.right_sku, "right_size": line.right_size,
                       "right_width": line.right_width, "quantity": line.quantity,
                       "unit_price": line.unit_price_cents} for line in o.lines],
        } for o in orders_for(shopper)],
        "back_in_stock_requests": [{"variant_id": r.variant_id, "status": r.status,
                                    "created_at": _when(r.created_at)} for r in requests],
        "comments": [{"article": c.article.title, "name": c.name, "body": c.body,
                      "status": c.status, "created_at": _when(c.created_at)}
                     for c in comments],
    }


@transactional
def request_deletion(shopper_id, browser_nonce):
    """E-mail the account's address a link that confirms deleting the account (at most
    one a minute)."""
    shopper = db.session.get(Shopper, shopper_id)
    _check_nothing_in_progress(shopper.email)
    if _mailed_recently(shopper.email, "delete"):
        return
    token = _new_link(shopper.email, "delete", browser_nonce)
    mail.queue("account_delete", shopper.email, "Confirm deleting your account",
               context={"link": absolute_url("account.confirm_delete", token=token),
                        "minutes": minutes_valid()})


def deletion_link(token):
    """The open deletion link's address; raises InvalidLink."""
    return _usable_link(token, "delete").email


@transactional
def delete_account(token, browser_nonce):
    """Delete the account of a deletion link opened where it was asked for: its
    addresses, fit, links, back-in-stock requests and copies of its mail go; its orders
    stay for the accounts, with the e-mail address, name and shipping address cleared;
    its comments lose the e-mail address. Returns how many orders were kept. Raises
    InvalidLink, OtherBrowser."""
    link = _usable_link(token, "delete")
    _check_browser(link, browser_nonce)
    if not _use_up(link):
        raise InvalidLink()
    email = link.email
    _check_nothing_in_progress(email)
    orders = db.session.scalars(select(Order).where(func.lower(Order.email) == email)
                                .with_for_update()).all()
    for order in orders:
        order.email = None
        for column in ("name", "line1", "line2", "city", "state", "postal_code"):
            setattr(order, f"shipping_{column}", "")
        db.session.add(OrderEvent(order=order, kind="personal_data_removed",
                                  message="The shopper deleted their account: e-mail "
                                          "address, name and shipping address removed.",
                                  actor="shopper"))
    db.session.execute(delete(BackInStockRequest).where(BackInStockRequest.email == email))
    db.session.execute(update(DiscountRedemption).where(func.lower(DiscountRedemption.email)
                                                        == email).values(email=None))
    db.session.execute(update(Comment).where(func.lower(Comment.email) == email)
                       .values(email=""))
    # Copies of messages sent to the address (receipts carry the shipping address).
    copies = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.recipients)
        .where(cast(OutboxMessage.recipients, String).ilike(f"%{email}%"))).all()
    ids = [row.id for row in copies
           if [r.lower() for r in row.recipients or []] == [email]]
    if ids:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    db.session.execute(delete(ShopperLink).where(ShopperLink.email == email))
    shopper = find_shopper(email)
    if shopper is not None:
        db.session.delete(shopper)
    return len(orders)
