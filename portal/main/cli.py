"""Command-line tasks: `flask --app wsgi seed-demo`."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo facility (running it twice changes nothing) and print the demo logins."""
        from portal.demo.seed import seed

        seed()
        click.echo("demo loaded")
