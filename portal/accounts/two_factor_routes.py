"""Two-factor authentication pages: the second step of sign-in, set-up on the account, recovery codes, turning it
off. Registered on the accounts blueprint (imported at the end of portal/accounts/routes.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts import sessions, two_factor
from portal.accounts.forms import (
    RecoveryCodesForm,
    TwoFactorConfirmForm,
    TwoFactorDisableForm,
    TwoFactorVerifyForm,
    show_error,
)
from portal.accounts.operations import AccountError
from portal.accounts.routes import bp, limited
from portal.core.access import authenticated, public
from portal.extensions import db

TWO_FACTOR_PAGES = {
    "accounts.two_factor_verify",
    "accounts.two_factor_setup",
    "accounts.two_factor_new_codes",
    "accounts.two_factor_disable",
}


def _pending_account_key() -> str:
    pending = session.get(sessions.PENDING)
    return f"two-factor:{pending.get('uid') if isinstance(pending, dict) else 'none'}"


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limited(
    "LIMIT_TWO_FACTOR_PER_ADDRESS", "LIMIT_TWO_FACTOR_PER_ACCOUNT", failures_only=True, account_key=_pending_account_key
)
@public
def two_factor_verify():
    user = sessions.pending_user()
    if user is None:
        flash(_("Sign in again: the second step of signing in was not started or took too long."), "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorVerifyForm()
    if form.validate_on_submit():
        try:
            method = two_factor.verify_second_factor(user, form.code.data)
        except AccountError as err:
            db.session.commit()  # the failed attempt stays in the audit log
            show_error(form, err)
        else:
            db.session.commit()
            target = sessions.pending_next()
            sessions.start_session(user, two_factor=True)
            if method == "recovery":
                flash(
                    _(
                        "You signed in with a recovery code; it cannot be used again. %(n)d left.",
                        n=two_factor.recovery_codes_left(user),
                    ),
                    "info",
                )
            return redirect(target or url_for("main.home"))
    return render_template("accounts/two_factor_verify.html", form=form)


def _codes_page(codes: list[str]):
    return render_template("accounts/two_factor_codes.html", codes=codes)


@bp.after_request
def _never_cached(response):
    """The two-factor pages show secrets (the key, recovery codes): no cache, shared or private, keeps them."""
    if request.endpoint in TWO_FACTOR_PAGES:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/two-factor", methods=["GET", "POST"])
@authenticated
def two_factor_setup():
    user = current_user._get_current_object()
    if user.two_factor_enabled:
        return render_template(
            "accounts/two_factor_status.html",
            user=user,
            codes_left=two_factor.recovery_codes_left(user),
            disable=TwoFactorDisableForm(formdata=None),
            renew=RecoveryCodesForm(formdata=None),
        )
    if not user.totp_secret:  # the first visit makes the secret; later visits show the same until confirmed
        two_factor.start_enrolment(user)
        db.session.commit()
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data)
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            # The account's fingerprint changed: this session is renewed (and marked as having the second factor),
            # every other session of the account ends.
            sessions.renew_session(user, two_factor=True)
            flash(_("Two-factor authentication is on."), "success")
            return _codes_page(codes)
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        secret=user.totp_secret,
        qr=two_factor.qr_code_data_uri(two_factor.provisioning_uri(user)),
        required=user.two_factor_required,
    )


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@authenticated
def two_factor_new_codes():
    user = current_user._get_current_object()
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(user, form.password.data)
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            return _codes_page(codes)
    return (
        render_template(
            "accounts/two_factor_status.html",
            user=user,
            codes_left=two_factor.recovery_codes_left(user),
            disable=TwoFactorDisableForm(formdata=None),
            renew=form,
        ),
        400 if user.two_factor_enabled else 409,
    )


@bp.route("/account/two-factor/disable", methods=["POST"])
@authenticated
def two_factor_disable():
    user = current_user._get_current_object()
    if not user.two_factor_enabled:  # a second tab, or the back button: nothing to turn off, and no form to show
        flash(_("Two-factor authentication is already off for your account."), "info")
        return redirect(url_for("accounts.account"), 303)
    form = TwoFactorDisableForm()
    if form.validate_on_submit():
        try:
            two_factor.disable_two_factor(user, form.password.data, form.code.data)
        except AccountError as err:
            db.session.rollback()
            show_error(form, err)
        else:
            db.session.commit()
            sessions.renew_session(user, two_factor=False)
            flash(_("Two-factor authentication is off."), "success")
            return redirect(url_for("accounts.account"))
    return (
        render_template(
            "accounts/two_factor_status.html",
            user=user,
            codes_left=two_factor.recovery_codes_left(user),
            disable=form,
            renew=RecoveryCodesForm(formdata=None),
        ),
        400,
    )
