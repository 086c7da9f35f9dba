"""What a page accepts (ASVS 5.1.1, 13.1.1), checked before any view runs:

- a form route's body is a web form (urlencoded or multipart), or a JSON object of strings, which Flask-WTF reads
  as form data. Any other JSON (a number, a list, null, a nested object, numbers as values) would reach WTForms'
  fields as values they cannot handle and end in a server error: 400.
- no query argument or form field carries a NUL character, which no person types and PostgreSQL cannot store
  or compare ("text fields cannot contain NUL"): 400.

The bearer-token API (/api/) answers its own errors in JSON (portal/api/routes.py) and takes no body."""

from __future__ import annotations

from flask import Flask, abort, request

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_form_data(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    return all(
        isinstance(item, str) or (isinstance(item, list) and all(isinstance(v, str) for v in item))
        for item in value.values()
    )


def has_nul(values) -> bool:
    """True when a MultiDict (request.args, request.form) has a NUL in a name or a value."""
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def refuse_unusable_input() -> None:
    if request.blueprint == "api" or request.endpoint == "static":
        return
    if has_nul(request.args):
        abort(400)
    if request.method not in STATE_CHANGING:
        return
    if request.is_json:
        if not _is_form_data(request.get_json(silent=True)):
            abort(400)
    elif has_nul(request.form):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unusable_input)
