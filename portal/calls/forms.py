"""Forms of the calls area. The forms check the shape of what was typed (an amount, a date, a choice); the
business rules (unique reference, grant range within the envelope, opening before closing) live in
operations.py so that every way of creating a call obeys them."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from portal.calls.labels import (
    ATTACHMENT_KIND_LABELS,
    DOCUMENT_KIND_LABELS,
    DOCUMENT_LANGUAGES,
    PROCEDURE_LABELS,
    STAGE_LABELS,
    THEME_LABELS,
)
from portal.core import uploads
from portal.core.amounts import AmountError, parse_decimal
from portal.core.fields import DateTimeLocalField, DecimalField, IntegerField
from portal.organisations.forms import TYPE_LABELS

DEFAULT_TIMEZONE = "Europe/Brussels"
_SPACES = re.compile(r"[\s\u00a0\u202f_]")
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


class PercentField(DecimalField):
    """A rate in percent, two decimals at most: "7", "7.5", "7,5" and "7.5 %" all read as 7.5."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off", "class": "short"})
        super().__init__(label, validators, places=2, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = _SPACES.sub("", str(valuelist[0] or "")).replace("%", "").replace(",", ".")
        if text == "":
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        # "1e309" is a finite Decimal that no percentage column holds (nor quantize: InvalidOperation).
        if value is None or not value.is_finite() or abs(value) >= 10**6:
            self.data = None
            raise ValueError(_l("Enter a percentage, for example 7 or 7.5."))
        if value != value.quantize(Decimal("0.01")):
            self.data = None
            raise ValueError(_l("Enter a percentage with at most two decimals."))
        self.data = value.quantize(Decimal("0.01"))


class WholeNumberField(IntegerField):
    """A whole number typed in a text box; the message says what is expected."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off", "class": "short"})
        self._message = message or _l("Enter a whole number, for example 12.")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = _SPACES.sub("", str(valuelist[0] or ""))
        if text == "":
            self.data = None
            return
        if not re.fullmatch(r"-?\d{1,9}", text):
            self.data = None
            raise ValueError(self._message)
        self.data = int(text)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        # The operations check the values against their lists with a message a person understands; WTForms'
        # own "'X' is not a valid choice" would be English-only and name the raw value.
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, text) for value, text in labels.items()]


class RequirementForm(Form):
    """One row of the call's attachment requirements (a sub-form: the CSRF token is the outer form's)."""

    kind = SelectField(
        _l("Document"),
        choices=[
            SelectChoice("", _l("— (no document)")),
            *(SelectChoice(k, v) for k, v in ATTACHMENT_KIND_LABELS.items()),
        ],
        validate_choice=False,
    )
    label = StringField(_l("Label shown to applicants"), validators=[Optional()])
    required = SelectField(
        _l("Required?"),
        choices=[SelectChoice("1", _l("Required")), SelectChoice("0", _l("Optional"))],
        default="1",
        validate_choice=False,
    )
    stage = SelectField(_l("Asked at"), choices=_choices(STAGE_LABELS), default="any", validate_choice=False)


# Blank rows offered under the call's requirements, so that the list grows without JavaScript.
BLANK_REQUIREMENT_ROWS = 3


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
    themes = MultiCheckboxField(_l("Other priorities"), render_kw={"class": "checkbox-list"})
    countries = MultiCheckboxField(
        _l("Eligible countries of implementation"),
        description=_l("Where the action may take place. Tick every country that is eligible."),
    )
    lead_countries = MultiCheckboxField(
        _l("Eligible countries of the lead applicant"),
        description=_l("Where the lead applicant must be established. Tick none to admit any country."),
    )
    applicant_types = MultiCheckboxField(
        _l("Eligible types of organisation"),
        description=_l("Tick none to admit every type."),
        render_kw={"class": "checkbox-list"},
    )
    guidelines = TextAreaField(
        _l("Guidelines (text)"),
        validators=[Optional()],
        description=_l("The essentials of the guidelines for applicants; upload the full guidelines as documents."),
        render_kw={"rows": 8},
    )
    min_duration_months = WholeNumberField(_l("Minimum duration (months)"), default=6)
    max_duration_months = WholeNumberField(_l("Maximum duration (months)"), default=36)
    min_cofinancing_pct = PercentField(
        _l("Minimum co-financing rate (%)"),
        default=Decimal("10.00"),
        description=_l("Share of the total budget the consortium brings itself. 0 lets the facility fund up to 100%."),
    )
    max_indirect_cost_pct = PercentField(
        _l("Maximum indirect-cost rate (%)"),
        default=Decimal("7.00"),
        description=_l("Indirect costs may not exceed this share of the direct costs (7% in EU practice)."),
    )
    min_co_applicants = WholeNumberField(
        _l("Minimum number of co-applicants"),
        default=0,
    )
    max_co_applicants = WholeNumberField(
        _l("Maximum number of co-applicants"),
        validators=[Optional()],
        description=_l("Leave empty for no maximum."),
    )
    require_african_member = BooleanField(
        _l("At least one organisation of the consortium must be based in an African Union member state")
    )
    eu_lead_needs_african_co_applicant = BooleanField(
        _l("A lead applicant based in the European Union needs at least one co-applicant based in Africa")
    )
    procedure = RadioField(
        _l("Procedure"),
        choices=_choices(PROCEDURE_LABELS),
        default="single",
        validate_choice=False,
        render_kw={"class": "checkbox-list"},
    )
    full_application_closes_at = DateTimeLocalField(
        _l("Full-application deadline (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time, for example 2025-09-15 12:00."),
        description=_l("Two-stage calls only: invited applicants submit their full application until this instant."),
    )
    questions_close_at = DateTimeLocalField(
        _l("Questions accepted until (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time, for example 2025-05-01 12:00."),
        description=_l("Leave empty to accept clarification questions until the deadline."),
    )
    summary_word_limit = WholeNumberField(_l("Word limit of the summary"), default=300)
    max_amount_change_pct = PercentField(
        _l("Maximum change of the requested amount (%)"),
        default=Decimal("20.00"),
        description=_l("Two-stage calls: how far the full application's amount may move from the concept note's."),
    )
    requirements = FieldList(FormField(RequirementForm), min_entries=0)
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
        self.lead_countries.choices = country_choices
        self.applicant_types.choices = _choices(TYPE_LABELS)
        self.themes.choices = _choices(THEME_LABELS)
        self.timezone.choices = timezone_choices()

    def add_blank_requirements(self) -> None:
        """Offer BLANK_REQUIREMENT_ROWS empty rows after those in use (the page works without JavaScript)."""
        used = [row for row in self.requirements if (row.form.kind.data or "")]
        blanks = max(BLANK_REQUIREMENT_ROWS - (len(self.requirements.entries) - len(used)), 0)
        for _i in range(blanks):
            self.requirements.append_entry()

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
            "lead_countries": list(self.lead_countries.data or []),
            "applicant_types": list(self.applicant_types.data or []),
            "themes": list(self.themes.data or []),
            "guidelines": (self.guidelines.data or "").strip(),
            "min_duration_months": self.min_duration_months.data,
            "max_duration_months": self.max_duration_months.data,
            "min_cofinancing_pct": self.min_cofinancing_pct.data,
            "max_indirect_cost_pct": self.max_indirect_cost_pct.data,
            "max_amount_change_pct": self.max_amount_change_pct.data,
            "summary_word_limit": self.summary_word_limit.data,
            "min_co_applicants": self.min_co_applicants.data,
            "max_co_applicants": self.max_co_applicants.data,
            "require_african_member": bool(self.require_african_member.data),
            "eu_lead_needs_african_co_applicant": bool(self.eu_lead_needs_african_co_applicant.data),
            "procedure": self.procedure.data or "single",
            "opens_local": self.opens_at.data,
            "closes_local": self.closes_at.data,
            "full_application_closes_local": self.full_application_closes_at.data,
            "questions_close_local": self.questions_close_at.data,
            "timezone": self.timezone.data,
            "requirements": [
                {
                    "kind": row.form.kind.data or "",
                    "label": (row.form.label.data or "").strip(),
                    "required": row.form.required.data != "0",
                    "stage": row.form.stage.data or "any",
                }
                for row in self.requirements
            ],
        }


class DeadlineForm(FlaskForm):
    """Extending the deadlines of a call whose rules are frozen."""

    version = HiddenField()
    closes_at = DateTimeLocalField(
        _l("Deadline (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        validators=[InputRequired(_l("Enter the deadline date and time."))],
        invalid_value_message=_l("Enter a date and time, for example 2025-05-15 12:00."),
    )
    full_application_closes_at = DateTimeLocalField(
        _l("Full-application deadline (local time)"),
        format=DATETIME_LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Enter a date and time, for example 2025-09-15 12:00."),
    )
    reason = TextAreaField(
        _l("Reason (shown on the call's page)"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )


class StatusForm(FlaskForm):
    to = HiddenField()


class DocumentForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter the title of the document.")), Length(max=300)],
    )
    kind = SelectField(_l("Kind"), choices=_choices(DOCUMENT_KIND_LABELS), default="annex", validate_choice=False)
    language = SelectField(_l("Language"), choices=_choices(DOCUMENT_LANGUAGES), default="en", validate_choice=False)
    file = FileField(_l("File"))

    def __init__(self, *args, kinds=frozenset(), max_bytes: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.file.description = _(
            "Accepted: %(kinds)s; at most %(size)s. Files are checked by their content, not their name.",
            kinds=uploads.accepted_list(kinds),
            size=uploads.format_size(max_bytes),
        )
        self.file.render_kw = {"accept": uploads.accept_attribute(kinds)}


class QuestionForm(FlaskForm):
    question = TextAreaField(
        _l("Your question"),
        validators=[
            DataRequired(_l("Write your question.")),
            Length(max=4000, message=_l("A question has at most 4,000 characters.")),
        ],
        description=_l("Questions and answers are published on this page for everyone, without your name."),
        render_kw={"rows": 5},
    )


class AnswerForm(FlaskForm):
    version = HiddenField()
    published_question = TextAreaField(
        _l("Question as published"),
        description=_l("Rewrite it so that nobody can tell who asked: no names of people or organisations."),
        render_kw={"rows": 4},
    )
    answer = TextAreaField(_l("Answer"), render_kw={"rows": 6})


_ROW_FIELD = re.compile(r"(?P<list>[a-z_]+)-(?P<index>\d+)-(?P<field>[a-z_]+)")


def add_errors(form: FlaskForm, errors: list[tuple[str | None, str]]) -> None:
    """Attach an operation's messages to the fields they concern (the others go to the top of the form).
    A row of a list ("requirements-2-label") gets the message next to its field and in the summary at the top."""
    for name, message in errors:
        row = _ROW_FIELD.fullmatch(name or "")
        if row and row["list"] in form:
            entries = form[row["list"]].entries
            index = int(row["index"])
            if index < len(entries) and row["field"] in entries[index].form:
                sub = entries[index].form[row["field"]]
                sub.errors = [*sub.errors, message]
            form.form_errors.append(message)
        elif name and name in form:
            field = form[name]
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
    form._errors = None  # WTForms caches `form.errors`; recompute it with the messages just added


class TextsForm(FlaskForm):
    """The call's texts in other languages: the fields are named translation-<language>-<field> in the page and read
    by portal.calls.languages (their number follows the portal's languages); this form carries the CSRF token."""
