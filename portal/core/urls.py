"""Absolute links for e-mails, letters and tasks."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """An absolute link: from the request when there is one, else from PUBLIC_BASE_URL (Celery tasks, the CLI)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def is_local_path(target: str | None) -> bool:
    """True for a path on this site ("/proposals/3"), false for anything that could leave it."""
    # Browsers read "\\" as "/" and drop tabs and newlines, so "/\\evil.example" or "/\t/evil.example" would leave.
    if not target or not target.startswith("/") or "\\" in target or any(ord(c) < 33 for c in target):
        return False
    return not target.startswith("//")
