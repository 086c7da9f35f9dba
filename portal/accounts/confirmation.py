"""Confirming the e-mail address of a new account (ASVS 2.2.3 / 2.5.x: no account enumeration through registration).

Registration answers the same for every address ("check your inbox"): a new address gets an account that is not yet
confirmed and a link to confirm it; an address that already has an account gets, instead, a message saying that
someone tried to register with it, with links to sign in and to reset the password. Only the owner of the address
learns which it was. An unconfirmed account cannot sign in.

The confirmation link is signed (itsdangerous, with SECRET_KEY and its own salt), expires after
EMAIL_CONFIRMATION_MAX_AGE, and works once: it is good only while the account is unconfirmed. A link that proves the
address some other way confirms it too: an invitation to a consortium sent to that very address (registering from
it), a staff or organisation invitation, a password reset.

Like every operation: check, change, audit, flush; never read the request, never commit."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from portal.accounts.models import User
from portal.accounts.operations import AccountError, find_user, normalise_email
from portal.core import mail
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.urls import external_url, is_local_path
from portal.extensions import db

log = logging.getLogger(__name__)

CONFIRMATION_SALT = "email-confirmation"


class AlreadyConfirmedError(AccountError):
    """The link was good but has been used: the address is confirmed already."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRMATION_SALT)


def make_confirmation_token(user: User, next_path: str | None = None) -> str:
    data = {"uid": user.id, "email": user.email}
    if is_local_path(next_path):
        data["next"] = next_path
    return _serializer().dumps(data)


def send_confirmation(user: User, next_path: str | None = None) -> None:
    """E-mail the link that confirms the account's address (through the outbox, like every e-mail)."""
    link = external_url("accounts.confirm_email", token=make_confirmation_token(user, next_path))
    hours = current_app.config["EMAIL_CONFIRMATION_MAX_AGE"] // 3600
    mail.send(user.email, "accounts_confirm_email", user.locale, user=user, link=link, hours=hours)


def send_already_registered(user: User) -> None:
    """Tell the owner of an address that already has an account that someone tried to register with it."""
    mail.send(
        user.email,
        "accounts_already_registered",
        user.locale,
        user=user,
        login_link=external_url("accounts.login"),
        reset_link=external_url("accounts.forgot_password"),
    )
    record("user.register_existing", user, actor=None, after={"email": user.email})


def confirmation_for_token(token: str, max_age: int | None = None) -> tuple[User, str | None]:
    """The unconfirmed account a link is for, and the page to go to after signing in; AccountError if the link is
    forged, expired, already used, or its account is off."""
    if max_age is None:
        max_age = current_app.config["EMAIL_CONFIRMATION_MAX_AGE"]
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError(
            _("This confirmation link has expired. Ask for a new one: it is sent to the same address.")
        ) from exc
    except BadSignature as exc:
        raise AccountError(_("This confirmation link is not valid. Check that you copied the whole link.")) from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or normalise_email(user.email) != data.get("email"):
        raise AccountError(_("This confirmation link is not valid. Check that you copied the whole link."))
    if user.email_confirmed:
        raise AlreadyConfirmedError(
            _("This confirmation link has already been used: your address is confirmed. Sign in.")
        )
    next_path = data.get("next")
    return user, next_path if is_local_path(next_path) else None


def confirm_email(user: User, *, proof: str = "link") -> User:
    """Mark the account's address as confirmed; `proof` says how ("link", "invitation", "password_reset")."""
    if user.email_confirmed:
        return user
    user.email_confirmed_at = utcnow()
    record(
        "user.email_confirm",
        user,
        actor=user,
        before={"email_confirmed_at": None},
        after={"email_confirmed_at": user.email_confirmed_at, "proof": proof},
    )
    db.session.flush()
    return user


def confirm_by_token(token: str) -> tuple[User, str | None]:
    user, next_path = confirmation_for_token(token)
    confirm_email(user, proof="link")
    return user, next_path


def resend_confirmation(email: str) -> None:
    """A new link for an account that waits for confirmation; nothing (and the same answer) for any other address."""
    user = find_user(email)
    if user is None or not user.active or user.email_confirmed:
        log.info("confirmation asked again for an address with no account waiting: %s", normalise_email(email))
        return
    send_confirmation(user)
    record("user.email_confirmation_resent", user, actor=None)
    db.session.flush()


def invitation_proves_address(next_path: str | None, email: str) -> bool:
    """True when the person registers from a consortium invitation link (the page to come back to) sent to this very
    address: receiving that link proved the address is theirs."""
    if not is_local_path(next_path):
        return False
    from portal.consortia.operations import ConsortiumError, partner_for_token

    try:
        endpoint, values = current_app.url_map.bind("localhost").match(next_path.split("?", 1)[0], method="GET")
    except (HTTPException, RequestRedirect):
        return False
    if endpoint != "consortia.join":
        return False
    try:
        partner = partner_for_token(values["token"])
    except ConsortiumError:  # forged, expired, withdrawn or answered: it proves nothing
        return False
    return bool(partner.invited_email) and normalise_email(partner.invited_email) == normalise_email(email)
