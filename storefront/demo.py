"""`flask demo load`: fill an empty shop with the demo catalogue (safe to run again)."""

import click
from flask.cli import AppGroup

from .articles import demo as articles_demo
from .cart import demo as cart_demo
from .catalogue import demo as catalogue_demo
from .staff import demo as staff_demo
from .staff import service as staff_service

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def load():
    """Load the demo catalogue; existing products and stock are left as they are."""
    with click.progressbar(length=len(catalogue_demo.PRODUCTS), label="Products") as bar:
        products, variants = catalogue_demo.load(progress=bar.update)
    click.echo(f"Demo catalogue: {products} product(s) and {variants} variant(s) created, "
               f"{len(catalogue_demo.PRODUCTS) - products} product(s) already present.")
    synonyms = catalogue_demo.load_synonyms()
    click.echo(f"Search synonyms: {synonyms} group(s) added" if synonyms
               else "Search synonyms: already set, left as they are.")
    staff = staff_demo.load()
    click.echo(f"Demo staff: {staff} account(s) created; `flask --app wsgi staff demo-logins` "
               f"prints their logins.")
    # The articles are written by the demo marketing account, created just above.
    author_email = next(e for e, role, _ in staff_demo.DEMO_STAFF if role == "marketing")
    with click.progressbar(length=len(articles_demo.ARTICLES), label="Articles") as bar:
        articles = articles_demo.load(staff_service.find_staff(author_email),
                                      progress=bar.update)
    click.echo(f"Demo articles: {articles} created, "
               f"{len(articles_demo.ARTICLES) - articles} already present.")
    with click.progressbar(length=len(articles_demo.PAGES), label="Shop pages") as bar:
        pages = articles_demo.load_pages(progress=bar.update)
    click.echo(f"Demo shop pages: {pages} created, "
               f"{len(articles_demo.PAGES) - pages} already present.")
    rates, codes = cart_demo.load()
    click.echo(f"Demo shipping rates and codes: {rates} rate(s) and {codes} code(s) added"
               if rates or codes else "Demo shipping rates and codes: already set, left as "
               "they are.")
