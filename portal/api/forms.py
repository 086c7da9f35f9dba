"""The form that creates an API token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.api.operations import MAX_NAME


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CreateTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l("What the token is for, e.g. “Monitoring spreadsheet”: it tells your tokens apart."),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the token a name, e.g. the program that will use it.")),
            Length(max=MAX_NAME, message=_l("A token name has at most %(max)d characters.", max=MAX_NAME)),
        ],
    )
    expires_in_days = SelectField(
        _l("Valid for"),
        choices=[
            SelectChoice("30", _l("30 days")),
            SelectChoice("90", _l("90 days")),
            SelectChoice("365", _l("One year")),
            SelectChoice("never", _l("Until revoked")),
        ],
        default="90",
    )
    submit = SubmitField(_l("Create the token"))

    def expiry_days(self) -> int | None:
        return None if self.expires_in_days.data == "never" else int(self.expires_in_days.data)
