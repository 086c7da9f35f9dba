"""What a form route accepts as its body (ASVS 5.1.1, 13.1.1): a web form (urlencoded or multipart), or a JSON
object of strings, which Flask-WTF reads as form data. Any other JSON (a number, a list, null, a nested object,
numbers as values) would reach WTForms' fields as values they cannot handle and end in a server error; it is
refused with 400 before any view runs. The bearer-token API (/api/) answers its own errors and takes no body."""

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


def refuse_unusable_json() -> None:
    if request.method not in STATE_CHANGING or not request.is_json or request.blueprint == "api":
        return
    if not _is_form_data(request.get_json(silent=True)):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unusable_json)
