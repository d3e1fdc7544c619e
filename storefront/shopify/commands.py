"""`flask shopify import PRODUCTS.csv [--dry-run] [--overwrite-stock] [--map-option N=K]
[--include-unshipped]`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..csvrows import BatchRejected
from ..exceptions import DomainError
from . import service
from .csvfile import parse_products
from .options import parse_option_map

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


def _fail(exc, what="imported"):
    problems = getattr(exc, "problems", [])
    for problem in problems[:_SHOWN]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > _SHOWN:
        click.echo(f"  ... and {len(problems) - _SHOWN} more", err=True)
    if problems:
        raise click.ClickException(
            f"Nothing was {what}: {_plural(len(problems), 'row')} to fix, the first listed "
            "above with its line number and why.")
    raise click.ClickException(exc.message)


_SHOWN = 200


@shopify_cli.command("import")
@click.argument("products_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--overwrite-stock", is_flag=True,
              help="Also apply Shopify's quantity where stock changed here since the last "
                   "import.")
@click.option("--map-option", "map_option", multiple=True, metavar="NAME=KIND",
              help="Treat the option NAME as size, width, colour or attribute, e.g. "
                   "--map-option \"Taille=size\" (repeatable).")
@click.option("--include-unshipped", is_flag=True,
              help="Also import products none of whose variants need shipping (shipping "
                   "protection, digital goods), which are skipped by default.")
def import_products(products_csv, dry_run, overwrite_stock, map_option, include_unshipped):
    """Import a Shopify product export: products by handle, variants by handle and options."""
    try:
        option_map = parse_option_map(map_option)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map-option") from None
    try:
        export = parse_products(products_csv.read_bytes(),
                                currency=current_app.config["SHOP_CURRENCY"],
                                option_map=option_map, include_unshipped=include_unshipped)
    except BatchRejected as exc:
        _fail(exc)
    click.echo(f"Read Shopify's {export.layout} product layout: "
               f"{_plural(len(export.products), 'product')}, "
               f"{_plural(export.variant_count, 'variant row')}.")
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
    if export.adjustments:
        click.echo(f"\nRows changed or skipped on the way in ({len(export.adjustments)}):")
        for adjustment in export.adjustments:
            click.echo(f"  {adjustment}")
    if dry_run:
        click.echo("\nDry run: nothing was written. A real run would make these changes:")
        for change in report.changes or ["(none)"]:
            click.echo(f"  {change}")
    if report.untracked:
        click.echo(f"\nNot tracked on Shopify ({len(report.untracked)}): Shopify sold these "
                   "without counting stock. New ones open with "
                   f"{current_app.config['SHOPIFY_UNTRACKED_STOCK']} units so they stay on "
                   "sale (shoppers see \"In stock\", never the number) and later imports "
                   "leave their stock alone. Count them here (the warehouse console or a "
                   "stock file) or turn tracking on in Shopify and import again; from "
                   "then on their stock is counted.")
        click.echo(_table(["Product", "SKU", "Line"], report.untracked))
    if report.kept_selling:
        click.echo("\nShopify kept selling these when out of stock (\"continue selling\"). "
                   "This shop never sells stock it does not have: they are tracked, show "
                   "\"Sold out\" at 0, and shoppers can ask to be told when they are back.")
        click.echo(_table(["Product", "Variants"], sorted(report.kept_selling.items())))
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
    summary = [
        ("Products", report.products_created + report.products_updated
         + report.products_unchanged),
        ("Variants", report.variants_created + report.variants_updated
         + report.variants_unchanged),
        ("Images", report.images),
        ("Not tracked on Shopify", len(report.untracked)),
        ("Kept selling when out of stock", sum(report.kept_selling.values())),
        ("Generated SKUs", report.generated_skus),
        ("Suffixed SKUs (shared by two variants)", report.suffixed_skus),
        ("Negative stock repaired", report.repaired),
        ("Stock conflicts", len(report.conflicts)),
    ]
    summary += [(f"Skipped: {reason}", count)
                for reason, count in sorted(export.skipped.items())]
    click.echo(_table(["", "Count"], summary))
