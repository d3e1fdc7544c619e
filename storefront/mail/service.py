"""The outbox: queue messages inside the caller's transaction; claim and settle them for senders.

`queue` only adds a row to the session of the use case that causes the
message, so the message exists if and only if that event commits. Senders
(see delivery.py) claim due rows with a lease, send them, and mark them sent
or failed; each of those steps is its own short transaction, so no database
transaction stays open while an SMTP server is talking.
"""

import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import formataddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..links import absolute_url
from ..models import utcnow
from .models import OutboxMessage

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=4)
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+$")
_table = OutboxMessage.__table__


class MailError(DomainError):
    status = 422
    code = "mail_refused"


class InvalidRecipient(MailError):
    code = "invalid_recipient"

    def __init__(self, address):
        super().__init__(f"“{address}” is not an e-mail address we can send to.")


class NoRecipients(MailError):
    code = "no_recipients"

    def __init__(self):
        super().__init__("A message needs at least one recipient.")


# -- links and addresses -----------------------------------------------------------

def absolute(link):
    """`link` made absolute on PUBLIC_URL when it is a path; absolute links pass unchanged."""
    if link.startswith(("http://", "https://")):
        return link
    if not link.startswith("/"):
        raise ValueError(f"expected an absolute URL or a path starting with '/', got {link!r}")
    return current_app.config["PUBLIC_URL"].rstrip("/") + link


def _mail_domain():
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or "localhost"


def default_sender():
    """MAIL_FROM, or the shop's name at the domain of PUBLIC_URL."""
    configured = current_app.config.get("MAIL_FROM")
    if configured:
        return configured
    return formataddr((current_app.config["SHOP_NAME"], f"shop@{_mail_domain()}"))


def _recipients(to):
    addresses = [to] if isinstance(to, str) else list(to)
    cleaned = []
    for address in addresses:
        address = (address or "").strip()
        if len(address) > 254 or not _ADDRESS.match(address):
            raise InvalidRecipient(address)
        if address.lower() not in {a.lower() for a in cleaned}:
            cleaned.append(address)
    if not cleaned:
        raise NoRecipients()
    return cleaned


# -- queueing --------------------------------------------------------------------

def render(template, **context):
    """Render templates/mail/<template>.txt and .html with the shop's name and address."""
    context = {
        "shop_name": current_app.config["SHOP_NAME"],
        "shop_url": absolute_url("catalogue.home"),
        **context,
    }
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    # Jinja blocks leave blank runs in plain text; one blank line is enough.
    text = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", text).strip() + "\n"
    return text, html


def queue(kind, to, subject, *, template=None, context=None, dedupe_key=None, headers=None):
    """Add one message to the caller's transaction (no commit); returns the outbox row.

    Must run inside a @transactional use case, or in a subscriber that runs in
    the commit of the change it reports (`signals.before_commit`), so the
    message is committed with the event that causes it or not at all. With
    `dedupe_key`, a second call for the same key returns the message already queued.
    """
    if not (db.session.info.get("in_transaction") or signals.committing(db.session)):
        raise RuntimeError("mail.queue() must be called inside a @transactional use case, "
                           "so the message commits with its event")
    recipients = _recipients(to)
    if dedupe_key:
        existing = _by_dedupe_key(dedupe_key)
        if existing is not None:
            return existing
    text, html = render(template or kind, **(context or {}))
    message = OutboxMessage(
        kind=kind,
        message_id=f"<{uuid.uuid4().hex}.{kind.replace('_', '-')}@{_mail_domain()}>",
        dedupe_key=dedupe_key,
        sender=default_sender(),
        recipients=recipients,
        subject=" ".join(subject.split())[:300],
        text_body=text,
        html_body=html,
        headers=dict(headers or {}),
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    try:
        # A savepoint, so a concurrent duplicate only undoes this insert, not the event.
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        existing = _by_dedupe_key(dedupe_key) if dedupe_key else None
        if existing is None:
            raise
        return existing
    return message


def _by_dedupe_key(key):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).first()


# -- the messages the shop sends ---------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One order line as the shopper bought it (money in cents)."""

    title: str
    quantity: int
    unit_price: int
    line_total: int
    detail: str = ""
    sku: str = ""


@dataclass(frozen=True)
class LowStockRow:
    """One variant at or under its product's low-stock threshold."""

    sku: str
    product_title: str
    variant_label: str
    available: int
    threshold: int
    stock_url: str


def _lines(lines):
    return [line if isinstance(line, Line) else Line(**line) for line in lines]


def queue_order_paid(*, to, order_number, order_url, lines, subtotal, total, currency=None,
                     shipping=0, discount=0, discount_code="", tax=0, tax_label="",
                     tax_included=False, customer_name=""):
    """Queue the order confirmation (lines, totals, order page link); once per order."""
    return queue(
        "order_paid", to, f"Order {order_number} confirmed: thank you",
        dedupe_key=f"order_paid:{order_number}",
        context={"order_number": order_number, "order_url": absolute(order_url),
                 "lines": _lines(lines), "subtotal": subtotal, "shipping": shipping,
                 "discount": discount, "discount_code": discount_code, "tax": tax,
                 "tax_label": tax_label, "tax_included": tax_included,
                 "total": total, "currency": currency, "customer_name": customer_name},
    )


def queue_order_shipped(*, to, order_number, order_url, carrier, tracking_number,
                        tracking_url=None, lines=(), customer_name=""):
    """Queue the shipping notice with carrier and tracking; once per order."""
    return queue(
        "order_shipped", to, f"Order {order_number} is on its way",
        dedupe_key=f"order_shipped:{order_number}",
        context={"order_number": order_number, "order_url": absolute(order_url),
                 "carrier": carrier, "tracking_number": tracking_number,
                 "tracking_url": tracking_url, "lines": _lines(lines),
                 "customer_name": customer_name},
    )


def queue_order_cancelled(*, to, order_number, order_url, refund=None, currency=None,
                          reason="", customer_name=""):
    """Queue the cancellation notice; `refund` (cents) says money goes back. Once per order."""
    subject = (f"Order {order_number} cancelled: your refund is on its way" if refund
               else f"Order {order_number} cancelled")
    return queue(
        "order_cancelled", to, subject,
        dedupe_key=f"order_cancelled:{order_number}",
        context={"order_number": order_number, "order_url": absolute(order_url),
                 "refund": refund, "currency": currency, "reason": reason,
                 "customer_name": customer_name},
    )


def queue_order_refunded(*, to, order_number, order_url, amount, currency, lines=(),
                         reason="", pending=False, customer_name="", refund_id=None):
    """Queue the notice of a refund (the lines and amount it covers); once per refund."""
    return queue(
        "order_refunded", to,
        f"Order {order_number}: {'a refund is on its way' if pending else 'refund issued'}",
        dedupe_key=f"order_refunded:{refund_id}" if refund_id else None,
        context={"order_number": order_number, "order_url": absolute(order_url),
                 "amount": amount, "currency": currency, "lines": _lines(lines),
                 "reason": reason, "pending": pending, "customer_name": customer_name},
    )


def queue_staff_alert(*, to, subject, message, order_number, order_url, dedupe_key=None):
    """Tell staff at once that an order needs them (a dispute, a refund that failed)."""
    return queue(
        "staff_alert", to, subject, dedupe_key=dedupe_key,
        context={"message": message, "order_number": order_number,
                 "order_url": absolute(order_url)},
    )


def queue_back_in_stock(*, to, product_title, variant_label, product_url, unsubscribe_url,
                        dedupe_key=None):
    """Queue a back-in-stock notice with a one-link unsubscribe (also as List-Unsubscribe)."""
    unsubscribe_url = absolute(unsubscribe_url)
    return queue(
        "back_in_stock", to, f"{product_title} is back in stock",
        dedupe_key=dedupe_key,
        # RFC 8058: mail clients may unsubscribe with one POST to the link, no page shown.
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        context={"product_title": product_title, "variant_label": variant_label,
                 "product_url": absolute(product_url), "unsubscribe_url": unsubscribe_url},
    )


def queue_back_in_stock_confirm(*, to, product_title, variant_label, confirm_url,
                                unsubscribe_url):
    """Queue the link that confirms a back-in-stock sign-up (double opt-in)."""
    return queue(
        "back_in_stock_confirm", to, f"Confirm: tell me when {product_title} is back",
        context={"product_title": product_title, "variant_label": variant_label,
                 "confirm_url": absolute(confirm_url),
                 "unsubscribe_url": absolute(unsubscribe_url)},
    )


def queue_comment_awaiting_moderation(*, to, article_title, author_name, excerpt,
                                      moderation_url, comment_id=None):
    """Tell marketing a comment waits for moderation; once per comment when `comment_id` given."""
    excerpt = " ".join(excerpt.split())
    if len(excerpt) > 400:
        excerpt = excerpt[:399].rstrip() + "…"
    return queue(
        "comment_awaiting_moderation", to,
        f"New comment awaiting moderation on “{article_title}”",
        dedupe_key=f"comment:{comment_id}" if comment_id is not None else None,
        context={"article_title": article_title, "author_name": author_name,
                 "excerpt": excerpt, "moderation_url": absolute(moderation_url)},
    )


def low_stock_digest_queued(day):
    """True when the digest for `day` is already in the outbox."""
    return _by_dedupe_key(f"low_stock_digest:{day.isoformat()}") is not None


def queue_low_stock_digest(*, to, rows, day=None):
    """Queue the warehouse's low-stock digest for `day` (today); at most one per day."""
    day = day or date.today()
    rows = list(rows)
    return queue(
        "low_stock_digest", to,
        f"Low stock on {day:%d %b %Y}: {len(rows)} variant{'s' if len(rows) != 1 else ''}",
        dedupe_key=f"low_stock_digest:{day.isoformat()}",
        context={"rows": rows, "day": day},
    )


# -- claiming and settling, for senders ----------------------------------------------

@dataclass(frozen=True)
class Outgoing:
    """A claimed message, detached from the session so it outlives the claim's commit."""

    id: int
    kind: str
    message_id: str
    sender: str
    recipients: list
    subject: str
    text_body: str
    html_body: str
    headers: dict
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Claim:
    token: str
    until: datetime
    messages: list


def _due(cutoff, now):
    return (OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= cutoff,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now))


def count_due(now=None):
    """How many pending messages are due and unclaimed right now."""
    now = now or utcnow()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(*_due(now, now)))


@transactional
def claim(limit, lease, *, cutoff=None, now=None):
    """Lease up to `limit` due messages to a new claim token for `lease` (a timedelta).

    The conditional UPDATE only takes rows nobody holds, so two senders never
    hold the same row; on PostgreSQL, SKIP LOCKED also spares them the wait.
    """
    now = now or utcnow()
    cutoff = cutoff or now
    token = uuid.uuid4().hex
    until = now + lease
    candidates = (select(OutboxMessage.id).where(*_due(cutoff, now))
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = db.session.scalars(candidates).all()
    if not ids:
        return Claim(token, until, [])
    db.session.execute(
        update(_table)
        .where(_table.c.id.in_(ids), _table.c.status == "pending",
               or_(_table.c.claimed_until.is_(None), _table.c.claimed_until <= now))
        .values(claim_token=token, claimed_until=until)
    )
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.claim_token == token)
                              .order_by(OutboxMessage.id).execution_options(populate_existing=True))
    messages = [
        Outgoing(r.id, r.kind, r.message_id, r.sender, list(r.recipients), r.subject,
                 r.text_body, r.html_body, dict(r.headers or {}), r.attempts, r.created_at)
        for r in rows
    ]
    return Claim(token, until, messages)


@transactional
def mark_sent(message_id, token, *, now=None):
    """Record a delivery; False when the claim was lost (its lease ran out and another took it)."""
    result = db.session.execute(
        update(_table)
        .where(_table.c.id == message_id, _table.c.claim_token == token,
               _table.c.status == "pending")
        .values(status="sent", sent_at=now or utcnow(), claim_token=None, claimed_until=None,
                last_error="")
    )
    return result.rowcount == 1


def backoff(attempts):
    """The wait before the next try after `attempts` failures: 1, 2, 4 ... minutes, capped."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def max_attempts():
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)


@transactional
def mark_failed(message, token, error, *, permanent=False, now=None):
    """Record a failed try: schedule a retry with backoff, or give up ("failed") at the limit.

    Returns the new status ("pending" or "failed"), or None when the claim was lost.
    """
    now = now or utcnow()
    attempts = message.attempts + 1
    gave_up = permanent or attempts >= max_attempts()
    # claim_token=None ends the lease; it is no password (bandit B105 thinks "token").
    values = {"attempts": attempts, "last_error": str(error)[:2000], "claim_token": None,  # nosec B105
              "claimed_until": None}
    if gave_up:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = now + backoff(attempts)
    result = db.session.execute(
        update(_table)
        .where(_table.c.id == message.id, _table.c.claim_token == token,
               _table.c.status == "pending")
        .values(**values)
    )
    if result.rowcount != 1:
        return None
    if gave_up:
        log.error("Gave up on mail %s (%s, %s to %s) after %d attempt(s): %s", message.id,
                  message.message_id, message.kind, ", ".join(message.recipients), attempts,
                  error)
    else:
        log.warning("Mail %s (%s) failed, attempt %d of %d, next try at %s: %s", message.id,
                    message.kind, attempts, max_attempts(),
                    values["next_attempt_at"].isoformat(timespec="seconds"), error)
    return values.get("status", "pending")


@transactional
def release(token):
    """Hand back the still-pending messages of a claim so another pass can take them now."""
    db.session.execute(
        update(_table)
        .where(_table.c.claim_token == token, _table.c.status == "pending")
        .values(claim_token=None, claimed_until=None)
    )


@transactional
def retry_failed(ids=None):
    """Put failed messages (all, or those in `ids`) back in the queue with fresh attempts."""
    query = update(_table).where(_table.c.status == "failed")
    if ids is not None:
        query = query.where(_table.c.id.in_(list(ids)))
    result = db.session.execute(query.values(status="pending", attempts=0, next_attempt_at=utcnow(),
                                             claim_token=None, claimed_until=None))
    return result.rowcount


# -- reporting -----------------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    counts: dict
    due: int
    waiting: int
    claimed: int
    oldest_pending: datetime | None
    failed: list


def status(now=None, failed_limit=20):
    """Counts by status, the pending split (due, waiting to retry, being sent), recent failures."""
    now = now or utcnow()
    counts = Counter(dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))
    pending = OutboxMessage.status == "pending"
    claimed = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        pending, OutboxMessage.claimed_until > now))
    due = count_due(now)
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at)).where(pending))
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc()).limit(failed_limit)).all()
    return Status(
        counts={s: counts.get(s, 0) for s in ("pending", "sent", "failed")},
        due=due, waiting=counts.get("pending", 0) - due - claimed, claimed=claimed,
        oldest_pending=oldest, failed=failed,
    )
