"""Forms of consortium building; validation messages a person understands."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.forms import strip
from portal.core import countries
from portal.core.fields import IntegerField
from portal.core.i18n import locale_code
from portal.proposals.models import PartnerRole
from portal.proposals.sections import SECTION_KEYS, SECTION_TITLES

ROLE_LABELS = {
    PartnerRole.CO_APPLICANT.value: _l("Co-applicant"),
    PartnerRole.ASSOCIATED.value: _l("Associated entity"),
}
ROLE_HINT = _l(
    "Co-applicants take part in the design and implementation and receive part of the budget; associated "
    "entities take part without receiving funds."
)


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def _role_field():
    return SelectField(
        _l("Role in the consortium"),
        description=ROLE_HINT,
        choices=[SelectChoice(v, label) for v, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("Choose whether the organisation is a co-applicant or an associated entity."))],
    )


class SearchForm(FlaskForm):
    """Searching registered organisations (a GET form: nothing changes)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or acronym"),
        filters=[strip],
        validators=[Optional(), Length(max=100, message=_l("Use at most 100 characters."))],
    )
    country = SelectField(_l("Country"), validators=[Optional()])
    submit = SubmitField(_l("Search"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [
            SelectChoice("", _l("Any country")),
            *(SelectChoice(code, name) for code, name in countries.choices(locale_code())),
        ]


class InviteOrganisationForm(FlaskForm):
    organisation_id = IntegerField(
        _l("Organisation"), validators=[InputRequired(_l("Choose an organisation from the search results."))]
    )
    role = _role_field()
    submit = SubmitField(_l("Invite"))


class InviteByEmailForm(FlaskForm):
    name = StringField(
        _l("Name of the organisation"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the name of the organisation.")),
            Length(max=300, message=_l("The name has at most 300 characters.")),
        ],
    )
    email = EmailField(
        _l("E-mail address of a person in that organisation"),
        description=_l("We will send them a link to register the organisation on the portal and accept."),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            Email(_l("Enter a valid e-mail address, like name@example.org.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
    )
    role = _role_field()
    submit = SubmitField(_l("Send the invitation"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False, html_tag="ul")
    option_widget = CheckboxInput()


class SectionsForm(FlaskForm):
    sections = MultiCheckboxField(
        _l("Sections this co-applicant may edit"),
        choices=[SelectChoice(key, SECTION_TITLES[key]) for key in SECTION_KEYS],
        validate_choice=False,  # the operation says which keys are unknown, in words
    )
    submit = SubmitField(_l("Save the sections"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        description=_l("The lead applicant will read it."),
        filters=[strip],
        validators=[Optional(), Length(max=2000, message=_l("The reason has at most 2,000 characters."))],
    )
    submit = SubmitField(_l("Decline the invitation"))


class AcceptForm(FlaskForm):
    """Accepting an invitation; for one sent by e-mail, the user says which of their organisations joins."""

    organisation = SelectField(_l("Your organisation"), coerce=int, validate_choice=False, validators=[Optional()])
    submit = SubmitField(_l("Accept the invitation"))
