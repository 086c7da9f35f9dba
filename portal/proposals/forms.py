"""Forms of the proposals area. They read what was typed; the rules (word limits, the call's durations, domains,
dialogues and countries, shares adding up) live in form_rules.py and operations.py and are applied to what the
form could read.

Each section of the proposal form has its form class here (SECTION_FORMS). A section form carries the version of
the section it was made from (hidden), reads the request into `section_data()` (the plain data that
operations.save_section takes) and is filled back from the saved proposal by `initial_data(proposal)`.
Repeatable groups (specific objectives, outputs, indicators, activities, risks) are WTForms FieldLists: the
browser sends them as `objectives-0-outputs-1-text`, which works without JavaScript."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.fields import IntegerField
from portal.core.ids import whole_number
from portal.proposals.form_rules import LEVELS, WORD_LIMITS, activities, saved_data


def _optional_int(value):
    if value in ("", None):
        return None
    return int(value)


def _text(value) -> str:
    return (value or "").strip()


class StartForm(FlaskForm):
    organisation = SelectField(_l("Lead organisation"), coerce=_optional_int)
    title = StringField(
        _l("Working title of your proposal"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=300, message=_l("Use at most 300 characters."))],
        description=_l("You can change it later."),
    )


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (readable and usable without JavaScript, unlike a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SectionForm(FlaskForm):
    version = HiddenField()

    # Errors that belong to no WTForms field (a row of the work plan, a country's share): field id -> messages.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_errors: dict[str, list[str]] = {}

    def prepare(self, proposal) -> None:
        """Choices that depend on the call or on other sections."""

    @classmethod
    def initial_data(cls, proposal) -> dict:
        raise NotImplementedError

    def section_data(self) -> dict:
        raise NotImplementedError


def _word_hint(key: str, name: str):
    return _l("At most %(limit)d words.", limit=WORD_LIMITS[(key, name)])


def _words_attrs(key: str, name: str, rows: int = 8) -> dict:
    return {"rows": rows, "data-word-limit": WORD_LIMITS[(key, name)]}


# -- identification --------------------------------------------------------------------------------------------


class IdentificationForm(SectionForm):
    title = StringField(_l("Title"), validators=[Length(max=300, message=_l("Use at most 300 characters."))])
    duration_months = IntegerField(
        _l("Duration (months)"),
        validators=[Optional()],
        invalid_value_message=_l("Enter a whole number of months, for example 18."),
    )
    jvap_domain_id = SelectField(
        _l("Main JVAP domain"),
        coerce=_optional_int,
        invalid_choice_message=_l("Choose one of the call's JVAP domains."),
    )
    dialogue_ids = MultiCheckboxField(
        _l("Dialogues your proposal feeds"),
        coerce=int,
        invalid_choice_message=_l("Choose dialogues from the call's list."),
    )
    start_month = StringField(
        _l("Planned start month (optional)"),
        description=_l("As YYYY-MM, for example 2026-09."),
        render_kw={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"},
    )

    def prepare(self, proposal) -> None:
        from portal.core.i18n import localized

        call = proposal.call
        self.jvap_domain_id.choices = [("", _l("— choose a domain —"))] + [
            (d.id, f"{d.number}. {localized(d, 'name')}") for d in call.domains
        ]
        self.dialogue_ids.choices = [(d.id, localized(d, "name")) for d in call.dialogues]
        self.duration_months.description = _l(
            "From %(min)d to %(max)d months under this call.",
            min=call.min_duration_months,
            max=call.max_duration_months,
        )
        self.duration_months.render_kw = {"min": call.min_duration_months, "max": call.max_duration_months}

    @classmethod
    def initial_data(cls, proposal) -> dict:
        return {
            "title": proposal.title,
            "duration_months": proposal.duration_months,
            "jvap_domain_id": proposal.jvap_domain_id,
            "dialogue_ids": [d.id for d in proposal.dialogues],
            "start_month": saved_data(proposal, "identification").get("start_month", ""),
        }

    def section_data(self) -> dict:
        return {
            "title": _text(self.title.data),
            "duration_months": self.duration_months.data,
            "jvap_domain_id": self.jvap_domain_id.data,
            "dialogue_ids": list(self.dialogue_ids.data or []),
            "start_month": _text(self.start_month.data),
        }


# -- summary and the narrative texts ---------------------------------------------------------------------------


class SummaryForm(SectionForm):
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 12})

    def prepare(self, proposal) -> None:
        limit = proposal.call.summary_word_limit
        self.summary.description = _l(
            "At most %(limit)d words: the problem, what you will do, with whom, and the expected results.",
            limit=limit,
        )
        self.summary.render_kw = {"rows": 12, "data-word-limit": limit}

    @classmethod
    def initial_data(cls, proposal) -> dict:
        return {"summary": proposal.summary}

    def section_data(self) -> dict:
        return {"summary": _text(self.summary.data)}


class _TextsForm(SectionForm):
    KEY = ""

    @classmethod
    def names(cls) -> list[str]:
        return [name for key, name in WORD_LIMITS if key == cls.KEY]

    @classmethod
    def initial_data(cls, proposal) -> dict:
        data = saved_data(proposal, cls.KEY)
        return {name: data.get(name, "") for name in cls.names()}

    def section_data(self) -> dict:
        return {name: _text(self[name].data) for name in self.names()}


class RelevanceForm(_TextsForm):
    KEY = "relevance"
    objectives = TextAreaField(
        _l("Relevance to the call's objectives"),
        description=_word_hint("relevance", "objectives"),
        render_kw=_words_attrs("relevance", "objectives"),
    )
    dialogues = TextAreaField(
        _l("Relevance to the dialogues"),
        description=_word_hint("relevance", "dialogues"),
        render_kw=_words_attrs("relevance", "dialogues"),
    )
    domains = TextAreaField(
        _l("Relevance to the JVAP domains"),
        description=_word_hint("relevance", "domains"),
        render_kw=_words_attrs("relevance", "domains"),
    )


class SustainabilityForm(_TextsForm):
    KEY = "sustainability"
    sustainability = TextAreaField(
        _l("Sustainability of the results"),
        description=_word_hint("sustainability", "sustainability"),
        render_kw=_words_attrs("sustainability", "sustainability"),
    )
    dissemination = TextAreaField(
        _l("Dissemination and contribution to the dialogues"),
        description=_word_hint("sustainability", "dissemination"),
        render_kw=_words_attrs("sustainability", "dissemination"),
    )


class TargetGroupsForm(SectionForm):
    target_groups = TextAreaField(
        _l("Target groups"),
        description=_word_hint("target_groups", "target_groups"),
        render_kw=_words_attrs("target_groups", "target_groups", rows=6),
    )
    target_groups_number = IntegerField(
        _l("Estimated number of people in the target groups"),
        validators=[Optional(), NumberRange(min=0, message=_l("Enter a whole number of people from 0 upwards."))],
        invalid_value_message=_l("Enter a whole number of people, for example 250."),
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    final_beneficiaries = TextAreaField(
        _l("Final beneficiaries"),
        description=_word_hint("target_groups", "final_beneficiaries"),
        render_kw=_words_attrs("target_groups", "final_beneficiaries", rows=6),
    )
    final_beneficiaries_number = IntegerField(
        _l("Estimated number of final beneficiaries"),
        validators=[Optional(), NumberRange(min=0, message=_l("Enter a whole number of people from 0 upwards."))],
        invalid_value_message=_l("Enter a whole number of people, for example 250."),
        render_kw={"min": 0, "inputmode": "numeric"},
    )

    @classmethod
    def initial_data(cls, proposal) -> dict:
        data = saved_data(proposal, "target_groups")
        return {name: data.get(name) for name in cls.NAMES}

    NAMES = ("target_groups", "target_groups_number", "final_beneficiaries", "final_beneficiaries_number")

    def section_data(self) -> dict:
        return {
            "target_groups": _text(self.target_groups.data),
            "target_groups_number": self.target_groups_number.data,
            "final_beneficiaries": _text(self.final_beneficiaries.data),
            "final_beneficiaries_number": self.final_beneficiaries_number.data,
        }


# -- the logical framework -------------------------------------------------------------------------------------


class IndicatorForm(Form):
    indicator = StringField(_l("Indicator"))
    baseline = StringField(_l("Baseline"))
    target = StringField(_l("Target"))
    source = StringField(_l("Source of verification"))


class OutputForm(Form):
    text = TextAreaField(_l("Output (expected result)"), render_kw={"rows": 2})
    indicators = FieldList(FormField(IndicatorForm), _l("Indicators"), min_entries=1)


class ObjectiveForm(Form):
    text = TextAreaField(_l("Specific objective"), render_kw={"rows": 2})
    outputs = FieldList(FormField(OutputForm), _l("Outputs"), min_entries=1)


class ActivityForm(Form):
    uid = HiddenField()
    title = StringField(_l("Activity"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 2})
    # The choices are the outputs of the form as typed; whether the chosen one exists is a rule of form_rules.
    output = SelectField(_l("Contributes to output"), validate_choice=False)


def _blank_tree(value) -> bool:
    """True when nothing was typed anywhere in a group (its nested groups included)."""
    if isinstance(value, dict):
        return all(_blank_tree(v) for k, v in value.items() if k not in ("uid", "output"))
    if isinstance(value, list):
        return all(_blank_tree(v) for v in value)
    return not (value or "").strip() if isinstance(value, str) else value is None


class LogframeForm(SectionForm):
    overall_objective = TextAreaField(
        _l("Overall objective"),
        description=_l("The broader change your proposal contributes to."),
        render_kw={"rows": 3},
    )
    objectives = FieldList(FormField(ObjectiveForm), _l("Specific objectives"), min_entries=1)
    activities = FieldList(FormField(ActivityForm), _l("Activities"), min_entries=1)

    def prepare(self, proposal) -> None:
        codes = []
        for i, objective in enumerate(self.objectives, start=1):
            for j, output in enumerate(objective.form.outputs, start=1):
                text = _text(output.form.text.data)
                codes.append((f"{i}.{j}", f"{i}.{j} {text[:60]}" if text else f"{i}.{j}"))
        for activity in self.activities:
            chosen = activity.form.output.data or ""
            choices = [("", _l("— choose an output —")), *codes]
            if chosen and chosen not in {c for c, _label in codes}:
                choices.append((chosen, chosen))  # keep what was chosen; the rules say it no longer exists
            activity.form.output.choices = choices

    @classmethod
    def initial_data(cls, proposal) -> dict:
        data = saved_data(proposal, "logframe")
        return {
            "overall_objective": data.get("overall_objective", ""),
            "objectives": data.get("objectives") or [],
            "activities": data.get("activities") or [],
        }

    def section_data(self) -> dict:
        objectives = []
        for objective in self.objectives:
            outputs = []
            for output in objective.form.outputs:
                indicators = [
                    {name: _text(ind.form[name].data) for name in ("indicator", "baseline", "target", "source")}
                    for ind in output.form.indicators
                ]
                outputs.append(
                    {"text": _text(output.form.text.data), "indicators": [i for i in indicators if not _blank_tree(i)]}
                )
            objectives.append(
                {"text": _text(objective.form.text.data), "outputs": [o for o in outputs if not _blank_tree(o)]}
            )
        items = [
            {
                "uid": _text(a.form.uid.data),
                "title": _text(a.form.title.data),
                "description": _text(a.form.description.data),
                "output": _text(a.form.output.data),
            }
            for a in self.activities
        ]
        return {
            "overall_objective": _text(self.overall_objective.data),
            "objectives": [o for o in objectives if not _blank_tree(o)],
            "activities": [a for a in items if not _blank_tree(a)],
        }


# -- risks -----------------------------------------------------------------------------------------------------


def _level_choices():
    labels = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")}
    return [("", _l("— choose —"))] + [(level, labels[level]) for level in LEVELS]


class RiskForm(Form):
    risk = TextAreaField(_l("Risk"), render_kw={"rows": 2})
    likelihood = SelectField(
        _l("Likelihood"), choices=_level_choices, invalid_choice_message=_l("Choose low, medium or high.")
    )
    impact = SelectField(_l("Impact"), choices=_level_choices, invalid_choice_message=_l("Choose low, medium or high."))
    mitigation = TextAreaField(_l("Mitigation"), render_kw={"rows": 2})


class RisksForm(SectionForm):
    risks = FieldList(FormField(RiskForm), _l("Risks"), min_entries=1)

    @classmethod
    def initial_data(cls, proposal) -> dict:
        return {"risks": saved_data(proposal, "risks").get("risks") or []}

    def section_data(self) -> dict:
        rows = [
            {name: _text(r.form[name].data) for name in ("risk", "likelihood", "impact", "mitigation")}
            for r in self.risks
        ]
        return {"risks": [r for r in rows if not _blank_tree(r)]}


# -- declarations ----------------------------------------------------------------------------------------------


class DeclarationsForm(SectionForm):
    accurate = BooleanField(_l("The information in this proposal is accurate and complete."))
    no_exclusion = BooleanField(
        _l(
            "Neither the lead applicant nor any co-applicant is in a situation that excludes it from EU funding "
            "(bankruptcy, grave professional misconduct, fraud, corruption, unpaid taxes or social security)."
        )
    )
    mandates = BooleanField(
        _l("Every co-applicant has given the lead applicant a mandate to apply and sign on its behalf."),
        description=_l("Needed only when the proposal has co-applicants."),
    )
    data_protection = BooleanField(
        _l(
            "We consent to the processing of the personal data in this proposal for its evaluation and, if "
            "selected, the management of the grant."
        )
    )
    signatory_name = StringField(_l("Name of the signatory"), render_kw={"autocomplete": "name"})
    signatory_position = StringField(_l("Position of the signatory"))

    NAMES = ("accurate", "no_exclusion", "mandates", "data_protection", "signatory_name", "signatory_position")

    def prepare(self, proposal) -> None:
        import datetime as dt

        from portal.proposals.form_rules import declarations_required

        saved = saved_data(proposal, "declarations")
        self.declared = None
        if saved.get("declared_at"):
            self.declared = (saved.get("declared_by") or "", dt.datetime.fromisoformat(saved["declared_at"]))
        if "mandates" not in declarations_required(proposal):
            self.mandates.description = _l("Needed only when the proposal has co-applicants; yours has none yet.")

    @classmethod
    def initial_data(cls, proposal) -> dict:
        data = saved_data(proposal, "declarations")
        return {name: data.get(name) for name in cls.NAMES}

    def section_data(self) -> dict:
        return {
            "accurate": bool(self.accurate.data),
            "no_exclusion": bool(self.no_exclusion.data),
            "mandates": bool(self.mandates.data),
            "data_protection": bool(self.data_protection.data),
            "signatory_name": _text(self.signatory_name.data),
            "signatory_position": _text(self.signatory_position.data),
        }


# -- sections whose inputs depend on other data: countries and the work plan -----------------------------------

_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")


def parse_share(raw: str) -> Decimal | None:
    """A share in percent as people type it ("25", "12.5", "12,5", "12.5 %"); ValueError when unreadable."""
    text = (raw or "").replace("%", "").strip()
    if not text:
        return None
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise ValueError(raw)
    return value


class CountriesForm(SectionForm):
    """Countries are checkboxes named `countries`; each one's share is the text input `share-<code>`."""

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data") or {}
        super().__init__(*args, **kwargs)
        self.chosen: list[str] = list(data.get("countries") or [])
        self.share_text: dict[str, str] = dict(data.get("share_text") or {})
        self.shares: dict[str, Decimal | None] = {}
        self.options: list[tuple[str, str]] = []
        if self.is_submitted():
            from flask import request

            self.chosen = request.form.getlist("countries")
            self.share_text = {
                key[len("share-") :]: value for key, value in request.form.items() if key.startswith("share-")
            }

    def prepare(self, proposal) -> None:
        from portal.core import countries
        from portal.core.i18n import locale_code

        self.options = countries.choices(locale_code(), only=frozenset(proposal.call.countries))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        from flask_babel import gettext as _

        self.shares = {}
        for code in self.chosen:
            try:
                self.shares[code] = parse_share(self.share_text.get(code, ""))
            except ValueError:
                self.extra_errors.setdefault(f"share-{code}", []).append(
                    _("Enter the share as a number of percent, for example 25 or 12.5.")
                )
        for code, text in self.share_text.items():
            if text.strip() and code not in self.chosen:
                self.extra_errors.setdefault(f"share-{code}", []).append(_("Tick the country, or clear its share."))
        return ok and not self.extra_errors

    @classmethod
    def initial_data(cls, proposal) -> dict:
        return {
            "countries": [r.country_code for r in proposal.country_rows],
            "share_text": {
                r.country_code: _share_text(r.share_pct) for r in proposal.country_rows if r.share_pct is not None
            },
        }

    def section_data(self) -> dict:
        return {"shares": dict(self.shares)}

    @property
    def total_text(self) -> str:
        """The sum of the readable shares typed for ticked countries (the page's script keeps it live)."""
        from portal.proposals.form_rules import _percent

        total = Decimal(0)
        for code in self.chosen:
            try:
                total += parse_share(self.share_text.get(code, "")) or 0
            except ValueError:
                continue
        return _percent(total)


def _share_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")


class WorkplanForm(SectionForm):
    """One checkbox per activity and month, named `plan` with the value `<activity uid>:<month>`."""

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data") or {}
        super().__init__(*args, **kwargs)
        self.checked: set[str] = set(data.get("checked") or [])
        self.months: dict[str, list[int]] = {}
        self.rows: list[dict] = []
        if self.is_submitted():
            from flask import request

            self.checked = set(request.form.getlist("plan"))

    def prepare(self, proposal) -> None:
        self.rows = activities(proposal)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        from flask_babel import gettext as _

        self.months = {row["uid"]: [] for row in self.rows}
        for value in sorted(self.checked):
            uid, _sep, month = value.partition(":")
            if not whole_number(month):
                self.extra_errors.setdefault("plan", []).append(
                    _("The work plan sent is not readable: reload the page.")
                )
                break
            self.months.setdefault(uid, []).append(int(month))
        for uid in self.months:
            self.months[uid].sort()
        return ok and not self.extra_errors

    @classmethod
    def initial_data(cls, proposal) -> dict:
        planned = saved_data(proposal, "workplan").get("months") or {}
        return {"checked": [f"{uid}:{m}" for uid, months in planned.items() for m in months]}

    def section_data(self) -> dict:
        return {"months": {uid: months for uid, months in self.months.items() if months}}


SECTION_FORMS: dict[str, type[SectionForm]] = {
    "identification": IdentificationForm,
    "summary": SummaryForm,
    "relevance": RelevanceForm,
    "logframe": LogframeForm,
    "workplan": WorkplanForm,
    "countries": CountriesForm,
    "target_groups": TargetGroupsForm,
    "risks": RisksForm,
    "sustainability": SustainabilityForm,
    "declarations": DeclarationsForm,
}
