"""`flask demo load`: fill an empty shop with the demo catalogue (safe to run again)."""

import click
from flask.cli import AppGroup

from .catalogue import demo as catalogue_demo
from .staff import demo as staff_demo

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def load():
    """Load the demo catalogue; existing products and stock are left as they are."""
    with click.progressbar(length=len(catalogue_demo.PRODUCTS), label="Products") as bar:
        products, variants = catalogue_demo.load(progress=bar.update)
    click.echo(f"Demo catalogue: {products} product(s) and {variants} variant(s) created, "
               f"{len(catalogue_demo.PRODUCTS) - products} product(s) already present.")
    staff = staff_demo.load()
    click.echo(f"Demo staff: {staff} account(s) created; `flask --app wsgi staff demo-logins` "
               f"prints their logins.")
