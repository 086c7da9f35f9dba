"""Shortlisting of concept notes, invitations to the full-application stage, and the committee's decisions.

Shortlisting (the concept-note stage of a two-stage call): in rank order among the proposals that pass every
threshold, either the first N, or as many as fit while their requested amounts add up to at most a multiple of the
budget envelope (DOMAIN.md: about twice the envelope). The manager previews, confirms (each proposal becomes
shortlisted or not shortlisted, with the reason), then invites every shortlisted lead in one action.

The committee (the final scored stage: the full application, or the only one): in rank order, the passing
proposals are proposed for an award while the envelope lasts, the next passing ones for the reserve list, the rest
for rejection; the manager may change each outcome and confirms with a reason (per proposal or common). A reserve
proposal can be awarded later when money frees up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.calls.models import Call
from portal.core import audit, mail
from portal.core.db import utcnow
from portal.core.urls import external_url
from portal.evaluation import pipeline
from portal.evaluation.models import Decision, DecisionOutcome, EvaluationStage, StageKind
from portal.evaluation.operations import (
    MIN_DECISION_REASON,
    EvaluationError,
    decide_proposal,
    default_award_dates,
    lead_contacts,
)
from portal.evaluation.ranking import RankedProposal, rank
from portal.evaluation.summary import applicant_summary
from portal.extensions import db
from portal.grants.operations import GrantError, award_grant
from portal.proposals import states
from portal.proposals.models import Proposal, ProposalStatus
from portal.proposals.operations import ProposalError
from portal.proposals.submission import invite_full_application

SHORTLIST_BY_NUMBER = "number"
SHORTLIST_BY_MULTIPLE = "multiple"
DECIDABLE = (ProposalStatus.UNDER_REVIEW.value, ProposalStatus.RECOMMENDED.value)
OUTCOMES = (DecisionOutcome.AWARD.value, DecisionOutcome.RESERVE.value, DecisionOutcome.REJECT.value)


class CommitteeError(EvaluationError):
    """A refusal; `problems` maps a proposal id to the message about it (0: the whole list)."""

    def __init__(self, message, problems: dict[int, object] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


def _reason(text: str | None) -> str:
    return (text or "").strip()


def not_ready(rows: list[RankedProposal], stage: EvaluationStage, proposals_statuses: tuple[str, ...]) -> list:
    """Why the ranked list cannot be acted on yet: proposals with missing reviews or unresolved divergence, and
    proposals of the stage that have no submitted review at all."""
    problems = []
    for row in rows:
        if row.proposal.status not in proposals_statuses:
            continue
        if not row.reviews_complete:
            problems.append(
                _l(
                    "%(reference)s has %(done)d of %(required)d submitted reviews.",
                    reference=row.proposal.reference,
                    done=row.reviews_submitted,
                    required=row.reviews_required,
                )
            )
        elif row.needs_moderation:
            problems.append(
                _l(
                    "%(reference)s: the evaluators' totals differ by more than the gap; record a consensus first.",
                    reference=row.proposal.reference,
                )
            )
    ranked = [r.proposal.id for r in rows]
    unranked = db.session.scalars(
        select(Proposal.reference).where(
            pipeline.proposals_in_stage(stage),
            Proposal.status == ProposalStatus.UNDER_REVIEW.value,
            Proposal.id.not_in(ranked) if ranked else True,
        )
    ).all()
    problems.extend(
        _l("%(reference)s has no submitted review yet.", reference=reference) for reference in sorted(unranked)
    )
    return problems


# -- shortlisting ----------------------------------------------------------------------------------------------


@dataclass
class ShortlistLine:
    row: RankedProposal
    shortlisted: bool
    cumulative: Decimal | None = None  # the requested amounts of the shortlisted ones so far


def shortlist_problem(call: Call, stage: EvaluationStage | None):
    """Why this stage cannot be shortlisted (None when it can)."""
    if stage is None:
        return _l("This call has no evaluation grid yet.")
    if not call.is_two_stage or stage.kind != StageKind.CONCEPT_NOTE:
        return _l("Shortlisting applies to the concept-note stage of a two-stage call.")
    return None


def shortlist_preview(call: Call, stage: EvaluationStage, *, mode: str, value) -> list[ShortlistLine]:
    """The concept notes under review, in rank order, each marked shortlisted or not."""
    if mode not in (SHORTLIST_BY_NUMBER, SHORTLIST_BY_MULTIPLE):
        raise EvaluationError(_l("Choose how to draw the shortlist."), field="mode")
    if value is None or Decimal(value) <= 0:
        raise EvaluationError(_l("Enter a number greater than zero."), field=mode)
    limit = Decimal(value) * call.budget_envelope if mode == SHORTLIST_BY_MULTIPLE else None
    lines, count, total, open_ = [], 0, Decimal(0), True
    for row in rank(call, stage):
        if row.proposal.status != ProposalStatus.UNDER_REVIEW:
            continue
        take = False
        if open_ and row.passes and row.reviews_complete:
            requested = row.proposal.requested_amount or Decimal(0)
            take = count < int(value) if mode == SHORTLIST_BY_NUMBER else total + requested <= limit
            if take:
                count += 1
                total += requested
            else:
                open_ = False  # rank order: once one does not fit, none below it is taken
        lines.append(ShortlistLine(row=row, shortlisted=take, cumulative=total if take else None))
    return lines


def confirm_shortlist(
    call: Call, stage: EvaluationStage, *, mode: str, value, reason: str, by: User
) -> list[ShortlistLine]:
    """Make each concept note under review shortlisted or not shortlisted, as previewed, with the reason. The
    leads of those not shortlisted are told; the shortlisted are told when they are invited."""
    problem = shortlist_problem(call, stage)
    if problem:
        raise CommitteeError(problem)
    reason = _reason(reason)
    if len(reason) < MIN_DECISION_REASON:
        raise EvaluationError(
            _l("Give the reason in at least %(min)d characters.", min=MIN_DECISION_REASON), field="reason"
        )
    lines = shortlist_preview(call, stage, mode=mode, value=value)
    blockers = not_ready([line.row for line in lines], stage, (ProposalStatus.UNDER_REVIEW.value,))
    if blockers:
        raise CommitteeError(_l("The shortlist cannot be confirmed yet."), dict(enumerate(blockers)))
    if not lines:
        raise CommitteeError(_l("No concept note under review is ranked in this stage."))
    for line in lines:
        target = ProposalStatus.SHORTLISTED if line.shortlisted else ProposalStatus.NOT_SHORTLISTED
        states.transition(line.row.proposal, target, by=by, reason=reason)
    db.session.flush()
    audit.record(
        "shortlist.confirmed",
        stage,
        actor=by,
        after={
            "call": call.reference,
            "mode": mode,
            "value": value,
            "reason": reason,
            "shortlisted": [line.row.proposal.reference for line in lines if line.shortlisted],
            "not_shortlisted": [line.row.proposal.reference for line in lines if not line.shortlisted],
        },
    )
    for line in lines:
        if line.shortlisted:
            continue
        proposal = line.row.proposal
        summaries: dict[str, object] = {}  # one summary per language, not per recipient (it ranks the stage)
        for user in lead_contacts(proposal):
            locale = user.locale or "en"
            if locale not in summaries:
                summaries[locale] = applicant_summary(proposal, locale)
            mail.send(
                user.email,
                "evaluation_not_shortlisted",
                user.locale,
                summary=summaries[locale],
                user=user,
                proposal=proposal,
                call=call,
                reason=reason,
                url=external_url("proposals.view", proposal_id=proposal.id),
            )
    return lines


def shortlisted(call: Call, stage: EvaluationStage) -> list[Proposal]:
    """The shortlisted concept notes of the stage not invited yet, in rank order."""
    return [r.proposal for r in rank(call, stage) if r.proposal.status == ProposalStatus.SHORTLISTED]


def invite_shortlisted(call: Call, stage: EvaluationStage, *, by: User) -> list[Proposal]:
    """Invite every shortlisted lead to submit a full application, in one action (each through
    proposals.submission.invite_full_application, which e-mails the lead)."""
    problem = shortlist_problem(call, stage)
    if problem:
        raise CommitteeError(problem)
    proposals = shortlisted(call, stage)
    if not proposals:
        raise CommitteeError(_l("No shortlisted concept note is waiting for an invitation."))
    for proposal in proposals:
        try:
            invite_full_application(proposal, by=by)
        except ProposalError as exc:
            raise CommitteeError(
                _l("%(reference)s cannot be invited: %(why)s", reference=proposal.reference, why=str(exc))
            ) from exc
    db.session.flush()
    audit.record(
        "shortlist.invited",
        stage,
        actor=by,
        after={"call": call.reference, "invited": [p.reference for p in proposals]},
    )
    return proposals


# -- committee decisions ---------------------------------------------------------------------------------------


@dataclass
class CommitteeLine:
    row: RankedProposal
    proposed: str  # award / reserve / reject
    decided: str | None = None  # the outcome already recorded
    cumulative: Decimal | None = None  # the amounts awarded so far, with this proposal's, when proposed for an award

    @property
    def decidable(self) -> bool:
        return self.decided is None and self.row.proposal.status in DECIDABLE

    @property
    def outcome(self) -> str:
        return self.decided or self.proposed


def committee_problem(call: Call, stage: EvaluationStage | None):
    """Why the committee does not decide in this stage (None when it does): it decides in the full-application
    stage of a two-stage call, or in the only scored stage of a one-stage call."""
    if stage is None:
        return _l("This call has no evaluation grid yet.")
    if call.is_two_stage and stage.kind != StageKind.FULL_APPLICATION:
        return _l("The committee decides on full applications; concept notes are shortlisted instead.")
    return None


def committee_stage(call: Call, stage_id: int | None = None) -> EvaluationStage | None:
    """The stage the committee page shows: the one asked for, else the last scored stage of the current pipeline."""
    if stage_id:
        return pipeline.stage_for_call(call, stage_id)
    stages = pipeline.scoring_stages(call)
    return stages[-1] if stages else None


def committee_lines(call: Call, stage: EvaluationStage) -> list[CommitteeLine]:
    """The ranked list with the proposed outcome of each proposal."""
    rows = rank(call, stage)
    awarded = sum(
        (r.proposal.grant.amount for r in rows if r.proposal.grant is not None),
        Decimal(0),
    )
    lines, cumulative, open_ = [], awarded, True
    for row in rows:
        decision = row.proposal.decision
        if decision is not None:
            lines.append(CommitteeLine(row=row, proposed=decision.outcome, decided=decision.outcome))
            continue
        if row.proposal.status not in DECIDABLE:
            lines.append(CommitteeLine(row=row, proposed=DecisionOutcome.REJECT.value, decided=row.proposal.status))
            continue
        if row.passes and row.reviews_complete:
            requested = row.proposal.requested_amount or Decimal(0)
            if open_ and cumulative + requested <= call.budget_envelope:
                cumulative += requested
                lines.append(CommitteeLine(row=row, proposed=DecisionOutcome.AWARD.value, cumulative=cumulative))
            else:
                open_ = False
                lines.append(CommitteeLine(row=row, proposed=DecisionOutcome.RESERVE.value))
        else:
            lines.append(CommitteeLine(row=row, proposed=DecisionOutcome.REJECT.value))
    return lines


def _notify(proposal: Proposal, decision: Decision, *, grant=None, amount=None, start=None, end=None) -> None:
    url = external_url("proposals.view", proposal_id=proposal.id)
    for user in lead_contacts(proposal):
        mail.send(
            user.email,
            "evaluation_decision",
            user.locale,
            summary=applicant_summary(proposal, user.locale or "en"),
            user=user,
            proposal=proposal,
            call=proposal.call,
            decision=decision,
            grant=grant,
            amount=amount,
            start_date=start,
            end_date=end,
            url=url,
        )


def reserve_proposal(proposal: Proposal, row: RankedProposal, *, reason: str, by: User) -> Decision:
    """Put a passing proposal on the reserve list: a reserve decision and the status "reserve"; the lead is told."""
    if proposal.decision is not None:
        raise EvaluationError(
            _l("A decision has already been recorded for %(reference)s.", reference=proposal.reference)
        )
    decision = Decision(
        proposal=proposal,
        outcome=DecisionOutcome.RESERVE.value,
        reason=reason,
        final_score=row.final_total,
        decided_by_id=by.id,
        decided_at=utcnow(),
    )
    db.session.add(decision)
    states.transition(proposal, ProposalStatus.RESERVE, by=by, reason=reason)
    db.session.flush()
    audit.record(
        "decision.recorded",
        decision,
        actor=by,
        after={
            "proposal": proposal.reference,
            "outcome": decision.outcome,
            "reason": reason,
            "final_score": decision.final_score,
        },
    )
    _notify(proposal, decision)
    return decision


def _validated_choices(call, stage, outcomes, reasons, common_reason):
    """The proposals still to decide with their chosen (outcome, reason), or CommitteeError naming each problem."""
    problem = committee_problem(call, stage)
    if problem:
        raise CommitteeError(problem)
    lines = committee_lines(call, stage)
    blockers = not_ready([line.row for line in lines], stage, DECIDABLE)
    if blockers:
        raise CommitteeError(_l("The decisions cannot be confirmed yet."), dict(enumerate(blockers)))
    todo = [line for line in lines if line.decidable]
    if not todo:
        raise CommitteeError(_l("Every proposal of this stage has already been decided."))
    common = _reason(common_reason)
    problems: dict[int, object] = {}
    chosen: dict[int, tuple[str, str]] = {}
    total = sum((r.proposal.grant.amount for r in (line.row for line in lines) if r.proposal.grant), Decimal(0))
    for line in todo:
        proposal = line.row.proposal
        outcome = outcomes.get(proposal.id) or line.proposed
        reason = _reason(reasons.get(proposal.id)) or common
        if outcome not in OUTCOMES:
            problems[proposal.id] = _l("%(reference)s: choose award, reserve or reject.", reference=proposal.reference)
            continue
        if outcome != DecisionOutcome.REJECT and not line.row.passes:
            problems[proposal.id] = _l(
                "%(reference)s is below a threshold: it can only be rejected.", reference=proposal.reference
            )
            continue
        if len(reason) < MIN_DECISION_REASON:
            problems[proposal.id] = _l(
                "%(reference)s: give a reason of at least %(min)d characters, or a common reason.",
                reference=proposal.reference,
                min=MIN_DECISION_REASON,
            )
            continue
        if outcome == DecisionOutcome.AWARD:
            total += proposal.requested_amount or Decimal(0)
        chosen[proposal.id] = (outcome, reason)
    if not problems and total > call.budget_envelope:
        problems[0] = _l(
            "The awards add up to more than the budget envelope; put some proposals on the reserve list instead."
        )
    if problems:
        raise CommitteeError(_l("The decisions cannot be confirmed: check the proposals listed."), problems)
    return todo, chosen, common


def recommend_awards(
    call: Call,
    stage: EvaluationStage,
    *,
    outcomes: dict[int, str],
    reasons: dict[int, str],
    common_reason: str = "",
    by: User,
) -> list[Proposal]:
    """The provisional selection: the proposals chosen for an award become "recommended" (with the reason) while
    their supporting documents are verified; nothing else changes and nobody is told yet. The committee confirms
    the decisions afterwards on the same page."""
    todo, chosen, common = _validated_choices(call, stage, outcomes, reasons, common_reason)
    recommended = []
    for line in todo:
        proposal = line.row.proposal
        outcome, reason = chosen[proposal.id]
        if outcome == DecisionOutcome.AWARD and proposal.status == ProposalStatus.UNDER_REVIEW:
            states.transition(proposal, ProposalStatus.RECOMMENDED, by=by, reason=reason)
            recommended.append(proposal)
    if not recommended:
        raise CommitteeError(_l("No proposal under review is chosen for an award."))
    db.session.flush()
    audit.record(
        "committee.recommended",
        stage,
        actor=by,
        after={"call": call.reference, "recommended": [p.reference for p in recommended], "common_reason": common},
    )
    return recommended


def decide_committee(
    call: Call,
    stage: EvaluationStage,
    *,
    outcomes: dict[int, str],
    reasons: dict[int, str],
    common_reason: str = "",
    by: User,
) -> list[Decision]:
    """Record the committee's decisions on every proposal still to decide in the stage (under review or
    recommended): `outcomes` (proposal id -> award / reserve / reject) override the proposed ones; each proposal's
    reason, else the common reason, is recorded and sent to the applicant. Awards create the grants (for the
    requested amount, starting next month)."""
    todo, chosen, common = _validated_choices(call, stage, outcomes, reasons, common_reason)
    decisions = []
    for line in todo:
        proposal = line.row.proposal
        outcome, reason = chosen[proposal.id]
        if outcome == DecisionOutcome.RESERVE:
            decisions.append(reserve_proposal(proposal, line.row, reason=reason, by=by))
            continue
        kwargs = {}
        if outcome == DecisionOutcome.AWARD:
            start, end = default_award_dates(proposal.duration_months)
            kwargs = {"amount": proposal.requested_amount, "start_date": start, "end_date": end}
        try:
            decisions.append(decide_proposal(proposal, outcome=outcome, reason=reason, by=by, **kwargs))
        except EvaluationError as exc:
            raise CommitteeError(exc.message, {proposal.id: exc.message}) from exc
    audit.record(
        "committee.confirmed",
        stage,
        actor=by,
        after={
            "call": call.reference,
            "decisions": {d.proposal.reference: d.outcome for d in decisions},
            "common_reason": common,
        },
    )
    db.session.flush()
    return decisions


def award_from_reserve(
    proposal: Proposal,
    *,
    reason: str,
    by: User,
    amount: Decimal | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Decision:
    """Award a proposal of the reserve list when money frees up: its decision becomes an award (before and after in
    the audit log), its status "awarded", and its grant is created; the lead is told."""
    decision = proposal.decision
    if proposal.status != ProposalStatus.RESERVE or decision is None or decision.outcome != DecisionOutcome.RESERVE:
        raise EvaluationError(
            _l(
                "Only a proposal on the reserve list can be awarded from it; %(reference)s is not.",
                reference=proposal.reference,
            )
        )
    reason = _reason(reason)
    if len(reason) < MIN_DECISION_REASON:
        raise EvaluationError(
            _l("Give the reason for the decision in at least %(min)d characters.", min=MIN_DECISION_REASON),
            field="reason",
        )
    amount = amount if amount is not None else proposal.requested_amount
    if start_date is None or end_date is None:
        start_date, end_date = default_award_dates(proposal.duration_months)
    before = {"outcome": decision.outcome, "reason": decision.reason, "decided_at": decision.decided_at}
    decision.outcome = DecisionOutcome.AWARD.value
    decision.reason = reason
    decision.decided_by_id = by.id
    decision.decided_at = utcnow()
    states.transition(proposal, ProposalStatus.AWARDED, by=by, reason=reason)
    db.session.flush()
    try:
        grant = award_grant(proposal, amount=amount, start_date=start_date, end_date=end_date, by=by)
    except GrantError as exc:
        raise EvaluationError(exc.args[0] if exc.args else str(exc)) from exc
    audit.record(
        "decision.reserve_awarded",
        decision,
        actor=by,
        before=before,
        after={
            "proposal": proposal.reference,
            "outcome": decision.outcome,
            "reason": reason,
            "amount": amount,
            "grant_id": grant.id,
        },
    )
    _notify(proposal, decision, grant=grant, amount=amount, start=start_date, end=end_date)
    db.session.flush()
    return decision
