"""Forms of the evaluation area. They check the shape of what was typed; the rules live in operations.py."""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.core.fields import DateField, DecimalField
from portal.evaluation.models import DecisionOutcome, EvaluationStage
from portal.evaluation.operations import MIN_DECISION_REASON
from portal.evaluation.queries import scale_label


class AssignForm(FlaskForm):
    evaluator_id = SelectField(
        _l("Add an evaluator"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose an evaluator to assign."))],
        validate_choice=False,  # the operation says why an evaluator cannot be assigned
    )
    submit = SubmitField(_l("Assign"))


class DeclarationForm(FlaskForm):
    conflict = RadioField(
        _l("Conflict of interest"),
        choices=[
            SelectChoice("no", _l("I have no conflict of interest with this proposal")),
            SelectChoice("yes", _l("I have a conflict of interest")),
        ],
        validators=[InputRequired(message=_l("Say whether you have a conflict of interest."))],
    )
    reason = TextAreaField(
        _l("Nature of the conflict"),
        description=_l(
            "Required if you have a conflict: for example, you work or worked for an applicant, helped prepare the "
            "proposal, have a family or economic tie, or are involved in a competing proposal."
        ),
        validators=[Length(max=4000)],
    )
    confidentiality = BooleanField(
        _l(
            "I will keep this proposal, its content and its evaluation confidential, and evaluate it impartially "
            "and independently."
        ),
        validators=[
            DataRequired(message=_l("Confirm that you will keep the proposal and its evaluation confidential."))
        ],
    )
    submit = SubmitField(_l("Send my declaration"))

    def validate_reason(self, field) -> None:
        if self.conflict.data == "yes" and not (field.data or "").strip():
            raise ValidationError(_l("Describe the conflict of interest."))

    @property
    def has_conflict(self) -> bool:
        return self.conflict.data == "yes"


def score_field_name(criterion_id: int) -> str:
    return f"score_{criterion_id}"


def comment_field_name(criterion_id: int) -> str:
    return f"comment_{criterion_id}"


class _ScoreFormBase(FlaskForm):
    version_id = HiddenField()
    save = SubmitField(_l("Save draft"))
    submit_review = SubmitField(_l("Submit review"))

    stage: EvaluationStage

    @property
    def submitting(self) -> bool:
        return bool(self.submit_review.data)

    def score_field(self, criterion_id: int):
        return self[score_field_name(criterion_id)]

    def comment_field(self, criterion_id: int):
        return self[comment_field_name(criterion_id)]

    def expected_version(self) -> int | None:
        try:
            return int(self.version_id.data)
        except (TypeError, ValueError):
            return None

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


def score_form(stage: EvaluationStage, **kwargs) -> _ScoreFormBase:
    """A form with a score select and a comment per criterion of `stage`."""
    form_class = _score_form_class(
        tuple(c.id for c in stage.criteria), tuple(stage.scale_values()), stage.min_comment_length
    )
    form = form_class(**kwargs)
    form.stage = stage
    return form


# The form's class depends only on the grid (its criteria, scale and comment length): made once per process and grid,
# not at every request (WTForms then collects a class's fields once, at its first form).
@functools.lru_cache(maxsize=256)
def _score_form_class(criterion_ids: tuple[int, ...], scale: tuple[Decimal, ...], min_comment_length: int) -> type:
    choices = [SelectChoice("", "—")] + [SelectChoice(scale_label(v)) for v in scale]

    class ScoreForm(_ScoreFormBase):
        pass

    for criterion_id in criterion_ids:
        setattr(
            ScoreForm,
            score_field_name(criterion_id),
            SelectField(_l("Score"), choices=choices, validate_choice=False, default=""),
        )
        setattr(
            ScoreForm,
            comment_field_name(criterion_id),
            TextAreaField(
                _l("Comment"),
                description=_l("At least %(min)d characters.", min=min_comment_length),
                validators=[Length(max=10000)],
            ),
        )
    return ScoreForm


class DecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(DecisionOutcome.AWARD.value, _l("Award a grant")),
            SelectChoice(DecisionOutcome.REJECT.value, _l("Reject the proposal")),
        ],
        validators=[InputRequired(message=_l("Choose whether to award or reject the proposal."))],
    )
    reason = TextAreaField(
        _l("Reason for the decision"),
        description=_l("At least %(min)d characters. The applicant is told this reason.", min=MIN_DECISION_REASON),
        validators=[
            DataRequired(message=_l("Give the reason for the decision.")),
            Length(
                min=MIN_DECISION_REASON,
                message=_l("Give the reason for the decision in at least %(min)d characters.", min=MIN_DECISION_REASON),
            ),
        ],
    )
    amount = DecimalField(
        _l("Amount to award (EUR)"),
        places=2,
        description=_l("Only for an award."),
        validators=[Optional(), NumberRange(min=Decimal("0.01"), message=_l("The amount must be greater than zero."))],
    )
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    submit = SubmitField(_l("Record the decision"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.outcome.data == DecisionOutcome.AWARD:
            for field, message in (
                (self.amount, _l("Enter the amount to award.")),
                (self.start_date, _l("Enter the start date.")),
                (self.end_date, _l("Enter the end date.")),
            ):
                if field.data is None and not field.errors:
                    field.errors.append(message)
                    ok = False
        return ok
