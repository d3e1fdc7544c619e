"""A sender's pass over the outbox: claim due messages, send them, settle each one.

Safe on several hosts at once: a message is sent only by the sender holding
its claim. Delivery is at least once: a sender that dies between sending and
marking leaves its lease to run out, and the message goes again with the same
Message-ID (so mail clients show it once). It is never silently dropped.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app

from ..models import utcnow
from . import service
from .transport import transport_for

log = logging.getLogger(__name__)

DEFAULT_BATCH = 20
DEFAULT_LEASE = timedelta(minutes=5)
# What a server can do to one message that is worth trying again later.
RETRYABLE = (smtplib.SMTPException, OSError)


@dataclass
class PassResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claims: int = 0
    stopped_early: str = ""

    @property
    def settled(self):
        return self.sent + self.retrying + self.failed + self.lost_claims


def configured_transport(app=None):
    """The transport MAIL_URL names; raises MailUrlError when it is malformed."""
    app = app or current_app
    return transport_for(app.config.get("MAIL_URL"), Path(app.instance_path) / "outbox")


def is_permanent(error):
    """True when every recipient was refused for good (5xx): retrying cannot help."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and bool(error.recipients) and all(
        code >= 500 for code, _ in error.recipients.values())


def deliver_pending(transport, *, batch_size=DEFAULT_BATCH, lease=DEFAULT_LEASE, clock=utcnow,
                    on_settled=None):
    """Send every message due when the pass starts; returns what happened to them.

    Messages that fail are scheduled again with backoff (or marked failed at
    the limit); when the server cannot be reached the pass stops, since the
    rest would fail the same way.
    """
    result = PassResult()
    cutoff = clock()
    while not result.stopped_early:
        claim = service.claim(batch_size, lease, cutoff=cutoff, now=clock())
        if not claim.messages:
            break
        _send_claim(transport, claim, lease, clock, result, on_settled or (lambda: None))
    return result


def _send_claim(transport, claim, lease, clock, result, on_settled):
    # Stop well before the lease ends, so a slow send cannot outlive it and
    # let another sender take (and send) the same message meanwhile.
    stop_at = claim.until - max(lease / 5, timedelta(seconds=1))
    connection = None
    try:
        for index, message in enumerate(claim.messages):
            if clock() >= stop_at:
                service.release(claim.token)
                return
            if connection is None:
                try:
                    connection = transport.connect()
                except RETRYABLE as error:
                    reason = f"could not reach {transport.describe()}: {_describe(error)}"
                    for unsent in claim.messages[index:]:
                        _failed(unsent, claim.token, reason, False, clock, result)
                        on_settled()
                    result.stopped_early = reason
                    return
            try:
                connection.send(message)
            except RETRYABLE as error:
                _failed(message, claim.token, _describe(error), is_permanent(error), clock,
                        result)
                on_settled()
                if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
                    connection.close()
                    connection = None
                continue
            if service.mark_sent(message.id, claim.token, now=clock()):
                result.sent += 1
            else:
                result.lost_claims += 1
                log.warning("Mail %s was sent after its claim ran out; another sender may "
                            "send it again (same Message-ID %s)", message.id, message.message_id)
            on_settled()
    finally:
        if connection is not None:
            connection.close()


def _failed(message, token, reason, permanent, clock, result):
    outcome = service.mark_failed(message, token, reason, permanent=permanent, now=clock())
    if outcome == "failed":
        result.failed += 1
    elif outcome == "pending":
        result.retrying += 1
    else:
        result.lost_claims += 1


def _describe(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "recipients refused: " + "; ".join(
            f"{address} {code} {_text(reply)}" for address, (code, reply) in
            error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _text(reply):
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
