"""Forms of the accounts area; validation messages a person understands."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.accounts.models import MIN_PASSWORD_LENGTH, Role


def language_choices() -> list[SelectChoice]:
    """The portal's languages (one per catalogue, see config.LANGUAGES), each named in itself."""
    from portal.core.i18n import portal_languages

    return [SelectChoice(code, name) for code, name in portal_languages()]


ROLE_LABELS = {
    Role.APPLICANT.value: _l("Applicant"),
    Role.EVALUATOR.value: _l("Evaluator"),
    Role.MANAGER.value: _l("Programme manager"),
    Role.ADMIN.value: _l("Administrator"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in zoneinfo.available_timezones() if name not in ("localtime", "Factory")))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label=None):
    return EmailField(
        label or _l("E-mail address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter a valid e-mail address, like name@example.org.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
    )


def _new_password_fields(label=None):
    password = PasswordField(
        label or _l("Password"),
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Your password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(_l("Repeat your password.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
    )
    return password, confirm


def _full_name_field():
    return StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter your full name.")),
            Length(max=200, message=_l("A name has at most 200 characters.")),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"), filters=[strip], validators=[DataRequired(_l("Enter your e-mail address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    email = _email_field()
    full_name = _full_name_field()
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Create my account"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Set my new password"))


class AcceptInvitationForm(FlaskForm):
    """A person without an account accepts an invitation by choosing their name and password."""

    full_name = _full_name_field()
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Create my account"))


class ConfirmForm(FlaskForm):
    """A single button (with CSRF) to confirm an action."""

    submit = SubmitField(_l("Accept the invitation"))


class ProfileForm(FlaskForm):
    full_name = _full_name_field()
    locale = SelectField(_l("Language"), choices=language_choices)
    timezone = SelectField(
        _l("Time zone"),
        description=_l("Dates and times are shown in this time zone."),
        validate_choice=True,
    )
    submit = SubmitField(_l("Save my details"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(name) for name in timezone_names()]


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    password, confirm = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change my password"))


def show_error(form: FlaskForm, error) -> None:
    """Show a domain error (an exception with `message` and an optional `field`) next to its field, or at the top
    of the form when it belongs to no field."""
    field = form._fields.get(error.field) if getattr(error, "field", None) else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


# -- two-factor authentication -----------------------------------------------------------------------------------


def _code_field(label=None, description=None):
    return StringField(
        label or _l("Code"),
        description=description,
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the code.")),
            Length(max=20, message=_l("A code has at most 20 characters.")),
        ],
    )


class TwoFactorVerifyForm(FlaskForm):
    code = _code_field(
        _l("Code"),
        _l("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
    )
    submit = SubmitField(_l("Continue"))


class TwoFactorConfirmForm(FlaskForm):
    code = _code_field(_l("Code from your app"), _l("The 6-digit code your app shows for this account."))
    submit = SubmitField(_l("Turn on two-factor authentication"))


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    code = _code_field(_l("Code"), _l("A code from your app, or one of your recovery codes."))
    submit = SubmitField(_l("Turn off two-factor authentication"))


class RecoveryCodesForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Make new recovery codes"))


# -- confirming the address of a new account -----------------------------------------------------------------------


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField(_l("Confirm my address"))


class ResendConfirmationForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a new link"))
