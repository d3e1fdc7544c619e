"""`flask shopify import-customers CUSTOMERS.csv [--dry-run]`."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..csvrows import BatchRejected
from .customers import import_customers, parse_customers

_SHOWN = 200


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


@click.command("import-customers")
@click.argument("customers_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@with_appcontext
def import_customers_command(customers_csv, dry_run):
    """Import Shopify's customer export: an account per e-mail address, with name,
    default address and marketing consent. Customers sign in by e-mail link; no
    message is sent to them."""
    try:
        customers, skipped = parse_customers(customers_csv.read_bytes())
    except BatchRejected as exc:
        for problem in exc.problems[:_SHOWN]:
            click.echo(f"  {problem}", err=True)
        if len(exc.problems) > _SHOWN:
            click.echo(f"  ... and {len(exc.problems) - _SHOWN} more", err=True)
        raise click.ClickException(
            f"Nothing was imported: {_plural(len(exc.problems), 'row')} to fix, the first "
            "listed above with its line number and why.") from None
    report = import_customers(customers, skipped, dry_run=dry_run)
    if report.skipped:
        click.echo(f"Rows imported in part or skipped ({len(report.skipped)}):")
        for line, why in report.skipped:
            click.echo(f"  Line {line}: {why}")
    if dry_run:
        click.echo("\nDry run: nothing was written. A real run would make these changes:")
        for change in report.changes or ["(none)"]:
            click.echo(f"  {change}")
    click.echo("\n" + ("Dry run summary" if dry_run else "Imported") + ": accounts "
               f"{report.created} created, {report.updated} updated, {report.unchanged} "
               f"unchanged; {report.addresses_added} "
               f"address{'' if report.addresses_added == 1 else 'es'} added; "
               f"{_plural(len(report.skipped), 'row')} imported in part or skipped.")
