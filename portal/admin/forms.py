"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.accounts.forms import ROLE_LABELS, strip
from portal.accounts.operations import STAFF_INVITATION_ROLES


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


class AuditFilterForm(FlaskForm):
    """Filters of the audit log, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    action = StringField(
        _l("Action starts with"),
        description=_l("For example: user. or proposal.submit"),
        validators=[Optional(), Length(max=80)],
    )
    object_type = SelectField(_l("Object type"), validators=[Optional()], validate_choice=False)
    actor = StringField(_l("Done by (e-mail contains)"), validators=[Optional(), Length(max=254)])


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    role = SelectField(_l("Role"), validators=[Optional()], validate_choice=False)
