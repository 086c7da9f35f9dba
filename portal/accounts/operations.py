"""Accounts: registration, sign-in, password reset, invitations and the account page.

Every function checks its preconditions, changes the objects, writes the audit entry and flushes; none reads
`request` or commits (the route or task that calls it commits once at its end)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zoneinfo
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func

from portal.accounts.models import ROLE_VALUES, Invitation, Role, User
from portal.accounts.passwords import password_problem
from portal.core import mail
from portal.core.audit import record, snapshot
from portal.core.db import utcnow
from portal.core.urls import external_url
from portal.extensions import db
from portal.organisations.models import Membership, Organisation

log = logging.getLogger(__name__)

RESET_SALT = "password-reset"
# Roles an administrator may give through a staff invitation; organisation invitations always give "applicant".
STAFF_INVITATION_ROLES = (Role.EVALUATOR.value, Role.MANAGER.value)
PROFILE_FIELDS = ["full_name", "locale", "timezone"]


class AccountError(ValueError):
    """A rule of the accounts area was not met; `message` is for the user, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvitationError(AccountError):
    pass


class UnconfirmedError(AccountError):
    """The password was right but the account's address is not yet confirmed."""


# -- helpers -----------------------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(func.lower(User.email) == normalise_email(email)))


def check_new_password(password: str, *, email: str = "", full_name: str = "") -> None:
    """Refuse a common password, or one made of the person's e-mail address or name (portal/accounts/passwords.py)."""
    problem = password_problem(password, email=email, full_name=full_name)
    if problem:
        raise AccountError(problem, field="password")


# -- registration and sign-in ------------------------------------------------------------------------------------


def register_user(
    email: str, full_name: str, password: str, *, locale: str = "en", address_proved: bool = False, next_path=None
) -> User | None:
    """Self-registration (always an applicant), answering the same way whether or not the address has an account
    (ASVS 2.2.3): the same work is done in both cases (the password hashed, one e-mail written to the outbox, one
    audit entry) and only the address's owner learns, by e-mail, which it was (portal/accounts/confirmation.py).

    A new address gets an unconfirmed account and a confirmation link (returned: the new user); an address with an
    account gets a message saying someone tried to register with it (returned: None). `address_proved` (the person
    came from an invitation link sent to this address) creates the account confirmed, without an e-mail."""
    from portal.accounts import confirmation

    email = normalise_email(email)
    check_new_password(password, email=email, full_name=full_name)
    candidate = User(
        email=email,
        full_name=full_name.strip(),
        role=Role.APPLICANT.value,
        locale=locale,
        email_confirmed_at=utcnow() if address_proved else None,
    )
    candidate.set_password(password)  # hashed in both cases: the answer takes the same time
    existing = find_user(email)
    if existing is not None:
        log.info("registration attempted for an address that has an account: %s", email)
        confirmation.send_already_registered(existing)
        db.session.flush()
        return None
    db.session.add(candidate)
    db.session.flush()
    record(
        "user.register",
        candidate,
        actor=candidate,
        after={**snapshot(candidate, ["email", "full_name", "role", "locale"]), "confirmed": address_proved},
    )
    if not address_proved:
        confirmation.send_confirmation(candidate, next_path)
    db.session.flush()
    return candidate


@lru_cache(maxsize=1)
def _dummy_user() -> User:
    user = User(email="nobody@invalid")
    user.set_password(secrets.token_urlsafe(16))
    return user


def authenticate(email: str, password: str) -> User:
    """The user whose e-mail and password these are; one message for an unknown e-mail or a wrong password."""
    user = find_user(email)
    if user is None:
        _dummy_user().check_password(password)  # spend the same time as for a known address
    if user is None or not user.check_password(password):
        log.info("failed sign-in for %s", normalise_email(email))
        raise AccountError(_("The e-mail address or password is not correct."))
    if not user.active:
        raise AccountError(_("This account has been deactivated. Contact the grant facility if you need access."))
    if not user.email_confirmed:
        # Only said to someone who knows the password: it tells nothing about which addresses have accounts.
        raise UnconfirmedError(
            _(
                "Confirm your e-mail address first: open the link in the message we sent you when you registered. "
                "If you cannot find it, ask for a new link."
            )
        )
    user.last_login_at = utcnow()
    record("user.login", user, actor=user)
    db.session.flush()
    return user


def record_logout(user: User) -> None:
    record("user.logout", user, actor=user)
    db.session.flush()


def notify_security_change(user: User, change: str) -> None:
    """Tell the account's owner, by e-mail, that how they sign in changed (ASVS 2.2.3): "password",
    "two_factor_on", "two_factor_off" or "recovery_codes"; sent once the change is committed."""
    link = external_url("accounts.forgot_password")
    mail.send(user.email, "accounts_security_notice", user.locale, user=user, change=change, link=link)


# -- password reset ----------------------------------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"uid": user.id, "state": user.password_state()})


def request_password_reset(email: str) -> None:
    """E-mail a reset link if an active account has this address; say nothing either way."""
    user = find_user(email)
    if user is None or not user.active:
        log.info("password reset asked for unknown or inactive address %s", normalise_email(email))
        return
    link = external_url("accounts.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    mail.send(user.email, "accounts_password_reset", user.locale, user=user, link=link, minutes=minutes)
    record("user.password_reset_requested", user, actor=user)
    db.session.flush()


def user_for_reset_token(token: str, max_age: int | None = None) -> User:
    """The user a reset link is for; AccountError if it is forged, expired, already used or the account is off."""
    if max_age is None:
        max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError(_("This password reset link has expired.")) from exc
    except BadSignature as exc:
        raise AccountError(_("This password reset link is not valid.")) from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("state") != user.password_state():
        raise AccountError(_("This password reset link has already been used or is no longer valid."))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    check_new_password(new_password, email=user.email, full_name=user.full_name)
    user.set_password(new_password)
    record("user.password_reset", user, actor=user)
    if not user.email_confirmed:  # the link reached the address: that proves it
        from portal.accounts.confirmation import confirm_email

        confirm_email(user, proof="password_reset")
    notify_security_change(user, "password")
    db.session.flush()
    return user


# -- the account page --------------------------------------------------------------------------------------------


def update_account(user: User, *, full_name: str, locale: str, timezone: str, by: User) -> User:
    if locale not in current_app.config["LANGUAGES"]:
        raise AccountError(_("Choose a language from the list."), field="locale")
    if timezone not in zoneinfo.available_timezones():
        raise AccountError(_("Choose a time zone from the list."), field="timezone")
    before = snapshot(user, PROFILE_FIELDS)
    user.full_name = full_name.strip()
    user.locale = locale
    user.timezone = timezone
    after = snapshot(user, PROFILE_FIELDS)
    if after != before:
        record("user.update", user, actor=by, before=before, after=after)
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    if not user.check_password(current_password):
        raise AccountError(_("Your current password is not correct."), field="current_password")
    check_new_password(new_password, email=user.email, full_name=user.full_name)
    user.set_password(new_password)
    record("user.password_change", user, actor=user)
    notify_security_change(user, "password")
    db.session.flush()
    return user


# -- invitations -------------------------------------------------------------------------------------------------


def invite_user(email: str, role: str, *, organisation: Organisation | None = None, by: User) -> Invitation:
    """Create an invitation and e-mail its one-time link: staff (evaluator, manager) invited by an administrator,
    or a colleague invited by a member of `organisation` (always as an applicant)."""
    email = normalise_email(email)
    if role not in ROLE_VALUES:
        raise InvitationError(_("Choose a role from the list."), field="role")
    existing = find_user(email)
    if organisation is None:
        if not by.is_admin:
            raise InvitationError(_("Only an administrator can invite staff."))
        if role not in STAFF_INVITATION_ROLES:
            raise InvitationError(_("Staff can be invited as evaluators or programme managers only."), field="role")
        if existing is not None:
            raise InvitationError(
                _("An account with this e-mail address already exists; an invitation cannot change its role."),
                field="email",
            )
    else:
        if not organisation.can_edit(by):
            raise InvitationError(_("Only members of the organisation can invite colleagues."))
        if role != Role.APPLICANT.value:
            raise InvitationError(_("Colleagues join an organisation as applicants."), field="role")
        if existing is not None and organisation.is_member(existing):
            raise InvitationError(_("%(email)s is already a member of this organisation.", email=email), field="email")

    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        organisation=organisation,
        token_hash=Invitation.hash_token(token),
        invited_by=by,
        expires_at=utcnow() + dt.timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    record(
        "invitation.create",
        invitation,
        actor=by,
        after=snapshot(invitation, ["email", "role", "organisation_id", "expires_at"]),
    )

    link = external_url("accounts.accept_invitation", token=token)
    locale = existing.locale if existing is not None else by.locale
    if organisation is None:
        mail.send(email, "accounts_staff_invitation", locale, invitation=invitation, link=link, inviter=by)
    else:
        mail.send(
            email,
            "organisations_invitation",
            locale,
            invitation=invitation,
            organisation=organisation,
            link=link,
            inviter=by,
        )
    db.session.flush()
    return invitation


def find_invitation(token: str) -> Invitation:
    """The usable invitation behind a link; InvitationError if it is unknown, already used or expired."""
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.token_hash == Invitation.hash_token(token)))
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied the whole link."))
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation has already been used."))
    if not invitation.is_usable():
        raise InvitationError(_("This invitation has expired."))
    return invitation


def _mark_accepted(invitation: Invitation, user: User) -> None:
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    record(
        "invitation.accept",
        invitation,
        actor=user,
        before={"accepted_at": None},
        after=snapshot(invitation, ["accepted_at", "accepted_by_id"]),
    )


def _add_membership(invitation: Invitation, user: User) -> Membership:
    organisation = invitation.organisation
    membership = Membership(user=user, organisation=organisation, is_contact=False)
    db.session.add(membership)
    db.session.flush()
    record(
        "membership.create",
        membership,
        actor=user,
        after={"organisation_id": organisation.id, "user_id": user.id, "is_contact": False},
    )
    return membership


def accept_invitation_new_account(invitation: Invitation, *, full_name: str, password: str, locale: str) -> User:
    """Create the invited person's account (with the invitation's role, and membership for organisation
    invitations)."""
    if not invitation.is_usable():
        raise InvitationError(_("This invitation has expired or has already been used."))
    if find_user(invitation.email) is not None:
        raise InvitationError(_("An account with this e-mail address already exists. Sign in to accept."))
    problem = password_problem(password, email=invitation.email, full_name=full_name)
    if problem:
        raise InvitationError(problem, field="password")
    user = User(email=invitation.email, full_name=full_name.strip(), role=invitation.role, locale=locale)
    user.email_confirmed_at = utcnow()  # the invitation link reached this address: that proves it
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", user, actor=user, after=snapshot(user, ["email", "full_name", "role", "locale"]))
    if invitation.organisation is not None:
        _add_membership(invitation, user)
    _mark_accepted(invitation, user)
    db.session.flush()
    return user


def accept_invitation_existing_account(invitation: Invitation, user: User) -> Membership:
    """An existing, signed-in account joins the invitation's organisation."""
    if not invitation.is_usable():
        raise InvitationError(_("This invitation has expired or has already been used."))
    if normalise_email(user.email) != invitation.email:
        raise InvitationError(
            _("This invitation is for %(email)s. Sign in with that account to accept it.", email=invitation.email)
        )
    if invitation.organisation is None:
        raise InvitationError(
            _(
                "An account with this e-mail address already exists, so this staff invitation cannot be used. "
                "Please contact the administrator to change your role."
            )
        )
    if invitation.organisation.is_member(user):
        raise InvitationError(_("You are already a member of this organisation."))
    membership = _add_membership(invitation, user)
    _mark_accepted(invitation, user)
    db.session.flush()
    return membership
