"""Protections every response gets: security headers, and the rate limiter with its "too many attempts" answer.

The headers (ASVS 14.4): a Content-Security-Policy that allows only the portal's own scripts, styles and images (no
inline script or style: templates load portal/static files), frame protection twice (CSP frame-ancestors and
X-Frame-Options for older browsers), nosniff, a referrer policy that never sends a path to another site, and HSTS
where the configuration says the portal is served over HTTPS (HSTS_SECONDS > 0, set by ProductionConfig).
A response that already chose a stricter policy (a stored file sent by portal/core/downloads.py) keeps its own."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.extensions import limiter

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:  # the client's address and scheme as the trusted proxies saw them, for the per-address limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    limiter.init_app(app)
    app.after_request(add_security_headers)
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    seconds = current_app.config.get("HSTS_SECONDS", 0)
    if seconds:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(seconds)}; includeSubDomains")
    return response


def _retry_after_seconds() -> int:
    """Seconds until the limit that was hit lets a new attempt through (at least one)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def too_many_requests(error: RateLimitExceeded):
    """429 with Retry-After: a page in the user's language, or the API's JSON error for /api/."""
    seconds = _retry_after_seconds()
    minutes = max(1, round(seconds / 60))
    log.warning("rate limit hit on %s %s: %s", request.method, request.path, error.description)
    message = ngettext(
        "There have been too many attempts. For your security, wait %(num)d minute and try again.",
        "There have been too many attempts. For your security, wait %(num)d minutes and try again.",
        minutes,
    )
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"code": "too_many_requests", "message": message}})
        response.status_code = 429
        response.headers["Cache-Control"] = "no-store"
    else:
        response = Response(
            render_template("errors/error.html", code=429, title=_("Too many attempts"), message=message),
            status=429,
        )
    response.headers["Retry-After"] = str(seconds)
    return response
