"""The life of a signed-in session (ASVS V3): renewed at sign-in, ended after SESSION_IDLE_MINUTES without a request
and SESSION_ABSOLUTE_HOURS after sign-in, and held at the two-factor step until the second factor is given.

The session (a signed cookie) carries, besides Flask-Login's user id and account fingerprint:
- `_auth_at`: when the person signed in (epoch seconds), for the absolute time-out;
- `_seen_at`: the last request (epoch seconds, refreshed at most once a minute), for the idle time-out;
- `_2fa`: True once the second factor was checked in this session (or two-factor was set up in it).
A session without `_auth_at` is not one this code opened, and ends. Programme managers and administrators whose
session has no `_2fa` reach only the two-factor set-up (or sign-out) until they have it."""

from __future__ import annotations

import functools
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

AUTH_AT, SEEN_AT, TWO_FACTOR = "_auth_at", "_seen_at", "_2fa"
# The sign-in half-done: the password was right, the second factor is still to come.
PENDING = "_2fa_pending"
PENDING_MAX_SECONDS = 300
SEEN_RESOLUTION = 60  # seconds: do not rewrite the cookie on every request

# Where a signed-in person may go before the second factor is settled.
TWO_FACTOR_OPEN_ENDPOINTS = {
    "static",
    "accounts.logout",
    "accounts.two_factor_setup",
    "main.set_language",
    "main.healthz",
}


def load_signed_in(user_id: int):
    """The signed-in user of a request (Flask-Login's user loader), with the user's memberships (every applicant
    page checks them) and the number of unread notifications (every page header shows it): one statement instead of
    three. None for an unknown id."""
    from portal.extensions import db

    return db.session.scalars(_signed_in_statement(), {"user_id": user_id}).unique().one_or_none()


@functools.cache
def _signed_in_statement():
    """Built once per process: SQLAlchemy keeps a statement's cache key, which it otherwise works out again from the
    loader options at every request."""
    from sqlalchemy import bindparam, func, select
    from sqlalchemy.orm import joinedload, with_expression

    from portal.accounts.models import User
    from portal.notifications.models import Notification

    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    return (
        select(User)
        .where(User.id == bindparam("user_id"))
        .options(joinedload(User.memberships), with_expression(User.unread_at_load, unread))
    )


def session_values(*, two_factor: bool, now: float | None = None) -> dict:
    """What a newly signed-in session carries besides the user id (also used by the tests' `login` fixture)."""
    now = time.time() if now is None else now
    return {AUTH_AT: int(now), SEEN_AT: int(now), TWO_FACTOR: bool(two_factor)}


def start_session(user, *, two_factor: bool) -> None:
    """A new session for `user`: nothing of the previous one carries over (ASVS 3.2.1)."""
    session.clear()
    login_user(user)
    session.update(session_values(two_factor=two_factor))
    session["locale"] = user.locale


def renew_session(user, *, two_factor: bool | None = None) -> None:
    """After a change to the account's fingerprint (password, 2FA): a fresh session id for this browser,
    keeping its sign-in time, language and two-factor state; every other session of the account has ended."""
    kept = {key: session.get(key) for key in (AUTH_AT, "locale")}
    verified = session.get(TWO_FACTOR, False) if two_factor is None else two_factor
    session.clear()
    login_user(user)
    session.update(session_values(two_factor=verified))
    session.update({k: v for k, v in kept.items() if v is not None})


def begin_pending(user, next_url: str | None) -> None:
    """The password was right and the account has two-factor authentication: wait for the code."""
    session.clear()
    session[PENDING] = {"uid": user.id, "state": user.session_state(), "at": int(time.time()), "next": next_url}


def pending_user():
    """The account waiting for its second factor in this session, or None (none, expired, or the account
    changed since)."""
    from portal.accounts.models import User
    from portal.extensions import db

    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_MAX_SECONDS:
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.is_active or user.session_state() != pending.get("state"):
        return None
    return user


def pending_next() -> str | None:
    pending = session.get(PENDING)
    return pending.get("next") if isinstance(pending, dict) else None


def _end(message: str):
    logout_user()
    session.clear()
    flash(message, "info")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=target.rstrip("?") if target else None))


def check_session():
    """Before every request: end a session that has timed out; hold a session that lacks its second factor."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    now = time.time()
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    config = current_app.config
    if not isinstance(auth_at, int | float) or not isinstance(seen_at, int | float):
        return _end(_("Your session has ended. Please sign in again."))
    if now - auth_at > config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return _end(
            _(
                "Your session ended because you signed in more than %(hours)d hours ago. Please sign in again.",
                hours=config["SESSION_ABSOLUTE_HOURS"],
            )
        )
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return _end(
            _(
                "Your session ended after %(minutes)d minutes without activity. Please sign in again.",
                minutes=config["SESSION_IDLE_MINUTES"],
            )
        )
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = int(now)

    if session.get(TWO_FACTOR) or request.blueprint == "api" or not current_user.is_authenticated:
        return None
    user = current_user
    if user.two_factor_enabled:  # cannot happen through the sign-in form: a session opened some other way
        return _end(_("Your session has ended. Please sign in again."))
    if user.two_factor_required and request.endpoint not in TWO_FACTOR_OPEN_ENDPOINTS:
        if request.method == "GET":
            flash(_("Programme managers and administrators must set up two-factor authentication first."), "info")
        return redirect(url_for("accounts.two_factor_setup"))
    return None
