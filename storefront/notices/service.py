"""Back-in-stock notices: sign up (double opt-in), confirm, unsubscribe, notify once.

Notices go out from the transaction that makes a variant available again,
whatever made it so (a delivery, a count, an import, a released hold, a
cancelled order): inventory sends `signals.became_available` when a variant's
available units go from 0 to more, and `init_app` subscribes to it *before the
commit* (`signals.before_commit`), so the notices are queued in the outbox in
that same transaction, if the variant still has stock then (a hold taken later
in the transaction may have used it up). They commit with the stock change or
roll back with it. Each request is claimed by a conditional UPDATE
(`notified_at IS NULL`), so concurrent transactions cannot notify the same
shopper twice; `flask notices send` catches up on anything else.
"""

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..catalogue import service as catalogue
from ..catalogue.models import Product, Variant
from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..inputs import parse_id
from ..inventory import service as inventory
from ..links import absolute_url
from ..mail import service as mail
from ..models import utcnow
from ..signals import became_available, before_commit
from .models import BackInStockRequest

_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
_request = BackInStockRequest.__table__


class NoticeError(DomainError):
    status = 422
    code = "notice_refused"


class InvalidEmail(NoticeError):
    code = "invalid_email"


class NotSoldOut(NoticeError):
    status = 409
    code = "in_stock"

    def __init__(self, message, variant):
        super().__init__(message)
        self.variant = variant


class UnknownNoticeVariant(NoticeError):
    status = 404
    code = "unknown_variant"


class NoticeNotFound(NoticeError):
    status = 404
    code = "notice_not_found"

    def __init__(self):
        super().__init__("This link is not valid any more. Sign up again on the product page.")


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: `outcome` is new, resent, already_waiting or renewed."""

    outcome: str
    message: str
    variant: object


def clean_email(raw):
    """A trimmed, lower-cased address; raises InvalidEmail."""
    email = (raw or "").strip().lower() if isinstance(raw, str) else ""
    if not email or len(email) > 254 or not _EMAIL.match(email):
        raise InvalidEmail("Enter an e-mail address like name@example.com.")
    return email


def parse_variant_id(raw):
    variant_id = parse_id(raw)
    if variant_id is None:
        raise UnknownNoticeVariant("Choose a size, width and colour first.")
    return variant_id


def _variant_of(slug, variant_id):
    variant = catalogue.variants_by_id([variant_id]).get(variant_id)
    if variant is None or variant.product.slug != slug:
        raise UnknownNoticeVariant("That option is not sold here. Choose it on the product page.")
    return variant


def _links(token):
    return (absolute_url("notices.confirm", token=token),
            absolute_url("notices.unsubscribe", token=token))


def _send_confirmation(request, variant):
    confirm_url, unsubscribe_url = _links(request.token)
    mail.queue_back_in_stock_confirm(
        to=request.email, product_title=variant.product.title, variant_label=variant.label,
        confirm_url=confirm_url, unsubscribe_url=unsubscribe_url)


def _existing(variant_id, email):
    return db.session.scalars(
        select(BackInStockRequest)
        .where(BackInStockRequest.variant_id == variant_id, BackInStockRequest.email == email)
        .with_for_update()
    ).first()


@transactional
def sign_up(slug, variant_id, email):
    """Ask for a notice when a sold-out variant returns; queues the confirmation e-mail.

    A repeat sign-up re-sends the confirmation only while unconfirmed.
    Raises InvalidEmail, UnknownNoticeVariant, NotSoldOut.
    """
    variant = _variant_of(slug, variant_id)
    levels = inventory.levels([variant.id]).get(variant.id)
    name = f"{variant.product.title} ({variant.label})"
    if levels is not None and levels.available > 0:
        raise NotSoldOut(f"{name} is in stock now: add it to your cart instead.", variant)
    # Checked last, so a refused address means the form it came from is still offered.
    email = clean_email(email)
    request = _existing(variant.id, email)
    if request is None:
        request = BackInStockRequest(variant_id=variant.id, email=email,
                                     token=secrets.token_urlsafe(32))
        try:
            with db.session.begin_nested():
                db.session.add(request)
        except IntegrityError:  # the same address signed up a moment ago, in parallel
            request = _existing(variant.id, email)
        else:
            _send_confirmation(request, variant)
            return SignUp("new", f"Almost done: we sent a link to {email}. Open it to confirm, "
                          f"and we will e-mail you once when {name} is back.", variant)
    if request.unsubscribed_at is not None:
        # Coming back after unsubscribing starts over, with a new link and a new confirmation.
        request.unsubscribed_at = request.confirmed_at = request.notified_at = None
        request.token = secrets.token_urlsafe(32)
        _send_confirmation(request, variant)
        return SignUp("renewed", f"Welcome back: we sent a new confirmation link to {email}.",
                      variant)
    if request.confirmed_at is None:
        _send_confirmation(request, variant)
        return SignUp("resent", f"You already asked for this notice but have not confirmed it "
                      f"yet, so we sent the link to {email} again.", variant)
    if request.notified_at is not None:
        # Notified last time, sold out again: one more notice when it next returns.
        request.notified_at = None
        return SignUp("renewed", f"You are on the list again: we will e-mail {email} once "
                      f"when {name} is back.", variant)
    return SignUp("already_waiting", f"You are already on the list for {name}, and confirmed: "
                  f"we will e-mail {email} once when it is back.", variant)


def product_page(slug, variant_id):
    """The product page with the variant chosen, to show a refused sign-up again.

    Raises UnknownNoticeVariant when the product does not sell it.
    """
    variant = _variant_of(slug, variant_id)
    return catalogue.product_page(slug, {"size": variant.size.label,
                                         "width": variant.width.code,
                                         "colour": variant.colour.slug},
                                 attributes=variant.attributes)


def _by_token(token, *, lock=False):
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise NoticeNotFound()
    query = select(BackInStockRequest).where(BackInStockRequest.token == token)
    request = db.session.scalars(query.with_for_update() if lock else query).first()
    if request is None:
        raise NoticeNotFound()
    return request


@dataclass(frozen=True)
class TokenResult:
    request: BackInStockRequest
    variant: object | None
    changed: bool


def _variant_for(request):
    return db.session.get(Variant, request.variant_id)


def lookup(token):
    """The sign-up behind an e-mailed link, with its variant; raises NoticeNotFound."""
    request = _by_token(token)
    return TokenResult(request, _variant_for(request), False)


@transactional
def confirm(token):
    """Confirm a sign-up (once); if the variant is already back, notify at once."""
    request = _by_token(token, lock=True)
    if request.unsubscribed_at is not None:
        return TokenResult(request, _variant_for(request), False)
    changed = request.confirmed_at is None
    if changed:
        request.confirmed_at = utcnow()
        db.session.flush()
        levels = inventory.levels([request.variant_id]).get(request.variant_id)
        if levels is not None and levels.available > 0:
            notify_waiting(request.variant_id)
    return TokenResult(request, _variant_for(request), changed)


@transactional
def unsubscribe(token):
    """Stop a sign-up; repeating it changes nothing."""
    request = _by_token(token, lock=True)
    changed = request.unsubscribed_at is None
    if changed:
        request.unsubscribed_at = utcnow()
    return TokenResult(request, _variant_for(request), changed)


# -- notifying -----------------------------------------------------------------------

def notify_waiting(variant_id):
    """Queue one notice per confirmed, waiting sign-up of a variant; returns how many.

    Runs inside the caller's transaction; each sign-up is claimed by a conditional
    UPDATE first, so a concurrent caller skips it.
    """
    variant = catalogue.variants_by_id([variant_id]).get(variant_id)
    if variant is None:  # withdrawn from sale: nothing to point the shopper to
        return 0
    claimed = db.session.execute(
        update(_request)
        .where(_request.c.variant_id == variant_id,
               _request.c.confirmed_at.is_not(None),
               _request.c.notified_at.is_(None),
               _request.c.unsubscribed_at.is_(None))
        .values(notified_at=utcnow())
        .returning(_request.c.id, _request.c.email, _request.c.token)
    ).all()
    if not claimed:
        return 0
    product_url = absolute_url("catalogue.product", slug=variant.product.slug,
                                  size=variant.size.label, width=variant.width.code,
                                  colour=variant.colour.slug)
    for request_id, email, token in sorted(claimed):
        mail.queue_back_in_stock(
            to=email, product_title=variant.product.title, variant_label=variant.label,
            product_url=product_url, unsubscribe_url=_links(token)[1],
            dedupe_key=f"back_in_stock:{request_id}")
    return len(claimed)


def _notify_back_in_stock(_sender, variant_ids):
    """In the commit of the transaction that made these variants available again."""
    stock = inventory.levels(variant_ids)
    for variant_id in sorted(variant_ids):
        if variant_id in stock and stock[variant_id].available > 0:
            notify_waiting(variant_id)


def init_app(app):
    before_commit(became_available, _notify_back_in_stock)


def variants_due():
    """Variants with confirmed, waiting sign-ups that have stock now."""
    waiting = select(_request.c.variant_id).where(
        _request.c.confirmed_at.is_not(None), _request.c.notified_at.is_(None),
        _request.c.unsubscribed_at.is_(None)).distinct()
    in_stock = inventory.in_stock_variant_ids()
    return sorted(db.session.scalars(
        select(Variant.id).where(Variant.id.in_(waiting), Variant.id.in_(in_stock))))


@transactional
def send_for_variant(variant_id):
    """Queue the notices of one variant if it has stock now; returns how many."""
    levels = inventory.levels([variant_id]).get(variant_id)
    if levels is None or levels.available <= 0:
        return 0
    return notify_waiting(variant_id)


# -- staff views -----------------------------------------------------------------------

@dataclass(frozen=True)
class Demand:
    variant: object
    waiting: int
    unconfirmed: int
    notified: int
    available: int


def _counts(variant_ids=None):
    waiting = func.count().filter(_request.c.confirmed_at.is_not(None),
                                  _request.c.notified_at.is_(None),
                                  _request.c.unsubscribed_at.is_(None))
    unconfirmed = func.count().filter(_request.c.confirmed_at.is_(None),
                                      _request.c.unsubscribed_at.is_(None))
    notified = func.count().filter(_request.c.notified_at.is_not(None),
                                   _request.c.unsubscribed_at.is_(None))
    query = select(_request.c.variant_id, waiting, unconfirmed, notified).group_by(
        _request.c.variant_id)
    if variant_ids is not None:
        query = query.where(_request.c.variant_id.in_(variant_ids))
    return {row[0]: row[1:] for row in db.session.execute(query)}


def demand_for(variant_id):
    """Sign-up counts of one variant: (waiting, unconfirmed, notified)."""
    return _counts([variant_id]).get(variant_id, (0, 0, 0))


def demand():
    """Every variant with sign-ups, most confirmed shoppers waiting first."""
    counts = _counts()
    if not counts:
        return []
    variants = db.session.scalars(
        select(Variant).join(Variant.product).where(Variant.id.in_(counts))
        .order_by(Product.title, Variant.sku)).all()
    stock = inventory.levels(counts)
    rows = [Demand(v, *counts[v.id], stock[v.id].available if v.id in stock else 0)
            for v in variants]
    rows.sort(key=lambda d: (-d.waiting, -d.unconfirmed, d.variant.product.title))
    return rows
