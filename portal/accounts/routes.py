"""Sign-in, registration, password reset, invitations and the account page."""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException

from portal.accounts import confirmation, operations, sessions
from portal.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ConfirmEmailForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    role_label,
    show_error,
)
from portal.accounts.operations import AccountError, InvitationError, UnconfirmedError
from portal.core.access import authenticated, public
from portal.core.i18n import locale_code
from portal.core.urls import is_local_path
from portal.extensions import db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("accounts", __name__, url_prefix=None)


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"role_label": role_label}


def _sign_in(user) -> None:
    """A new session at sign-in: nothing of the anonymous one carries over. An account without two-factor
    authentication has no second factor to give (managers and administrators are then sent to set it up)."""
    sessions.start_session(user, two_factor=False)


bp.before_app_request(sessions.check_session)


# -- rate limits (ASVS 2.2.1): per address and per account, counting what failed ---------------------------------


def _account_key() -> str:
    try:
        email = request.form.get("email", "")
    except HTTPException as exc:  # a body the form parser refuses (413...): the view raises it (see `limited`)
        g.form_error = exc
        email = ""
    return "account:" + operations.normalise_email(email)


def _config_limit(name: str):
    return lambda: current_app.config[name]


def _failed(response) -> bool:
    """A sign-in that did not go through re-renders the form (200); one that did redirects."""
    return response.status_code == 200


def limited(address_limit: str, account_limit: str, *, failures_only: bool = False, account_key=_account_key):
    """Both limits on the POSTs of a view: one per client address, one per account (the e-mail typed)."""
    deduct = _failed if failures_only else None

    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            form_error = g.pop("form_error", None)
            if form_error is not None:
                raise form_error
            return view(*args, **kwargs)

        per_account = limiter.limit(
            _config_limit(account_limit), key_func=account_key, methods=["POST"], deduct_when=deduct, scope="account"
        )(checked)
        return limiter.limit(_config_limit(address_limit), methods=["POST"], deduct_when=deduct, scope="address")(
            per_account
        )

    return decorator


def _message_page(title: str, message: str, link: str | None = None, link_label: str | None = None, code: int = 200):
    return (
        render_template("accounts/message.html", title=title, message=message, link=link, link_label=link_label),
        code,
    )


@bp.route("/login", methods=["GET", "POST"])
@limited("LIMIT_SIGN_IN_PER_ADDRESS", "LIMIT_SIGN_IN_PER_ACCOUNT", failures_only=True)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    unconfirmed = False
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data)
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
            unconfirmed = isinstance(err, UnconfirmedError)
        else:
            db.session.commit()
            target = form.next.data if is_local_path(form.next.data) else None
            if user.two_factor_enabled:
                sessions.begin_pending(user, target)
                return redirect(url_for("accounts.two_factor_verify"))
            _sign_in(user)
            return redirect(target or url_for("main.home"))
    return render_template("accounts/login.html", form=form, unconfirmed=unconfirmed)


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():
    operations.record_logout(current_user._get_current_object())
    db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()  # nothing of the signed-in session stays, but the language the person reads
    if locale:
        session["locale"] = locale
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@limited("LIMIT_REGISTER_PER_ADDRESS", "LIMIT_REGISTER_PER_ACCOUNT")
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    # An invitation link (to a consortium, say) sends people here with the page to come back to.
    target = request.args.get("next")
    target = target if is_local_path(target) else None
    if form.validate_on_submit():
        try:
            user = operations.register_user(
                form.email.data,
                form.full_name.data,
                form.password.data,
                locale=locale_code(),
                address_proved=confirmation.invitation_proves_address(target, form.email.data),
                next_path=target,
            )
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            if user is not None and user.email_confirmed:  # came from an invitation sent to this address
                _sign_in(user)
                flash(_("Welcome! Your account is ready. Now tell us about your organisation."), "success")
                return redirect(url_for("organisations.create", next=target))
            # The same answer whether or not the address already had an account (ASVS 2.2.3).
            session["registered_email"] = operations.normalise_email(form.email.data)
            return redirect(url_for("accounts.check_inbox"))
    return render_template("accounts/register.html", form=form)


@bp.route("/register/check-inbox")
@public
def check_inbox():
    return render_template("accounts/check_inbox.html", email=session.get("registered_email"))


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str):
    """The link e-mailed at registration. Opening it shows a button; confirming is a POST (a link checker that
    fetches the page confirms nothing). Then the person signs in, with the password they chose."""
    try:
        user, next_path = confirmation.confirmation_for_token(token)
    except confirmation.AlreadyConfirmedError as err:
        return _message_page(
            _("Your address is already confirmed"), err.message, url_for("accounts.login"), _("Sign in"), 410
        )
    except AccountError as err:
        return _message_page(
            _("This link cannot be used"),
            err.message,
            url_for("accounts.resend_confirmation"),
            _("Ask for a new link"),
            410,
        )
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        confirmation.confirm_by_token(token)
        db.session.commit()
        if current_user.is_authenticated and current_user.id != user.id:
            logout_user()
            session.clear()
        flash(_("Your e-mail address is confirmed. Sign in to continue."), "success")
        return redirect(url_for("accounts.login", next=next_path))
    return render_template("accounts/confirm_email.html", form=form, email=user.email)


@bp.route("/register/resend", methods=["GET", "POST"])
@limited("LIMIT_RESET_PER_ADDRESS", "LIMIT_RESET_PER_ACCOUNT")
@public
def resend_confirmation():
    form = ResendConfirmationForm()
    if request.method == "GET" and session.get("registered_email"):
        form.email.data = session["registered_email"]
    if form.validate_on_submit():
        confirmation.resend_confirmation(form.email.data)
        db.session.commit()
        flash(
            _(
                "If an account waiting for confirmation exists for %(email)s, we have sent it a new link. "
                "Check your inbox (and your spam folder).",
                email=operations.normalise_email(form.email.data),
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend_confirmation.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limited("LIMIT_RESET_PER_ADDRESS", "LIMIT_RESET_PER_ACCOUNT")
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _(
                "If an account exists for %(email)s, we have sent it a link to choose a new password. "
                "Check your inbox (and your spam folder).",
                email=operations.normalise_email(form.email.data),
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        operations.user_for_reset_token(token)
    except AccountError as err:
        return _message_page(
            _("This link cannot be used"),
            err.message,
            url_for("accounts.forgot_password"),
            _("Ask for a new link"),
            410,
        )
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.password.data)
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Sign in with your new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    try:
        invitation = operations.find_invitation(token)
    except InvitationError as err:
        return _message_page(
            _("This invitation cannot be used"),
            err.message,
            None,
            None,
            410,
        )
    existing = operations.find_user(invitation.email)

    if existing is None:
        form = AcceptInvitationForm()
        if form.validate_on_submit():
            try:
                user = operations.accept_invitation_new_account(
                    invitation, full_name=form.full_name.data, password=form.password.data, locale=locale_code()
                )
            except InvitationError as err:
                db.session.rollback()
                show_error(form, err)
            else:
                db.session.commit()
                if current_user.is_authenticated:
                    logout_user()
                _sign_in(user)
                flash(_("Welcome! Your account is ready."), "success")
                if invitation.organisation_id:
                    return redirect(url_for("organisations.view", org_id=invitation.organisation_id))
                return redirect(url_for("main.home"))
        return render_template("accounts/invitation.html", invitation=invitation, form=form, state="new")

    if invitation.organisation_id is None:
        return _message_page(
            _("This invitation cannot be used"),
            _(
                "An account with this e-mail address already exists, so this staff invitation cannot be used. "
                "Please contact the administrator to change your role."
            ),
            code=409,
        )
    if not current_user.is_authenticated:
        login_link = url_for("accounts.login", next=request.path)
        return render_template("accounts/invitation.html", invitation=invitation, state="sign_in", login=login_link)
    if current_user.id != existing.id:
        return render_template("accounts/invitation.html", invitation=invitation, state="wrong_user")

    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.accept_invitation_existing_account(invitation, current_user._get_current_object())
        except InvitationError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            flash(
                _("You are now a member of %(name)s.", name=invitation.organisation.name),
                "success",
            )
            return redirect(url_for("organisations.view", org_id=invitation.organisation_id))
    return render_template("accounts/invitation.html", invitation=invitation, form=form, state="confirm")


@bp.route("/account", methods=["GET", "POST"])
@authenticated
def account():
    user = current_user._get_current_object()
    posted = request.form if request.method == "POST" else None
    changing_password = posted is not None and "password-submit" in posted
    profile = ProfileForm(prefix="profile", obj=user, formdata=None if changing_password else posted)
    password = ChangePasswordForm(prefix="password", formdata=posted if changing_password else None)

    if posted is not None and not changing_password and profile.validate():
        try:
            operations.update_account(
                user,
                full_name=profile.full_name.data,
                locale=profile.locale.data,
                timezone=profile.timezone.data,
                by=user,
            )
        except AccountError as err:
            db.session.rollback()
            show_error(profile, err)
        else:
            db.session.commit()
            session["locale"] = user.locale
            flash(_("Your details have been saved."), "success")
            return redirect(url_for("accounts.account"))

    if changing_password and password.validate():
        try:
            operations.change_password(user, password.current_password.data, password.password.data)
        except AccountError as err:
            db.session.rollback()
            show_error(password, err)
        else:
            db.session.commit()
            sessions.renew_session(user)  # this session follows the new password; every other one of the account ends
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.account"))

    return render_template("accounts/account.html", profile=profile, password=password, user=user)


from portal.accounts import cli, two_factor_routes  # noqa: E402, F401 - register the 2FA pages and commands on bp
