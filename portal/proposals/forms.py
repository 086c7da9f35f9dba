"""Forms of the proposals area. They read what was typed; the rules (word limit, eligible countries, the call's
domains, the grant range) live in operations.py and are applied to what the form could read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.calls.forms import MoneyField
from portal.proposals.operations import MAX_DURATION_MONTHS, SUMMARY_WORD_LIMIT


def _optional_int(value):
    if value in ("", None):
        return None
    return int(value)


class StartForm(FlaskForm):
    organisation = SelectField(_l("Lead organisation"), coerce=_optional_int)
    title = StringField(
        _l("Working title of your proposal"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=300, message=_l("Use at most 300 characters."))],
        description=_l("You can change it later."),
    )


class ProposalForm(FlaskForm):
    version = HiddenField()
    title = StringField(_l("Title"), validators=[Length(max=300, message=_l("Use at most 300 characters."))])
    summary = TextAreaField(
        _l("Summary"),
        description=_l(
            "At most %(limit)d words: the problem, what you will do, with whom, and the expected results.",
            limit=SUMMARY_WORD_LIMIT,
        ),
        render_kw={"rows": 12},
    )
    requested_amount = MoneyField(
        _l("Requested amount (EUR)"),
        validators=[Optional()],
    )
    duration_months = IntegerField(
        _l("Duration (months)"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a whole number of months, for example 18."),
        description=_l("From 1 to %(max)d months.", max=MAX_DURATION_MONTHS),
        render_kw={"min": 1, "max": MAX_DURATION_MONTHS},
    )
    countries = SelectMultipleField(
        _l("Countries of implementation"),
        description=_l("Only the call's eligible countries are listed. Hold Ctrl (Cmd on a Mac) to select several."),
        invalid_choice_message=_l("Choose countries from the list of the call's eligible countries."),
        render_kw={"size": 8},
    )
    jvap_domain = SelectField(
        _l("JVAP domain"),
        coerce=_optional_int,
        invalid_choice_message=_l("Choose one of the call's JVAP domains."),
    )

    FIELDS = ("title", "summary", "requested_amount", "duration_months", "countries", "jvap_domain")

    def set_choices(self, call, country_choices) -> None:
        from portal.core.i18n import localized

        self.countries.choices = country_choices
        self.jvap_domain.choices = [("", _l("— choose a domain —"))] + [
            (d.id, f"{d.number}. {localized(d, 'name')}") for d in call.domains
        ]

    def valid_data(self) -> dict:
        """The values the form could read, leaving out the fields that have errors (they are not saved)."""
        values = {
            "title": (self.title.data or "").strip(),
            "summary": (self.summary.data or "").strip(),
            "requested_amount": self.requested_amount.data,
            "duration_months": self.duration_months.data,
            "countries": list(self.countries.data or []),
            "jvap_domain": self.jvap_domain.data,
        }
        return {name: value for name, value in values.items() if not self[name].errors}
