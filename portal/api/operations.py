"""API tokens: a programme manager (or administrator) creates named tokens for themselves and revokes them. The
token is shown once, at creation; only its SHA-256 and its first characters (to tell tokens apart) are stored."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.api.models import ApiToken
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.extensions import db

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gfp_"  # noqa: S105 - not a secret: makes tokens recognisable in logs and by secret scanners
PREFIX_LENGTH = 12  # what lists show: "gfp_" and 8 random characters
MAX_ACTIVE_TOKENS = 10
EXPIRY_CHOICES_DAYS = (30, 90, 365)
MAX_NAME = 100


class ApiTokenError(RuleError):
    pass


def create_token(user: User, name: str, expires_in_days: int | None, by: User) -> tuple[ApiToken, str]:
    """A new token for `user` (created by `by`, the same person from the tokens page); returns the row and the
    secret, which the caller shows once and never keeps."""
    name = (name or "").strip()
    errors = []
    if not user.is_staff:
        errors.append((None, _("Only programme managers and administrators can have API tokens.")))
    if not name:
        errors.append(("name", _("Give the token a name, e.g. the program that will use it.")))
    elif len(name) > MAX_NAME:
        errors.append(("name", _("A token name has at most %(max)d characters.", max=MAX_NAME)))
    if expires_in_days is not None and expires_in_days not in EXPIRY_CHOICES_DAYS:
        errors.append(("expires_in_days", _("Choose one of the proposed lifetimes.")))
    active = [t for t in tokens_of(user) if t.is_active()]
    if name and any(t.name.casefold() == name.casefold() for t in active):
        errors.append(("name", _("You already have a token named “%(name)s”: choose another name.", name=name)))
    if len(active) >= MAX_ACTIVE_TOKENS:
        errors.append(
            (None, _("You have %(count)d active tokens: revoke one you no longer use first.", count=len(active)))
        )
    if errors:
        raise ApiTokenError(errors)

    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=ApiToken.hash_token(secret),
        created_at=now,
        created_by_id=by.id,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.created",
        token,
        actor=by,
        after={"user_id": user.id, "name": name, "prefix": token.prefix, "expires_at": token.expires_at},
    )
    log.info("API token %s (%s) created for user %s", token.id, token.prefix, user.id)
    return token, secret


def revoke_token(token: ApiToken, by: User) -> ApiToken:
    if token.revoked_at is not None:
        raise ApiTokenError(_("This token was already revoked."))
    token.revoked_at = utcnow()
    token.revoked_by_id = by.id
    audit.record(
        "api_token.revoked",
        token,
        actor=by,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at, "name": token.name, "prefix": token.prefix},
    )
    db.session.flush()
    log.info("API token %s (%s) revoked", token.id, token.prefix)
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (active and past ones: the list is their history too)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )
