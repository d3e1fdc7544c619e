"""`flask notices send`: queue back-in-stock notices for variants that have stock again."""

import click
from flask.cli import AppGroup

from . import service

notices_cli = AppGroup("notices", help="Back-in-stock notices.")


@notices_cli.command("send")
def send():
    """Queue a notice for every confirmed sign-up whose variant is available now.

    Stock changes already queue notices as they happen; this catches up on
    anything missed (for example stock that arrived while a sign-up was unconfirmed).
    """
    due = service.variants_due()
    queued = 0
    with click.progressbar(due, label="Variants back in stock", show_pos=True) as bar:
        for variant_id in bar:
            queued += service.send_for_variant(variant_id)
    click.echo(f"Queued {queued} back-in-stock notice(s) for {len(due)} variant(s); "
               "`flask mail send` delivers them.")
