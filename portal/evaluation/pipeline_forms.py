"""Forms of the pipeline composer and of the checks. They read the shape of what was typed (numbers, dates); the
rules live in composer.py and checks.py. The grid and the checklist are read from their many named fields, so
that a refused save re-renders exactly what was typed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.core.fields import DateField, DecimalField, IntegerField
from portal.evaluation.composer import GridData


class AddStageForm(FlaskForm):
    kind = SelectField(_l("Kind of stage"), validators=[InputRequired(message=_l("Choose the kind of stage to add."))])
    template = SelectField(
        _l("Grid to start from"),
        description=_l("For a stage that evaluators score; the grid is copied and can then be edited."),
        validate_choice=False,
    )
    submit = SubmitField(_l("Add the stage"))


class StageSettingsForm(FlaskForm):
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    name_fr = StringField(_l("Name in French"), validators=[Length(max=200)])
    evaluators_required = IntegerField(
        _l("Evaluators per proposal"),
        validators=[InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=20)],
    )
    divergence_percent = DecimalField(
        _l("Divergence gap (percentage of the maximum)"),
        description=_l("Evaluators' totals further apart than this share of the maximum call for moderation."),
        places=None,
        validators=[InputRequired(message=_l("Enter a percentage.")), NumberRange(min=0, max=100)],
    )
    due_on = DateField(_l("Due date"), validators=[Optional()])
    min_comment_length = IntegerField(
        _l("Minimum comment length (characters)"),
        validators=[InputRequired(message=_l("Enter a whole number.")), NumberRange(min=0, max=5000)],
    )
    blind = BooleanField(_l("Blind: evaluators see no applicant names or organisations"))
    evaluators_in_thread = BooleanField(_l("Evaluators take part in the proposal's internal discussion"))
    submit = SubmitField(_l("Save the settings"))


class AddSectionForm(FlaskForm):
    title_en = StringField(_l("Section title in English"), validators=[Length(max=200)])
    title_fr = StringField(_l("Section title in French"), validators=[Length(max=200)])
    submit = SubmitField(_l("Add the section"))


class AddCriterionForm(FlaskForm):
    section_id = SelectField(_l("Section"), coerce=int, validate_choice=False)
    code = StringField(_l("Code"), validators=[Length(max=10)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)])
    title_fr = StringField(_l("Title in French"), validators=[Length(max=300)])
    weight = IntegerField(_l("Weight"), default=1, validators=[InputRequired(message=_l("Enter a whole number."))])
    submit = SubmitField(_l("Add the criterion"))


class AddCheckItemForm(FlaskForm):
    kind = SelectField(_l("Check"))
    label_en = StringField(_l("Item in English"), validators=[Length(max=300)])
    label_fr = StringField(_l("Item in French"), validators=[Length(max=300)])
    per_member = BooleanField(_l("Answered for each consortium member (lead applicant and co-applicants)"))
    submit = SubmitField(_l("Add the item"))


def _decimal(raw: str) -> Decimal | str | None:
    """A typed number: None when blank, the Decimal, or "" when it is not a number."""
    raw = (raw or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return ""
    return value if value.is_finite() else ""


def _integer(raw: str) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return None


def read_grid(formdata, stage) -> tuple[GridData, dict[str, object]]:
    """The grid as typed in `formdata` for the sections and criteria of `stage`, and the fields that are not
    numbers."""
    errors: dict[str, object] = {}

    def number(name: str):
        value = _decimal(formdata.get(name, ""))
        if value == "":
            errors[name] = _l("Enter a number, or leave the field empty.")
            return None
        return value

    sections = {}
    for section in stage.sections:
        prefix = f"section-{section.id}-"
        sections[section.id] = {
            "title_en": formdata.get(prefix + "title_en", ""),
            "title_fr": formdata.get(prefix + "title_fr", ""),
            "threshold": number(prefix + "threshold"),
        }
    criteria = {}
    for criterion in stage.criteria:
        prefix = f"criterion-{criterion.id}-"
        criteria[criterion.id] = {
            name: formdata.get(prefix + name, "")
            for name in ("code", "title_en", "title_fr", "guidance_en", "guidance_fr")
        }
        criteria[criterion.id]["weight"] = _integer(formdata.get(prefix + "weight", ""))
        criteria[criterion.id]["min_score"] = number(prefix + "min_score")
    data = GridData(
        scale=formdata.get("scale", ""),
        total_threshold=number("total_threshold"),
        sections=sections,
        criteria=criteria,
    )
    return data, errors


def grid_values(stage) -> dict[str, str]:
    """The grid's saved values under the names of its form fields."""
    from portal.evaluation.composer import scale_key

    def text(value) -> str:
        return "" if value is None else str(value.normalize() if isinstance(value, Decimal) else value)

    values = {"scale": scale_key(stage), "total_threshold": text(stage.total_threshold)}
    for section in stage.sections:
        prefix = f"section-{section.id}-"
        values.update(
            {
                prefix + "title_en": section.title_en,
                prefix + "title_fr": section.title_fr,
                prefix + "threshold": text(section.threshold),
            }
        )
    for criterion in stage.criteria:
        prefix = f"criterion-{criterion.id}-"
        for name in ("code", "title_en", "title_fr", "guidance_en", "guidance_fr", "weight", "min_score"):
            values[prefix + name] = text(getattr(criterion, name))
    return values


def read_answers(formdata, checklist) -> dict[str, tuple[bool | None, str]]:
    """Line key -> (passed: True / False / None when unanswered, reason) as typed."""
    answers = {}
    for line in checklist.lines:
        choice = formdata.get(line.key, "")
        passed = True if choice == "yes" else False if choice == "no" else None
        answers[line.key] = (passed, formdata.get(line.key + "-reason", ""))
    return answers


def answer_values(checklist) -> dict[str, str]:
    values = {}
    for line in checklist.lines:
        if line.result is not None:
            values[line.key] = "yes" if line.result.passed else "no"
            values[line.key + "-reason"] = line.result.reason
    return values
