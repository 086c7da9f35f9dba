"""Operator commands of the accounts area: `flask --app wsgi accounts reset-two-factor EMAIL --reason "..."`,
`flask --app wsgi accounts rotate-encryption`."""

from __future__ import annotations

import click

from portal.accounts import two_factor
from portal.accounts.operations import AccountError, find_user
from portal.accounts.routes import bp
from portal.extensions import db


@bp.cli.command("reset-two-factor")
@click.argument("email")
@click.option("--reason", required=True, help="Why, and how the person's identity was checked (kept in the audit log).")
def reset_two_factor_command(email: str, reason: str) -> None:
    """Remove two-factor authentication from the account of EMAIL (lost phone and recovery codes)."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    try:
        two_factor.reset_two_factor(user, reason=reason)
    except AccountError as err:
        raise click.ClickException(err.message) from err
    db.session.commit()
    click.echo(f"Two-factor authentication removed for {user.email}; their sessions have ended.")


@bp.cli.command("rotate-encryption")
def rotate_encryption_command() -> None:
    """Re-encrypt the stored secrets with the first key of DATA_ENCRYPTION_KEYS (after adding a new key first)."""
    count = two_factor.rotate_encryption()
    db.session.commit()
    click.echo(f"{count} two-factor secret(s) encrypted again with the first key.")
