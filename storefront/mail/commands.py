"""`flask mail ...`: deliver the outbox, show its state, put failed messages back."""

import signal
import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import utcnow
from . import delivery, service
from .transport import MailUrlError

mail_cli = AppGroup("mail", help="The e-mail outbox.")


def _transport():
    try:
        return delivery.configured_transport()
    except MailUrlError as error:
        raise click.ClickException(str(error)) from None


@mail_cli.command("where")
def where():
    """Say where the shop's e-mail goes: the SMTP server, or the folder of .eml files."""
    transport = _transport()
    folder = getattr(transport, "folder", None)
    if folder is not None:
        click.echo(f"E-mails (order confirmations, sign-in links, back-in-stock notices) "
                   f"land in {folder}/ as .eml files: open them with any mail program. "
                   f"Set MAIL_URL to send them for real.")
    else:
        click.echo(f"E-mails are sent through {transport.describe()}.")


def _run_pass(transport, batch, lease, quiet_when_idle):
    due = service.count_due()
    if not due and quiet_when_idle:
        return delivery.PassResult()
    with click.progressbar(length=due, label=f"Sending to {transport.describe()}",
                           show_pos=True) as bar:
        result = delivery.deliver_pending(transport, batch_size=batch, lease=lease,
                                          on_settled=lambda: bar.update(1))
    summary = (f"Sent {result.sent} message(s); {result.retrying} will be retried later; "
               f"{result.failed} failed for good.")
    if result.lost_claims:
        summary += (f" {result.lost_claims} outlived their claim and may be sent again "
                    "by another sender.")
    click.echo(summary)
    if result.stopped_early:
        click.echo(f"Stopped early: {result.stopped_early}", err=True)
    if result.failed:
        click.echo("See `flask mail status` for the messages that failed; "
                   "`flask mail retry` puts them back in the queue.", err=True)
    return result


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending, one pass every --interval seconds.")
@click.option("--interval", type=click.FloatRange(min=0.5), default=15.0, show_default=True,
              help="Seconds between passes with --loop.")
@click.option("--batch", type=click.IntRange(1, 500), default=delivery.DEFAULT_BATCH,
              show_default=True, help="Messages claimed at a time.")
def send(loop, interval, batch):
    """Deliver pending messages over MAIL_URL (or to instance/outbox when it is unset).

    Safe to run on several hosts at once: each message is claimed by one sender.
    """
    transport = _transport()
    lease = timedelta(seconds=int(current_app.config.get("MAIL_LEASE_SECONDS") or 300))
    if not loop:
        result = _run_pass(transport, batch, lease, quiet_when_idle=False)
        if result.failed:
            raise SystemExit(1)
        return
    stopping = []
    # SIGTERM from a process manager ends the loop between passes, so a pass
    # never stops between sending a message and recording it.
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo(f"Sending to {transport.describe()} every {interval:g}s; Ctrl-C stops.")
    try:
        while not stopping:
            _run_pass(transport, batch, lease, quiet_when_idle=True)
            # The pass's reads end with it: an open transaction would keep SQLite's
            # write lock (BEGIN IMMEDIATE), or a PostgreSQL session idle in one,
            # for the whole wait, and the shop could not write meanwhile.
            db.session.remove()
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
    except KeyboardInterrupt:
        pass
    click.echo("Stopped.")


@mail_cli.command("status")
def status():
    """Summarise the outbox: pending (due, waiting to retry, being sent), sent, failed."""
    try:
        where = delivery.configured_transport().describe()
    except MailUrlError as error:
        where = f"nowhere: {error}"
    s = service.status()
    click.echo(f"Mail goes to {where}.")
    click.echo(f"Pending: {s.counts['pending']} ({s.due} due now, {s.waiting} waiting to "
               f"retry, {s.claimed} being sent)")
    click.echo(f"Sent:    {s.counts['sent']}")
    click.echo(f"Failed:  {s.counts['failed']}")
    if s.oldest_pending is not None:
        minutes = int((utcnow() - s.oldest_pending).total_seconds() // 60)
        click.echo(f"Oldest pending message was queued {minutes} minute(s) ago.")
    if s.failed:
        click.echo("")
        click.echo("Failed messages (newest first; `flask mail retry ID` sends one again):")
        for m in s.failed:
            click.echo(f"  #{m.id} {m.kind} to {', '.join(m.recipients)}, "
                       f"{m.attempts} attempt(s): {m.last_error}")


@mail_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Retry every failed message.")
def retry(ids, all_failed):
    """Put failed messages back in the queue with a fresh set of attempts."""
    if not ids and not all_failed:
        raise click.UsageError("Name the message ids to retry, or pass --all-failed.")
    count = service.retry_failed(None if all_failed else ids)
    click.echo(f"Queued {count} failed message(s) again; `flask mail send` delivers them.")
