"""Forms of the calls area. The forms check the shape of what was typed (an amount, a date, a choice); the
business rules (unique reference, grant range within the envelope, opening before closing) live in
operations.py so that every way of creating a call obeys them."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from portal.core.amounts import AmountError, parse_decimal

DEFAULT_TIMEZONE = "Europe/Brussels"
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MoneyField(DecimalField):
    """An amount in euros, two decimals at most. Accepts the ways people type amounts (read by
    portal.core.amounts): "150000", "150 000", "150,000.50", "150000,50" (decimal comma) and a leading or
    trailing "€". What was typed is shown again when it cannot be read (DecimalField keeps raw_data). A text
    input, not a number input: browsers refuse "150 000" in number inputs."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, places=2, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_decimal(valuelist[0], places=2)
        except AmountError as exc:
            self.data = None
            raise ValueError(amount_error_message(exc)) from None


def amount_error_message(exc: AmountError):
    """What to tell someone whose amount could not be read (see portal.core.amounts for the accepted ways)."""
    if exc.reason == "places":
        return _l("Enter an amount with at most two decimals (cents).")
    if exc.reason == "large":
        return _l("This amount is too large.")
    return _l("Enter an amount in euros, for example 150000 or 150000.50.")


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@lru_cache
def timezone_choices() -> list[tuple[str, str]]:
    """IANA zones people would choose: Area/City names, without the legacy aliases."""
    zones = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and z.split("/")[0] in {"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian"}
    )
    return [("UTC", "UTC"), *[(z, z.replace("_", " ")) for z in zones]]


class CallForm(FlaskForm):
    version = HiddenField()
    reference = StringField(
        _l("Reference"),
        validators=[DataRequired(_l("Enter a reference.")), Length(max=40)],
        description=_l("A short unique code, for example CFP-2025-01. Proposal references are built from it."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=300)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional()],
        description=_l("Objectives, priorities, who may apply and how. Shown on the public page of the call."),
        render_kw={"rows": 10},
    )
    budget_envelope = MoneyField(
        _l("Budget envelope (EUR)"), validators=[InputRequired(_l("Enter the budget envelope."))]
    )
    min_grant = MoneyField(_l("Minimum grant (EUR)"), validators=[InputRequired(_l("Enter the minimum grant."))])
    max_grant = MoneyField(_l("Maximum grant (EUR)"), validators=[InputRequired(_l("Enter the maximum grant."))])
    dialogues = MultiCheckboxField(_l("Dialogues"), coerce=int, render_kw={"class": "checkbox-list"})
    domains = MultiCheckboxField(_l("JVAP domains"), coerce=int, render_kw={"class": "checkbox-list"})
    countries = SelectMultipleField(
        _l("Eligible countries of implementation"),
        description=_l("Hold Ctrl (Cmd on a Mac) to select several countries."),
        render_kw={"size": 12},
    )
    opens_at = DateTimeLocalField(
        _l("Opens at (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        validators=[InputRequired(_l("Enter the opening date and time."))],
        invalid_value_message=_l("Enter a date and time, for example 2025-03-01 09:00."),
    )
    closes_at = DateTimeLocalField(
        _l("Deadline (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        validators=[InputRequired(_l("Enter the deadline date and time."))],
        invalid_value_message=_l("Enter a date and time, for example 2025-05-15 12:00."),
        description=_l("Proposals are accepted until this instant, to the second."),
    )
    timezone = SelectField(
        _l("Time zone of the dates"),
        default=DEFAULT_TIMEZONE,
        description=_l("The dates below are read as local times in this zone; the deadline is shown in it."),
    )

    def set_choices(self, dialogues, domains, country_choices) -> None:
        from portal.core.i18n import localized

        self.dialogues.choices = [(d.id, localized(d, "name")) for d in dialogues]
        self.domains.choices = [(d.id, f"{d.number}. {localized(d, 'name')}") for d in domains]
        self.countries.choices = country_choices
        self.timezone.choices = timezone_choices()

    def to_data(self) -> dict:
        """What the operations take: plain values, with local (naive) dates and their zone."""
        return {
            "reference": (self.reference.data or "").strip(),
            "title": (self.title.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "budget_envelope": self.budget_envelope.data,
            "min_grant": self.min_grant.data,
            "max_grant": self.max_grant.data,
            "dialogue_ids": list(self.dialogues.data or []),
            "domain_ids": list(self.domains.data or []),
            "countries": list(self.countries.data or []),
            "opens_local": self.opens_at.data,
            "closes_local": self.closes_at.data,
            "timezone": self.timezone.data,
        }


def add_errors(form: FlaskForm, errors: list[tuple[str | None, str]]) -> None:
    """Attach an operation's messages to the fields they concern (the others go to the top of the form)."""
    for name, message in errors:
        if name and name in form:
            field = form[name]
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
    form._errors = None  # WTForms caches `form.errors`; recompute it with the messages just added
