"""`flask inventory ...`: sweep expired holds and check the ledger against the counters."""

import click
from flask.cli import AppGroup

from . import service

inventory_cli = AppGroup("inventory", help="Stock maintenance.")


@inventory_cli.command("release-expired")
def release_expired():
    """Release every checkout hold that has passed its expiry."""
    released = service.release_expired()
    for item in released:
        click.echo(f"variant {item.variant_id}: released {item.units} held unit(s)")
    total = sum(item.units for item in released)
    click.echo(f"Released {total} unit(s) on {len(released)} variant(s).")


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
