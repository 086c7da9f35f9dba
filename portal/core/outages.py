"""When the database is unreachable (restarted, failed over, network cut), a request gets a 503 page that says so and
when to try again (Retry-After), never a stack trace. Nothing half-done is kept: the request's transaction is rolled
back, and the connection pool is emptied so that the next request opens fresh connections (with
`pool_pre_ping`, a connection that died while idle is replaced before use). What was committed before stays."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import DBAPIError, OperationalError

from portal.extensions import db

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def _disconnected(error: Exception) -> bool:
    """OperationalError (refused, timed out, terminated), or any driver error SQLAlchemy knows is a lost connection."""
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def _forget_connections() -> None:
    for step in (db.session.rollback, db.session.remove, db.engine.dispose):
        try:
            step()
        except Exception:  # the connection is gone already: nothing to roll back
            log.debug("while forgetting database connections", exc_info=True)


def init_app(app: Flask) -> None:
    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError):
        if not _disconnected(error):
            raise error  # a real bug (constraint, syntax): the 500 page, and the error logged
        log.error("database unreachable on %s %s: %s", request.method, request.path, error.orig)
        _forget_connections()
        title = _l("The portal is briefly unavailable")
        message = _l(
            "The portal cannot reach its database just now. Nothing you sent was saved by this request: wait a "
            "minute and try again. What was saved before is safe."
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            return jsonify(error="service_unavailable", message=str(message)), 503, headers
        # The page must not reach the database itself: no signed-in user to load, no unread notifications to count.
        g._login_user = AnonymousUserMixin()
        try:
            body = render_template("errors/error.html", code=503, title=title, message=message)
        except Exception:
            log.exception("the 503 page could not be rendered")
            body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>"
        return body, 503, headers
