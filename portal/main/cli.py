"""Command-line tasks: `flask --app wsgi seed-demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo facility (running it twice changes nothing) and print the demo logins."""
        from portal.demo.seed import login_table, seed

        result = seed()
        if result.changed:
            made = ", ".join(f"{count} {kind}" for kind, count in sorted(result.created.items()))
            click.echo(f"Demo facility loaded: {made}.")
        else:
            click.echo("The demo facility was already loaded; nothing changed.")
        click.echo("")
        click.echo(login_table(current_app.config["PUBLIC_BASE_URL"]))
