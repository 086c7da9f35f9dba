"""Forms of the organisations area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, Optional

from portal.accounts.forms import strip
from portal.core import countries
from portal.core.fields import IntegerField
from portal.core.i18n import locale_code
from portal.core.ids import parse_id
from portal.organisations.models import OrganisationType

TYPE_LABELS = {
    OrganisationType.NGO.value: _l("Civil-society organisation / NGO"),
    OrganisationType.RESEARCH.value: _l("Research institution"),
    OrganisationType.DIASPORA.value: _l("Diaspora organisation"),
    OrganisationType.LOCAL_AUTHORITY.value: _l("Local authority"),
    OrganisationType.PRIVATE_SECTOR.value: _l("Private sector"),
    OrganisationType.INTERNATIONAL.value: _l("International organisation"),
}


def type_label(value: str) -> str:
    return str(TYPE_LABELS.get(value, value))


class OrganisationForm(FlaskForm):
    legal_name = StringField(
        _l("Legal name"),
        description=_l("As written in your registration documents."),
        validators=[
            DataRequired(_l("Enter the organisation's legal name.")),
            Length(max=300, message=_l("The legal name has at most 300 characters.")),
        ],
    )
    acronym = StringField(
        _l("Acronym (optional)"),
        validators=[Optional(), Length(max=40, message=_l("The acronym has at most 40 characters."))],
    )
    type = SelectField(
        _l("Type of organisation"),
        choices=[SelectChoice("", _l("Choose…")), *(SelectChoice(v, label) for v, label in TYPE_LABELS.items())],
        validators=[DataRequired(_l("Choose the type of organisation."))],
    )
    country = SelectField(
        _l("Country of registration"),
        validators=[DataRequired(_l("Choose the country where the organisation is registered."))],
    )
    registration_number = StringField(
        _l("Registration number"),
        description=_l("The number under which the organisation is registered in that country."),
        validators=[
            DataRequired(_l("Enter the registration number.")),
            Length(max=100, message=_l("The registration number has at most 100 characters.")),
        ],
    )
    website = URLField(
        _l("Website (optional)"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full web address, like https://www.example.org.")),
            Length(max=300, message=_l("The web address has at most 300 characters.")),
        ],
    )
    address = TextAreaField(
        _l("Postal address (optional)"),
        validators=[Optional(), Length(max=1000, message=_l("The address has at most 1,000 characters."))],
    )
    email = EmailField(
        _l("E-mail address of the organisation (optional)"),
        description=_l("A general address, such as info@…; the facility writes to it about grants."),
        filters=[strip],
        validators=[
            Optional(),
            Email(_l("Enter a valid e-mail address, like name@example.org.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
    )
    phone = TelField(
        _l("Telephone (optional)"),
        description=_l("With the country code, like +221 33 123 45 67."),
        validators=[Optional(), Length(max=40, message=_l("The telephone number has at most 40 characters."))],
    )
    legal_representative = StringField(
        _l("Legal representative (optional)"),
        description=_l("The person who signs for the organisation, for example its director or president."),
        validators=[Optional(), Length(max=200, message=_l("The name has at most 200 characters."))],
    )
    legal_representative_title = StringField(
        _l("Title or function of the legal representative (optional)"),
        validators=[Optional(), Length(max=200, message=_l("The title has at most 200 characters."))],
    )
    # Shown only after a warning about organisations with a nearly identical name: the user confirms that theirs is
    # none of them. `seen_matches` carries the ids of the organisations the warning listed.
    confirm_distinct = BooleanField(_l("My organisation is none of those listed above: register it."))
    seen_matches = HiddenField()
    submit = SubmitField(_l("Save"))

    def confirmed_distinct_from(self) -> set[int]:
        if not self.confirm_distinct.data:
            return set()
        return {parse_id(v) for v in (self.seen_matches.data or "").split(",") if parse_id(v)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [
            SelectChoice("", _l("Choose…")),
            *(SelectChoice(code, name) for code, name in countries.choices(locale_code())),
        ]


class InviteMemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail address of your colleague"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            Email(_l("Enter a valid e-mail address, like name@example.org.")),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
        ],
    )
    submit = SubmitField(_l("Send the invitation"))


class MembershipRequestForm(FlaskForm):
    message = TextAreaField(
        _l("Your message to the members"),
        description=_l("Who you are and what you do in the organisation, so that its members recognise you."),
        filters=[strip],
        validators=[
            DataRequired(_l("Write a few words for the members: who you are and what you do in the organisation.")),
            Length(max=2000, message=_l("The message has at most 2,000 characters.")),
        ],
    )
    submit = SubmitField(_l("Ask to join"))


class HandOverContactForm(FlaskForm):
    membership_id = IntegerField(
        _l("New contact person"),
        validators=[InputRequired(_l("Choose a member of the organisation."))],
    )
    submit = SubmitField(_l("Make contact person"))
