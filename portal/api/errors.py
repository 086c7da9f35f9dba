"""The API's errors: always JSON, `{"error": {"code": "...", "message": "...", "details": [...]}}`, with the HTTP
status that says what went wrong (400 bad arguments, 401 no or bad token, 403 not allowed, 404 unknown, 405 wrong
method). Messages are for the person who writes the client; `code` is for the client itself."""

from __future__ import annotations

from flask import Response, jsonify
from flask_babel import gettext as _


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or []
        self.headers = headers or {}


def error_response(error: ApiError) -> Response:
    body: dict = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    response = jsonify({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def http_error_response(status: int, exception: Exception | None = None) -> Response:
    """The JSON form of the application's own error pages (unknown route, wrong method, server error...) for any
    URL under /api/, called from the error handlers in portal/__init__.py."""
    known = {
        400: ("bad_request", _("The request could not be understood.")),
        403: ("forbidden", _("You are not allowed to do this.")),
        404: ("not_found", _("There is nothing at this address.")),
        405: ("method_not_allowed", _("This address does not accept this method; the API only reads (GET).")),
        409: ("conflict", _("Someone else changed this first.")),
        413: ("too_large", _("The request is too large.")),
        500: ("server_error", _("Something went wrong; the error was logged.")),
    }
    code, message = known.get(status, ("error", _("The request failed.")))
    headers = {}
    valid = getattr(exception, "valid_methods", None)
    if status == 405 and valid:
        headers["Allow"] = ", ".join(sorted(valid))
    return error_response(ApiError(status, code, message, headers=headers))
