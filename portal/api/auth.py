"""Token authentication for the JSON API: `Authorization: Bearer <token>`, where the token is one a manager created
for themselves (portal/api/operations.py). Only the token's SHA-256 is stored, so it is looked up by its hash.

Missing, unknown, revoked or expired token, or a deactivated account: 401 with a `WWW-Authenticate` challenge
(RFC 6750). A valid token whose owner is no longer staff: 403. Sessions (cookies) are not accepted here: a client
of the API is a program, and a cookie-authenticated JSON endpoint would need CSRF protection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g
from flask import request as flask_request
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.api.errors import ApiError
from portal.api.models import ApiToken
from portal.core.access import ACCESS_ATTR
from portal.core.db import utcnow
from portal.extensions import db

REALM = "portal-api"
# last_used_at is written at most once per this interval and token, so that a busy client does not turn every read
# into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if description:
        value += ', error_description="{}"'.format(description.replace('"', "'"))
    return {"WWW-Authenticate": value}


def _unauthorised(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=_challenge("invalid_token", message))


def authenticate(request=None) -> User:
    """The staff user the request's bearer token belongs to, or an ApiError (401/403). One query, plus one cheap
    UPDATE at most every few minutes per token."""
    request = request or flask_request
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise ApiError(
            401,
            "missing_token",
            _("Send your API token in the header “Authorization: Bearer <token>”."),
            headers=_challenge(),
        )
    row = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == ApiToken.hash_token(secret))
    ).first()
    if row is None:
        raise _unauthorised("invalid_token", _("This API token is not valid."))
    token, user = row
    now = utcnow()
    if token.revoked_at is not None:
        raise _unauthorised("revoked_token", _("This API token was revoked."))
    if token.is_expired(now):
        raise _unauthorised("expired_token", _("This API token has expired."))
    if not user.active:
        raise _unauthorised("invalid_token", _("The account this API token belongs to is deactivated."))
    if not user.is_staff:
        raise ApiError(
            403,
            "forbidden",
            _("The API is for programme managers; the owner of this token no longer is one."),
            headers=_challenge("insufficient_scope"),
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return user


def token_required(view: Callable) -> Callable:
    """The view runs only for a valid token of a staff user, available as `g.api_user`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        g.api_user = authenticate()
        return view(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, "token:admin,manager")
    return wrapper
