"""`flask inventory ...`: sweep expired holds and check the ledger against the counters."""

import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from . import service

inventory_cli = AppGroup("inventory", help="Stock maintenance.")

_SWEEPS = "storefront.inventory.sweeps"


def add_sweep(app, sweep):
    """Run `sweep()` in every pass of `release-expired`, after the holds are released: a
    package above inventory closing what expired with them (unpaid orders). It returns
    the lines to print, none when it did nothing."""
    sweeps = app.extensions.setdefault(_SWEEPS, [])
    if sweep not in sweeps:
        sweeps.append(sweep)


@inventory_cli.command("release-expired")
@click.option("--watch", is_flag=True,
              help="Keep sweeping, one pass every --interval seconds, until stopped.")
@click.option("--interval", type=click.FloatRange(min=0.5), default=60.0, show_default=True,
              help="Seconds between passes with --watch.")
def release_expired(watch, interval):
    """Release every checkout hold that has passed its expiry, and close the unpaid
    orders whose hold and payment page have both run out."""
    if not watch:
        _sweep(quiet_when_idle=False)
        return
    stopping = []
    # SIGTERM from a process manager ends the loop between passes, never inside one.
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo(f"Releasing expired checkout holds every {interval:g}s; Ctrl-C stops.")
    try:
        while not stopping:
            _sweep(quiet_when_idle=True)
            db.session.remove()  # hold no connection (or SQLite lock) while waiting
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
    except KeyboardInterrupt:
        pass
    click.echo("Stopped.")


def _sweep(quiet_when_idle):
    released = service.release_expired()
    for item in released:
        click.echo(f"variant {item.variant_id}: released {item.units} held unit(s)")
    if released or not quiet_when_idle:
        total = sum(item.units for item in released)
        click.echo(f"Released {total} unit(s) on {len(released)} variant(s).")
    for sweep in current_app.extensions.get(_SWEEPS, ()):
        for line in sweep():
            click.echo(line)


@inventory_cli.command("reconcile")
def reconcile():
    """Replay the ledger and report variants whose counters differ (exit 1 if any)."""
    drift = service.reconcile()
    for d in drift:
        click.echo(
            f"variant {d.variant_id}: counters on_hand={d.counters.on_hand} "
            f"reserved={d.counters.reserved} committed={d.counters.committed}; "
            f"ledger on_hand={d.ledger.on_hand} reserved={d.ledger.reserved} "
            f"committed={d.ledger.committed}",
            err=True,
        )
    if drift:
        raise click.ClickException(f"{len(drift)} variant(s) differ from the ledger.")
    click.echo("Every variant's counters match its ledger.")
