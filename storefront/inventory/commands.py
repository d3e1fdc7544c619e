"""`flask inventory ...`: sweep expired holds and check the ledger against the counters."""

import sys

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


# The stock file speaks SKUs, which the catalogue owns; the back office's stock-file
# module joins the two, so these commands load it when they run (not at import).

@inventory_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True), default="-")
def export(file):
    """Write every variant's stock as CSV to FILE (standard output if omitted)."""
    from ..staff import stockfile

    written = stockfile.write_export(file)
    click.echo(f"Exported {written} variant(s).", err=True)


@inventory_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show the changes without applying them.")
def import_(file, dry_run):
    """Set on hand from a CSV (sku, on_hand[, expected_on_hand], or Shopify's inventory
    export): every row or none."""
    from ..staff import stockfile
    from ..staff.warehouse import BatchRejected

    try:
        text = stockfile.decode(file.read())
    except BatchRejected as refused:
        raise click.ClickException(refused.message) from None
    plan = stockfile.plan_import(text)
    for problem in plan.problems:
        click.echo(str(problem), err=True)
    if not plan.ok:
        raise click.ClickException(
            f"Nothing was changed: {len(plan.problems)} row(s) need fixing (listed above).")
    for change in plan.changes:
        click.echo(f"line {change.line}: {change.sku} on hand {change.before.on_hand} -> "
                   f"{change.on_hand} ({change.delta:+d})")
    if dry_run:
        click.echo(f"Dry run: {len(plan.changes)} variant(s) would change, "
                   f"{plan.unchanged} row(s) already match. Nothing was changed.")
        return
    source = getattr(file, "name", "") or "stdin"
    with click.progressbar(length=len(plan.changes), label="Applying", file=sys.stderr) as bar:
        try:
            result = stockfile.apply_import(text, actor="command line", source=source,
                                            progress=bar.update)
        except BatchRejected as refused:
            raise click.ClickException(refused.message) from None
    click.echo(f"Import {result.reference}: on hand set on {len(result.changes)} variant(s), "
               f"{result.unchanged} row(s) already matched.")
