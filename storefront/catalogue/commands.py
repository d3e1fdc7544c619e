"""`flask media fetch`: imported photo addresses (Shopify's CDN) into the shop's storage."""

import click
from flask.cli import AppGroup

from . import photos

media_cli = AppGroup("media", help="The shop's stored photos.")
SHOWN_FAILURES = 20


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


@media_cli.command("fetch")
def fetch():
    """Download every photo still shown from an imported web address, process it like an
    upload and show it from storage. Photos that fail keep their address; run it again."""
    todo = photos.imported_photos()
    if not todo:
        click.echo("Every photo is stored already: nothing to fetch.")
        return
    click.echo(f"Fetching {_plural(len(todo), 'imported photo')} into storage.")
    with click.progressbar(length=len(todo), label="Photos", show_pos=True) as bar:
        report = photos.fetch_imported(todo, progress=bar.update)
    click.echo(f"Stored {_plural(report.fetched, 'photo')}; "
               f"{len(report.failed)} failed; {report.skipped} changed meanwhile and left "
               "as they are.")
    for address, reason in report.failed[:SHOWN_FAILURES]:
        click.echo(f"  {address}: {reason}", err=True)
    if len(report.failed) > SHOWN_FAILURES:
        click.echo(f"  ... and {len(report.failed) - SHOWN_FAILURES} more", err=True)
    if report.failed:
        raise click.ClickException(
            f"{_plural(len(report.failed), 'photo')} could not be fetched and still show "
            "from the imported address.")
