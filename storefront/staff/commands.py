"""`flask staff ...`: create accounts, issue API tokens, show the demo logins."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from ..exceptions import DomainError
from . import demo, service
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
    click.echo(f"Demo staff logins ({current_app.config['PUBLIC_URL']}/staff/login):")
    for email, role, password in rows:
        shown = password or "(changed since the demo load)"
        click.echo(f"  {role:<10} {email:<24} {shown}")
