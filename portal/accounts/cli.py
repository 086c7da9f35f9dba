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
    """Re-encrypt the stored secrets with the first key of DATA_ENCRYPTION_KEYS (after adding a new key first), and
    name the people whose recovery codes were made with an older key."""
    count = two_factor.rotate_encryption()
    db.session.commit()
    click.echo(f"{count} two-factor secret(s) encrypted again with the first key.")
    # Recovery codes are kept as keyed hashes: they cannot be made again with the new key without the codes.
    waiting = two_factor.recovery_codes_under_old_keys()
    if waiting:
        click.echo(
            f"{len(waiting)} person(s) have recovery codes made with an older key; they work while that key is "
            "listed. Ask them to make new recovery codes (account page) before removing it: "
            + ", ".join(user.email for user in waiting)
        )
