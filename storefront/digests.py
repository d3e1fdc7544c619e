"""`flask mail low-stock-digest`: the warehouse's daily list of variants running out.

It reads the catalogue, inventory and staff accounts and queues mail, so it
sits beside the factory, above every package; the mail package below it only
receives the rows to list.
"""

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .catalogue.models import Product, Variant
from .database import transactional
from .extensions import db
from .inventory import service as inventory
from .links import absolute_url
from .mail import service as mail
from .staff.models import StaffUser


def low_stock_rows():
    """Variants of published products whose available units are at or under the threshold."""
    variants = db.session.scalars(
        select(Variant).join(Variant.product).where(Product.published.is_(True))
        .options(selectinload(Variant.product)).order_by(Product.title, Variant.sku)
    ).all()
    levels = inventory.levels(v.id for v in variants)
    rows = []
    for variant in variants:
        level = levels.get(variant.id)
        if level is None:
            continue
        threshold = variant.product.low_stock_threshold
        available = max(level.available, 0)
        if available <= threshold:
            rows.append(mail.LowStockRow(
                sku=variant.sku, product_title=variant.product.title,
                variant_label=variant.label, available=available, threshold=threshold,
                stock_url=absolute_url("staff.variant", variant_id=variant.id),
            ))
    rows.sort(key=lambda r: (r.available, r.product_title, r.sku))
    return rows


def warehouse_addresses():
    """E-mail addresses of active warehouse staff."""
    return list(db.session.scalars(
        select(StaffUser.email).where(StaffUser.role == "warehouse",
                                      StaffUser.active.is_(True)).order_by(StaffUser.email)))


class DigestAlreadyQueued(mail.MailError):
    status = 409
    code = "digest_already_queued"

    def __init__(self, day):
        super().__init__(f"The low-stock digest for {day:%d %b %Y} is already queued; "
                         "there is one a day.")


class NoWarehouseStaff(mail.MailError):
    code = "no_warehouse_staff"

    def __init__(self):
        super().__init__("No active warehouse staff to send the digest to. Create one with "
                         "`flask staff create EMAIL --role warehouse`, or name recipients "
                         "with --to.")


@transactional
def queue_low_stock_digest(to=None, day=None):
    """Queue the digest for `day` (today) to warehouse staff (or `to`); (message or None, rows).

    Raises DigestAlreadyQueued when that day's digest exists, NoWarehouseStaff without recipients.
    """
    day = day or date.today()
    if mail.low_stock_digest_queued(day):
        raise DigestAlreadyQueued(day)
    rows = low_stock_rows()
    if not rows:
        return None, rows
    recipients = list(to) if to else warehouse_addresses()
    if not recipients:
        raise NoWarehouseStaff()
    return mail.queue_low_stock_digest(to=recipients, rows=rows, day=day), rows


@click.command("low-stock-digest")
@click.option("--to", "to", multiple=True, metavar="EMAIL",
              help="Send to these addresses instead of the warehouse staff (repeatable).")
@with_appcontext
def low_stock_digest(to):
    """Queue one digest of the variants at or under their low-stock threshold (once a day)."""
    try:
        message, rows = queue_low_stock_digest(to or None)
    except DigestAlreadyQueued as error:
        click.echo(error.message)
        return
    except mail.MailError as error:
        raise click.ClickException(error.message) from None
    if message is None:
        click.echo("No variant is at or under its low-stock threshold; no digest queued.")
        return
    sold_out = sum(1 for r in rows if r.available == 0)
    click.echo(f"Queued the low-stock digest (message #{message.id}) to "
               f"{', '.join(message.recipients)}: {len(rows)} variant(s), {sold_out} sold out. "
               "`flask mail send` delivers it.")
