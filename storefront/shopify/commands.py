"""`flask shopify import PRODUCTS.csv [--dry-run] [--overwrite-stock]`."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ..exceptions import DomainError
from . import service
from .csvfile import ShopifyFileError, parse_products

shopify_cli = AppGroup("shopify", help="Move a shop over from Shopify.")


def _table(headings, rows):
    """Rows as a plain-text table with aligned columns."""
    cells = [list(map(str, headings))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headings))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def _fail(exc):
    for problem in getattr(exc, "problems", []):
        click.echo(f"  {problem}", err=True)
    raise click.ClickException(exc.message)


@shopify_cli.command("import")
@click.argument("products_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--overwrite-stock", is_flag=True,
              help="Also apply Shopify's quantity where stock changed here since the last "
                   "import.")
def import_products(products_csv, dry_run, overwrite_stock):
    """Import a Shopify product export: products by handle, variants by SKU, stock."""
    try:
        export = parse_products(products_csv.read_bytes())
    except ShopifyFileError as exc:
        _fail(exc)
    for note in export.notes:
        click.echo(f"Note: {note}")
    try:
        with click.progressbar(length=len(export.products), label="Importing products") as bar:
            report = service.import_products(export, dry_run=dry_run,
                                             overwrite_stock=overwrite_stock,
                                             progress=bar.update)
    except DomainError as exc:
        _fail(exc)

    for note in report.notes[len(export.notes):]:
        click.echo(f"Note: {note}")
    if dry_run:
        click.echo("\nDry run: nothing was written. A real run would make these changes:")
        for change in report.changes or ["(none)"]:
            click.echo(f"  {change}")
    if report.oversold:
        click.echo(f"\nOversold on Shopify ({len(report.oversold)}): imported as 0, with the "
                   "original number in the stock ledger. Check the orders for these:")
        click.echo(_table(
            ["Product", "SKU", "Shopify qty", "On hand here", "Ledger", "Line"],
            [(o.title, o.sku, o.shopify_quantity, 0,
              "recorded now" if o.repaired else "already 0", o.line)
             for o in report.oversold],
        ))
    if report.conflicts:
        click.echo(f"\nStock changed here since the last import ({len(report.conflicts)}):")
        click.echo(_table(
            ["Product", "SKU", "Last import", "Here now", "Shopify", "Action", "Line"],
            [(c.title, c.sku, c.last_imported, c.here, c.shopify,
              "overwritten" if c.applied else "kept", c.line) for c in report.conflicts],
        ))
        if not overwrite_stock:
            click.echo("Stock here was kept. Run again with --overwrite-stock to apply "
                       "Shopify's numbers instead.")

    click.echo("\n" + ("Dry run summary" if dry_run else "Imported") + ": "
               f"products {report.products_created} created, {report.products_updated} "
               f"updated, {report.products_unchanged} unchanged; "
               f"variants {report.variants_created} created, {report.variants_updated} "
               f"updated, {report.variants_unchanged} unchanged; "
               f"{_plural(report.images, 'image')}; "
               f"stock changed on {_plural(report.stock_changed, 'existing variant')}; "
               f"{_plural(report.repaired, 'oversold variant')} repaired; "
               f"{_plural(len(report.conflicts), 'conflict')}"
               + (f" ({report.conflicts_applied} overwritten)" if report.conflicts else "")
               + ".")
