"""The rules of the evaluation: assigning evaluators, conflict-of-interest declarations, scoring, and decisions.

Each operation checks its preconditions, changes the objects, writes the audit entry and flushes; it never reads
the request and never commits (the route or task does, once)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext  # lazy, under the name pybabel extracts plurals by default
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from portal.accounts.models import Role, User
from portal.core import audit, i18n, mail
from portal.core.db import utcnow
from portal.core.urls import external_url
from portal.documents import letters
from portal.evaluation import pipeline
from portal.evaluation.conflicts import detected_conflict, profile_of
from portal.evaluation.models import (
    Assignment,
    AssignmentStatus,
    Decision,
    DecisionOutcome,
    EvaluationStage,
    ScoreEntry,
)
from portal.evaluation.queries import ASSIGNABLE_STATUSES, ranked_row, scale_label
from portal.evaluation.summary import applicant_summary
from portal.extensions import db
from portal.grants.operations import GrantError, award_grant
from portal.organisations.models import Membership
from portal.proposals import states
from portal.proposals.models import Proposal, ProposalStatus

log = logging.getLogger(__name__)

MIN_DECISION_REASON = 10


class EvaluationError(ValueError):
    """A refusal with a message for the person who asked; `field` names the form field it belongs to."""

    def __init__(self, message, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class ScoreProblem:
    criterion_id: int
    field: str  # "score" or "comment"
    message: object  # a lazy translated string


class ReviewError(EvaluationError):
    """Scores that cannot be saved; `problems` name each criterion concerned."""

    def __init__(self, message, problems: list[ScoreProblem]) -> None:
        super().__init__(message)
        self.problems = problems


def _status_label(status: str):
    return states.STATUS_LABELS.get(status, status)


# -- assignments -----------------------------------------------------------------------------------------------


def assign_evaluator(proposal: Proposal, evaluator: User | None, *, by: User) -> Assignment:
    """Assign `evaluator` to the proposal in the call's first stage. The first assignment puts a submitted
    proposal under review; the evaluator is e-mailed a link to the conflict-of-interest declaration."""
    if evaluator is None or evaluator.role != Role.EVALUATOR or not evaluator.active:
        name = evaluator.display_name if evaluator is not None else _l("This person")
        raise EvaluationError(
            _l("%(name)s is not an active evaluator and cannot be assigned.", name=name), field="evaluator_id"
        )
    if proposal.status not in ASSIGNABLE_STATUSES:
        raise EvaluationError(
            _l(
                "Evaluators can only be assigned to proposals that are submitted, through their checks or under "
                "review; %(reference)s is “%(status)s”.",
                reference=proposal.reference,
                status=_status_label(proposal.status),
            )
        )
    stage = pipeline.scoring_stage_for(proposal)
    if stage is None:
        raise EvaluationError(_l("This call has no evaluation grid yet, so evaluators cannot be assigned."))
    existing = db.session.scalar(
        select(Assignment).where(
            Assignment.stage_id == stage.id,
            Assignment.proposal_id == proposal.id,
            Assignment.evaluator_id == evaluator.id,
        )
    )
    if existing is not None:
        if existing.status == AssignmentStatus.CONFLICT:
            message = _l(
                "%(name)s declared a conflict of interest with %(reference)s and cannot be assigned to it again.",
                name=evaluator.display_name,
                reference=proposal.reference,
            )
        else:
            message = _l(
                "%(name)s is already assigned to %(reference)s.",
                name=evaluator.display_name,
                reference=proposal.reference,
            )
        raise EvaluationError(message, field="evaluator_id")
    refusal = evaluator_refusal(evaluator, proposal)
    if refusal is not None:
        raise EvaluationError(refusal, field="evaluator_id")
    assignment = _create_assignment(proposal, evaluator, stage, by=by)
    mail.send(
        evaluator.email,
        "evaluation_assigned",
        evaluator.locale,
        evaluator=evaluator,
        proposal=proposal,
        call=proposal.call,
        url=external_url("evaluation.declare", assignment_id=assignment.id),
    )
    db.session.flush()
    return assignment


def evaluator_refusal(evaluator: User, proposal: Proposal):
    """Why the evaluator may not be assigned to the proposal (no signed declaration, a detected conflict), or None."""
    profile = profile_of(evaluator)
    if profile is None or not profile.has_signed:
        return _l(
            "%(name)s has not signed the confidentiality and impartiality declaration yet and cannot be assigned.",
            name=evaluator.display_name,
        )
    conflict = detected_conflict(evaluator, proposal)
    if conflict is not None:
        return _l(
            "%(name)s cannot be assigned to %(reference)s: %(reason)s",
            name=evaluator.display_name,
            reference=proposal.reference,
            reason=conflict,
        )
    return None


def _create_assignment(
    proposal: Proposal, evaluator: User, stage: EvaluationStage, *, by: User, automatic: bool = False
) -> Assignment:
    """Create the assignment (the first one puts a submitted proposal under review) and audit it; no e-mail."""
    assignment = Assignment(
        stage=stage,
        proposal=proposal,
        evaluator=evaluator,
        assigned_by_id=by.id,
        status=AssignmentStatus.PENDING.value,
    )
    db.session.add(assignment)
    if proposal.status != ProposalStatus.UNDER_REVIEW:  # submitted, or through its checks
        states.transition(proposal, ProposalStatus.UNDER_REVIEW, by=by, reason="first evaluator assigned")
    db.session.flush()
    audit.record(
        "assignment.created",
        assignment,
        actor=by,
        after={
            "proposal": proposal.reference,
            "evaluator_id": evaluator.id,
            "evaluator": evaluator.email,
            "stage_id": stage.id,
            "status": assignment.status,
            "automatic": automatic,
        },
    )
    return assignment


def remove_assignment(assignment: Assignment, *, by: User) -> Proposal:
    """Remove an assignment whose evaluator has not declared yet. Returns its proposal."""
    if assignment.status != AssignmentStatus.PENDING:
        raise EvaluationError(
            _l(
                "Only an assignment still waiting for the evaluator's declaration can be removed; "
                "%(name)s has already declared.",
                name=assignment.evaluator.display_name,
            )
        )
    proposal = assignment.proposal
    audit.record(
        "assignment.removed",
        assignment,
        actor=by,
        before={
            "proposal": proposal.reference,
            "evaluator_id": assignment.evaluator_id,
            "evaluator": assignment.evaluator.email,
            "status": assignment.status,
        },
    )
    db.session.delete(assignment)
    db.session.flush()
    return proposal


# -- conflict of interest --------------------------------------------------------------------------------------


def declare_interest(
    assignment: Assignment,
    *,
    has_conflict: bool,
    confidentiality: bool,
    reason: str = "",
    by: User,
) -> Assignment:
    """Record the evaluator's declaration. No conflict: the evaluator may read and score the proposal. A conflict
    removes the assignment from the evaluation and tells every manager."""
    if by.id != assignment.evaluator_id:
        raise EvaluationError(_l("Only the assigned evaluator can make this declaration."))
    if assignment.status != AssignmentStatus.PENDING:
        raise EvaluationError(_l("You have already made your declaration for this proposal."))
    if not confidentiality:
        raise EvaluationError(
            _l("Confirm that you will keep the proposal and its evaluation confidential."), field="confidentiality"
        )
    reason = (reason or "").strip()
    if has_conflict and not reason:
        raise EvaluationError(_l("Describe the conflict of interest."), field="reason")

    before = {"status": assignment.status}
    assignment.declared_at = utcnow()
    if not has_conflict:
        assignment.status = AssignmentStatus.IN_PROGRESS.value
        db.session.flush()
        audit.record(
            "assignment.declared_no_conflict",
            assignment,
            actor=by,
            before=before,
            after={"status": assignment.status, "confidentiality_confirmed": True},
        )
        return assignment

    assignment.status = AssignmentStatus.CONFLICT.value
    assignment.conflict_reason = reason
    db.session.flush()
    audit.record(
        "assignment.conflict_declared",
        assignment,
        actor=by,
        before=before,
        after={"status": assignment.status, "conflict_reason": reason},
    )
    proposal = assignment.proposal
    managers = db.session.scalars(
        select(User).where(User.role == Role.MANAGER.value, User.active.is_(True)).order_by(User.id)
    )
    url = external_url("evaluation.assign", call_id=proposal.call_id)
    for manager in managers:
        mail.send(
            manager.email,
            "evaluation_conflict_declared",
            manager.locale,
            manager=manager,
            evaluator=assignment.evaluator,
            proposal=proposal,
            call=proposal.call,
            reason=reason,
            url=url,
        )
    return assignment


# -- scoring ---------------------------------------------------------------------------------------------------


def save_scores(
    assignment: Assignment,
    scores: dict[int, tuple[Decimal | None, str]],
    *,
    by: User,
    submit: bool,
    expected_version: int | None = None,
) -> Assignment:
    """Save the evaluator's scores and comments (criterion id -> (score or None, comment)).

    A draft keeps whatever is filled in, as long as each score is on the stage's scale. Submitting also needs a
    score and a comment of at least the stage's minimum length for every criterion, and locks the review."""
    if by.id != assignment.evaluator_id:
        raise EvaluationError(_l("Only the assigned evaluator can score this proposal."))
    if assignment.status == AssignmentStatus.PENDING:
        raise EvaluationError(_l("Declare whether you have a conflict of interest before scoring this proposal."))
    if assignment.status == AssignmentStatus.CONFLICT:
        raise EvaluationError(_l("You declared a conflict of interest with this proposal and cannot score it."))
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise EvaluationError(_l("This review has been submitted and can no longer be changed."))
    if expected_version is not None and expected_version != assignment.version_id:
        raise EvaluationError(
            _l(
                "This review was saved from another window or tab since you opened it. "
                "Reload the page to see the saved version, then make your changes again."
            )
        )

    stage: EvaluationStage = assignment.stage
    criteria = {c.id: c for c in stage.criteria}
    unknown = set(scores) - set(criteria)
    if unknown:
        raise ValueError(f"criteria {sorted(unknown)} do not belong to stage {stage.id}")
    scale = stage.scale_values()
    existing = {entry.criterion_id: entry for entry in assignment.scores}

    problems: list[ScoreProblem] = []
    merged: dict[int, tuple[Decimal | None, str]] = {}
    for criterion in stage.criteria:
        if criterion.id in scores:
            value, comment = scores[criterion.id]
        elif criterion.id in existing:
            value, comment = existing[criterion.id].score, existing[criterion.id].comment
        else:
            value, comment = None, ""
        comment = (comment or "").strip()
        merged[criterion.id] = (value, comment)
        if value is not None and value not in scale:
            problems.append(
                ScoreProblem(
                    criterion.id,
                    "score",
                    _l(
                        "Criterion %(code)s: %(value)s is not on the scale (%(min)s to %(max)s in steps of %(step)s).",
                        code=criterion.code,
                        value=scale_label(value),
                        min=scale_label(stage.scale_min),
                        max=scale_label(stage.scale_max),
                        step=scale_label(stage.scale_step),
                    ),
                )
            )
        elif submit and value is None:
            problems.append(
                ScoreProblem(criterion.id, "score", _l("Criterion %(code)s: choose a score.", code=criterion.code))
            )
        if submit and len(comment) < stage.min_comment_length:
            problems.append(
                ScoreProblem(
                    criterion.id,
                    "comment",
                    _l(
                        "Criterion %(code)s: the comment must be at least %(min)d characters long (it has %(count)d).",
                        code=criterion.code,
                        min=stage.min_comment_length,
                        count=len(comment),
                    ),
                )
            )
    if problems:
        if submit:
            message = ngettext(
                "The review cannot be submitted: %(num)d problem needs your attention.",
                "The review cannot be submitted: %(num)d problems need your attention.",
                len(problems),
            )
        else:
            message = ngettext(
                "The draft cannot be saved: %(num)d problem needs your attention.",
                "The draft cannot be saved: %(num)d problems need your attention.",
                len(problems),
            )
        raise ReviewError(message, problems)

    for criterion_id, (value, comment) in merged.items():
        entry = existing.get(criterion_id)
        if entry is None:
            if value is None and not comment:
                continue
            entry = ScoreEntry(criterion_id=criterion_id, comment="")
            assignment.scores.append(entry)
        entry.score = value
        entry.comment = comment

    before = {"status": assignment.status}
    if submit:
        assignment.status = AssignmentStatus.SUBMITTED.value
        assignment.submitted_at = utcnow()
    else:
        # Only the score rows change: touch the assignment so that its version moves on (optimistic locking).
        flag_modified(assignment, "status")
    db.session.flush()
    audit.record(
        "review.submitted" if submit else "review.saved",
        assignment,
        actor=by,
        before=before,
        after={
            "status": assignment.status,
            "scores": {
                criteria[cid].code: {"score": value, "comment": comment} for cid, (value, comment) in merged.items()
            },
        },
    )
    return assignment


# -- decisions -------------------------------------------------------------------------------------------------


def decision_blockers(proposal: Proposal) -> list:
    """Why the proposal cannot be decided now (empty when it can)."""
    if proposal.decision is not None:
        return [_l("A decision has already been recorded for %(reference)s.", reference=proposal.reference)]
    problems = []
    if proposal.status not in (ProposalStatus.UNDER_REVIEW, ProposalStatus.RECOMMENDED):
        problems.append(
            _l(
                "Only a proposal under review can be decided; %(reference)s is “%(status)s”.",
                reference=proposal.reference,
                status=_status_label(proposal.status),
            )
        )
    stage = pipeline.scoring_stage_for(proposal)
    if stage is None:
        problems.append(_l("This call has no evaluation grid, so its proposals cannot be decided."))
        return problems
    submitted = db.session.scalar(
        select(db.func.count(Assignment.id)).where(
            Assignment.stage_id == stage.id,
            Assignment.proposal_id == proposal.id,
            Assignment.status == AssignmentStatus.SUBMITTED.value,
        )
    )
    if submitted < stage.evaluators_required:
        problems.append(
            ngettext(
                "%(reference)s has %(num)d submitted review; %(required)d are needed before a decision.",
                "%(reference)s has %(num)d submitted reviews; %(required)d are needed before a decision.",
                submitted,
                reference=proposal.reference,
                required=stage.evaluators_required,
            )
        )
    return problems


def decide_proposal(
    proposal: Proposal,
    *,
    outcome: str,
    reason: str,
    by: User,
    amount: Decimal | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Decision:
    """Record the committee's decision: award (creates the grant through grants.operations.award_grant) or
    reject. The final score is the consensus total when moderated, else the mean total; the lead organisation's
    contacts are told."""
    blockers = decision_blockers(proposal)
    if blockers:
        raise EvaluationError(blockers[0])
    if outcome not in (DecisionOutcome.AWARD, DecisionOutcome.REJECT):
        raise EvaluationError(_l("Choose whether to award or reject the proposal."), field="outcome")
    reason = (reason or "").strip()
    if len(reason) < MIN_DECISION_REASON:
        raise EvaluationError(
            _l("Give the reason for the decision in at least %(min)d characters.", min=MIN_DECISION_REASON),
            field="reason",
        )
    call = proposal.call
    if outcome == DecisionOutcome.AWARD:
        if amount is None:
            raise EvaluationError(_l("Enter the amount to award."), field="amount")
        if amount <= 0:
            raise EvaluationError(_l("The amount to award must be greater than zero."), field="amount")
        if amount > call.max_grant:
            raise EvaluationError(
                _l(
                    "The amount may not exceed the call's maximum grant of %(max)s.",
                    max=LazyString(i18n.money, call.max_grant),
                ),
                field="amount",
            )
        if start_date is None:
            raise EvaluationError(_l("Enter the start date."), field="start_date")
        if end_date is None:
            raise EvaluationError(_l("Enter the end date."), field="end_date")
        if end_date <= start_date:
            raise EvaluationError(_l("The end date must be after the start date."), field="end_date")
    else:
        amount = start_date = end_date = None

    row = ranked_row(call, proposal)
    decision = Decision(
        proposal=proposal,
        outcome=str(outcome),
        reason=reason,
        final_score=row.final_total if row else None,
        decided_by_id=by.id,
        decided_at=utcnow(),
    )
    db.session.add(decision)
    target = ProposalStatus.AWARDED if outcome == DecisionOutcome.AWARD else ProposalStatus.REJECTED
    states.transition(proposal, target, by=by, reason=reason)
    db.session.flush()
    grant = None
    if outcome == DecisionOutcome.AWARD:
        try:
            grant = award_grant(proposal, amount=amount, start_date=start_date, end_date=end_date, by=by)
        except GrantError as exc:
            raise EvaluationError(exc.args[0] if exc.args else str(exc)) from exc
    audit.record(
        "decision.recorded",
        decision,
        actor=by,
        after={
            "proposal": proposal.reference,
            "outcome": decision.outcome,
            "reason": reason,
            "final_score": decision.final_score,
            "amount": amount,
            "start_date": start_date,
            "end_date": end_date,
            "grant_id": grant.id if grant is not None else None,
        },
    )
    letters.request_decision_letter(decision, by=by)  # a rejection or reserve-list letter (portal.documents)
    url = external_url("proposals.view", proposal_id=proposal.id)
    summaries: dict[str, object] = {}  # one summary per language, not per recipient (it ranks the stage)
    for user in lead_contacts(proposal):
        locale = user.locale or "en"
        if locale not in summaries:
            summaries[locale] = applicant_summary(proposal, locale)
        mail.send(
            user.email,
            "evaluation_decision",
            user.locale,
            summary=summaries[locale],
            user=user,
            proposal=proposal,
            call=call,
            decision=decision,
            grant=grant,
            amount=amount,
            start_date=start_date,
            end_date=end_date,
            url=url,
        )
    db.session.flush()
    return decision


def lead_contacts(proposal: Proposal) -> list[User]:
    """The contact person(s) of the lead organisation; every active member when nobody is marked as contact."""
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.organisation_id == proposal.organisation_id)
        .options(joinedload(Membership.user))
        .order_by(Membership.id)
    ).all()
    users = [m.user for m in memberships if m.user.active]
    contacts = [m.user for m in memberships if m.is_contact and m.user.active]
    return contacts or users


def default_award_dates(duration_months: int | None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Start on the first day of next month; end the day before the same date `duration_months` later."""
    today = today or utcnow().date()
    start = dt.date(today.year + (today.month // 12), today.month % 12 + 1, 1)
    months = start.month - 1 + (duration_months or 12)
    end = dt.date(start.year + months // 12, months % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


# -- reopening a submitted review ------------------------------------------------------------------------------

MIN_REOPEN_REASON = 10


def reopen_review(assignment: Assignment, reason: str, *, by: User) -> Assignment:
    """A manager reopens a submitted review (submitted -> in progress) with a reason; the evaluator is e-mailed and
    can change their scores and submit again."""
    if not by.is_staff:
        raise EvaluationError(_l("Only a programme manager can reopen a review."))
    if assignment.status != AssignmentStatus.SUBMITTED:
        raise EvaluationError(_l("Only a submitted review can be reopened."))
    if assignment.proposal.decision is not None:
        raise EvaluationError(
            _l(
                "A decision has already been recorded for %(reference)s: its reviews can no longer be reopened.",
                reference=assignment.proposal.reference,
            )
        )
    reason = (reason or "").strip()
    if len(reason) < MIN_REOPEN_REASON:
        raise EvaluationError(
            _l(
                "Explain why the review is reopened in at least %(min)d characters; the evaluator will read it.",
                min=MIN_REOPEN_REASON,
            ),
            field="reason",
        )
    before = {"status": assignment.status, "submitted_at": assignment.submitted_at}
    assignment.status = AssignmentStatus.IN_PROGRESS.value
    assignment.submitted_at = None
    db.session.flush()
    audit.record(
        "review.reopened",
        assignment,
        actor=by,
        before=before,
        after={"status": assignment.status, "reason": reason},
    )
    evaluator = assignment.evaluator
    mail.send(
        evaluator.email,
        "evaluation_review_reopened",
        evaluator.locale,
        evaluator=evaluator,
        proposal=assignment.proposal,
        call=assignment.proposal.call,
        reason=reason,
        url=external_url("evaluation.score", assignment_id=assignment.id),
    )
    return assignment
