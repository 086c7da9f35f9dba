"""Forms of moderation, shortlisting and the committee's decisions. They check the shape of what was typed; the
rules live in moderation.py and committee.py."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.core.fields import DecimalField, IntegerField
from portal.evaluation.forms import comment_field_name, score_field_name
from portal.evaluation.models import EvaluationStage
from portal.evaluation.queries import scale_label


class _ModerationFormBase(FlaskForm):
    justification = TextAreaField(
        _l("Justification of the consensus"),
        description=_l(
            "Why these scores: how the evaluators' views were reconciled. Kept in the record; applicants do not see it."
        ),
        validators=[Length(max=10000)],
    )
    submit = SubmitField(_l("Record the consensus"))

    stage: EvaluationStage

    def score_field(self, criterion_id: int):
        return self[score_field_name(criterion_id)]

    def comment_field(self, criterion_id: int):
        return self[comment_field_name(criterion_id)]

    def scores(self) -> dict[int, tuple[Decimal | None, str]] | None:
        """Criterion id -> (score, comment) as typed; None (with field errors) when a score is not a number."""
        result, ok = {}, True
        for criterion in self.stage.criteria:
            raw = (self.score_field(criterion.id).data or "").strip()
            value = None
            if raw:
                try:
                    value = Decimal(raw)
                    if not value.is_finite():
                        raise InvalidOperation
                except InvalidOperation:
                    self.score_field(criterion.id).errors.append(
                        _l("Criterion %(code)s: “%(value)s” is not a score.", code=criterion.code, value=raw[:20])
                    )
                    ok = False
                    continue
            result[criterion.id] = (value, self.comment_field(criterion.id).data or "")
        return result if ok else None


def moderation_form(stage: EvaluationStage, **kwargs) -> _ModerationFormBase:
    """A consensus score and comment per criterion of `stage`, and the justification."""
    choices = [SelectChoice("", "—")] + [SelectChoice(scale_label(v)) for v in stage.scale_values()]

    class ModerationForm(_ModerationFormBase):
        pass

    for criterion in stage.criteria:
        setattr(
            ModerationForm,
            score_field_name(criterion.id),
            SelectField(_l("Consensus score"), choices=choices, validate_choice=False, default=""),
        )
        setattr(
            ModerationForm,
            comment_field_name(criterion.id),
            TextAreaField(
                _l("Consensus comment"),
                description=_l(
                    "The applicant reads this comment. At least %(min)d characters.", min=stage.min_comment_length
                ),
                validators=[Length(max=10000)],
            ),
        )
    form = ModerationForm(**kwargs)
    form.stage = stage
    return form


class ShortlistForm(FlaskForm):
    mode = RadioField(
        _l("Shortlist"),
        choices=[
            SelectChoice("number", _l("A number of concept notes")),
            SelectChoice("multiple", _l("Concept notes whose requested amounts add up to a multiple of the envelope")),
        ],
        default="multiple",
        validators=[InputRequired(message=_l("Choose how to draw the shortlist."))],
    )
    number = IntegerField(
        _l("Number of concept notes"),
        validators=[Optional(), NumberRange(min=1, max=10000, message=_l("Enter a number of at least 1."))],
    )
    multiple = DecimalField(
        _l("Multiple of the budget envelope"),
        places=2,
        default=Decimal(2),
        description=_l("For example 2: requested amounts up to twice the envelope."),
        validators=[
            Optional(),
            NumberRange(min=Decimal("0.1"), max=Decimal(100), message=_l("Enter a multiple between 0.1 and 100.")),
        ],
    )
    reason = TextAreaField(
        _l("Reason recorded with the shortlist"),
        description=_l("At least %(min)d characters; it is kept with each proposal's change of status.", min=10),
        validators=[Length(max=4000)],
    )
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Confirm the shortlist"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.mode.data == "number" and self.number.data is None and not self.number.errors:
            self.number.errors.append(_l("Enter how many concept notes to shortlist."))
            ok = False
        if self.mode.data == "multiple" and self.multiple.data is None and not self.multiple.errors:
            self.multiple.errors.append(_l("Enter the multiple of the budget envelope."))
            ok = False
        return ok

    @property
    def value(self):
        return self.number.data if self.mode.data == "number" else self.multiple.data


class CommonReasonForm(FlaskForm):
    """The committee page: the outcome and reason of each proposal come as `outcome_<id>` / `reason_<id>` fields
    (read by the route); this form holds the common reason and the button."""

    common_reason = TextAreaField(
        _l("Common reason"),
        description=_l("Used for every proposal whose own reason is left empty. The applicants are told it."),
        validators=[Length(max=4000)],
    )
    confirm = SubmitField(_l("Confirm the decisions"))
    recommend = SubmitField(_l("Recommend the awards only"))


class ReserveAwardForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the award"),
        description=_l("For example: funds freed by a withdrawal. The applicant is told this reason."),
        validators=[Length(max=4000)],
    )
    submit = SubmitField(_l("Award from the reserve list"))
