"""`flask staff ...`: create accounts, issue API tokens, show the demo logins."""

import sys

import click
from flask.cli import AppGroup

from ..csvrows import BatchRejected
from ..exceptions import DomainError
from ..links import absolute_url
from . import demo, service, stockfile
from .models import ROLES

staff_cli = AppGroup("staff", help="Staff accounts and API tokens.")


def _read_password():
    # Never an argument: arguments end up in shell history and `ps` listings.
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="What they may do.")
@click.option("--name", default="", help="Display name (shown as article author).")
def create(email, role, name):
    """Create a staff account; the password is read from stdin or prompted for."""
    password = _read_password()
    try:
        user = service.create_staff(email, password, role, name)
    except DomainError as refused:
        raise click.ClickException(refused.message) from None
    click.echo(f"Created {user.email} with role {user.role}.")


@staff_cli.command("set-password")
@click.argument("email")
def set_password(email):
    """Replace an account's password (from stdin or a prompt) and end its sessions."""
    password = _read_password()
    try:
        user = service.set_password(email, password)
    except DomainError as refused:
        raise click.ClickException(refused.message) from None
    click.echo(f"Password changed for {user.email}; their sessions have ended.")


@staff_cli.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. 'scanner 2'.")
def token(email, name):
    """Create an API token for an account and print it (it is shown only this once)."""
    try:
        value = service.issue_token(email, name)
    except DomainError as refused:
        raise click.ClickException(refused.message) from None
    click.echo(value)
    click.echo("Store this token now: only its hash is kept, it cannot be shown again. "
               "Send it as 'Authorization: Bearer <token>'.", err=True)


@staff_cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email):
    """Revoke every API token of an account."""
    try:
        count = service.revoke_tokens(email)
    except DomainError as refused:
        raise click.ClickException(refused.message) from None
    click.echo(f"Revoked {count} token(s) of {email}.")


@staff_cli.command("demo-logins")
def demo_logins():
    """Print the demo staff accounts and their passwords (created by `demo load`)."""
    rows = demo.logins()
    if not rows:
        click.echo("No demo staff accounts; run `flask --app wsgi demo load`.")
        return
    click.echo(f"Demo staff logins ({absolute_url('staff.login')}):")
    for email, role, password in rows:
        shown = password or "(changed since the demo load)"
        click.echo(f"  {role:<10} {email:<24} {shown}")


# `flask inventory export|import`: the stock file speaks SKUs, which the catalogue owns,
# so these commands live with the back office's stock-file code and join the
# `inventory` group in the factory (inventory itself knows variants by id only).

@click.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True), default="-")
def stock_export(file):
    """Write every variant's stock as CSV to FILE (standard output if omitted)."""
    written = stockfile.write_export(file)
    click.echo(f"Exported {written} variant(s).", err=True)


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show the changes without applying them.")
def stock_import(file, dry_run):
    """Set on hand from a CSV (sku, on_hand[, expected_on_hand], or Shopify's inventory
    export): every row or none."""
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
                   f"{change.on_hand} ({change.delta:+d})"
                   + (f" [Shopify locations: {change.locations_text}]"
                      if change.locations else ""))
    if plan.not_counted:
        click.echo(f"Left alone, not counted here (untracked on Shopify): "
                   f"{len(plan.not_counted)} row(s): "
                   + ", ".join(f"line {line} {sku}" for line, sku in plan.not_counted))
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
