"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from portal.accounts.forms import ROLE_LABELS, strip
from portal.accounts.operations import STAFF_INVITATION_ROLES
from portal.core.fields import DateField


class InviteStaffForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            Email(_l("Enter a valid e-mail address, like name@example.org.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
    )
    role = SelectField(
        _l("Role"),
        description=_l("Evaluators score the proposals assigned to them; programme managers run calls and grants."),
        choices=[SelectChoice(role, ROLE_LABELS[role]) for role in STAFF_INVITATION_ROLES],
    )
    submit = SubmitField(_l("Send the invitation"))


class DayField(DateField):
    """A day (YYYY-MM-DD, what a date input sends), with a message a person understands when it is not one."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Enter a day like 2026-03-31.")) from exc
        # The log's days: 9999-12-31 is a date, but the day after it (the end of a range) is not (found by tests/fuzz).
        if self.data is not None and not 1900 <= self.data.year <= 2999:
            self.data = None
            raise ValueError(_l("Enter a day between the years 1900 and 2999."))


class AuditFilterForm(FlaskForm):
    """Filters of the audit log, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search"),
        description=_l(
            "Looked for in the action, the object, the e-mail of who did it and the values before and after."
        ),
        validators=[Optional(), Length(max=200, message=_l("Search for at most 200 characters."))],
    )
    action = StringField(
        _l("Action starts with"),
        description=_l("For example: user. or proposal.submit"),
        validators=[Optional(), Length(max=80)],
    )
    object_type = SelectField(_l("Object type"), validators=[Optional()], validate_choice=False)
    actor = StringField(_l("Done by (e-mail contains)"), validators=[Optional(), Length(max=254)])
    date_from = DayField(_l("From (day)"), validators=[Optional()])
    date_to = DayField(_l("To (day, included)"), validators=[Optional()])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The last day must be the same as the first day or after it."))


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    role = SelectField(_l("Role"), validators=[Optional()], validate_choice=False)
