"""The evaluation summary an applicant reads once told the outcome: per scored stage, the final scores per section
and criterion against their maxima and thresholds, and the comments per criterion.

The comments are the moderator's consensus comment when the proposal was moderated, else the evaluators' comments
in alphabetical order (an order that does not reveal who wrote which). Evaluators are never named: nothing here
refers to an assignment, a user or an e-mail address.

Contract (used by the letters): `applicant_summary(proposal, locale) -> ApplicantSummary | None`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from portal.evaluation import pipeline
from portal.evaluation.models import Assignment, AssignmentStatus, ScoreEntry
from portal.evaluation.moderation_models import ModerationScore
from portal.evaluation.ranking import quantize, row_for
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalStatus

# The statuses in which the applicant has been told the outcome of the evaluation.
TOLD = (
    ProposalStatus.NOT_SHORTLISTED.value,
    ProposalStatus.INVITED.value,
    ProposalStatus.FULL_APPLICATION_SUBMITTED.value,
    ProposalStatus.RESERVE.value,
    ProposalStatus.AWARDED.value,
    ProposalStatus.REJECTED.value,
)


@dataclass
class CriterionOutcome:
    code: str
    title: str
    max_score: Decimal  # weighted
    score: Decimal  # weighted: the consensus when moderated, else the mean of the evaluators
    comments: list[str]


@dataclass
class SectionOutcome:
    code: str
    title: str
    score: Decimal
    max_score: Decimal
    threshold: Decimal | None
    passed: bool
    criteria: list[CriterionOutcome]


@dataclass
class StageOutcome:
    stage_id: int
    name: str
    total: Decimal
    max_total: Decimal
    threshold: Decimal | None
    passed: bool
    moderated: bool
    sections: list[SectionOutcome]


@dataclass
class ApplicantSummary:
    proposal_id: int
    status: str
    rank: int | None
    stages: list[StageOutcome]


def _text(obj, field: str, locale: str) -> str:
    language = (locale or "en").replace("-", "_").split("_")[0].lower()
    return getattr(obj, f"{field}_{language}", None) or getattr(obj, f"{field}_en", "") or ""


def _comments(stage_id: int, proposal_id: int, moderation_id: int | None) -> dict[int, list[str]]:
    """Criterion id -> the comments the applicant reads."""
    result: dict[int, list[str]] = {}
    if moderation_id is not None:
        for criterion_id, comment in db.session.execute(
            select(ModerationScore.criterion_id, ModerationScore.comment).where(
                ModerationScore.moderation_id == moderation_id
            )
        ):
            result[criterion_id] = [comment] if comment else []
        return result
    for criterion_id, comment in db.session.execute(
        select(ScoreEntry.criterion_id, ScoreEntry.comment)
        .join(Assignment, Assignment.id == ScoreEntry.assignment_id)
        .where(
            Assignment.stage_id == stage_id,
            Assignment.proposal_id == proposal_id,
            Assignment.status == AssignmentStatus.SUBMITTED.value,
        )
    ):
        if comment:
            result.setdefault(criterion_id, []).append(comment)
    return {cid: sorted(texts, key=str.casefold) for cid, texts in result.items()}


def _stage_outcome(proposal: Proposal, locale: str) -> tuple[StageOutcome, int] | None:
    stage = pipeline.scoring_stage_for(proposal)
    if stage is None:
        return None
    row = row_for(proposal.call, proposal, stage, shared=True)
    if row is None:
        return None
    comments = _comments(stage.id, proposal.id, row.moderation_id)
    by_criterion = {c.criterion.id: c for c in row.criteria}
    sections = []
    for result in row.sections:
        section = result.section
        criteria = [
            CriterionOutcome(
                code=c.code,
                title=_text(c, "title", locale),
                max_score=c.max_score,
                score=quantize(by_criterion[c.id].score * c.weight),
                comments=comments.get(c.id, []),
            )
            for c in section.criteria
        ]
        sections.append(
            SectionOutcome(
                code=section.code,
                title=_text(section, "title", locale),
                score=quantize(result.score),
                max_score=section.max_score,
                threshold=section.threshold,
                passed=result.passes and all(by_criterion[c.id].passes for c in section.criteria),
                criteria=criteria,
            )
        )
    outcome = StageOutcome(
        stage_id=stage.id,
        name=_text(stage, "name", locale),
        total=quantize(row.final_total),
        max_total=stage.max_total,
        threshold=stage.total_threshold,
        passed=row.passes,
        moderated=row.moderated,
        sections=sections,
    )
    return outcome, row.rank


def applicant_summary(proposal: Proposal, locale: str) -> ApplicantSummary | None:
    """The evaluation summary of `proposal` in `locale`, or None until the applicant has been told the outcome.
    A full application's summary starts with its concept note's stage."""
    if proposal.status not in TOLD:
        return None
    stages, rank_ = [], None
    chain = [proposal.parent, proposal] if proposal.parent is not None else [proposal]
    for item in chain:
        result = _stage_outcome(item, locale)
        if result is None:
            continue
        outcome, position = result
        stages.append(outcome)
        if item is proposal:
            rank_ = position
    if not stages:
        return None
    return ApplicantSummary(proposal_id=proposal.id, status=proposal.status, rank=rank_, stages=stages)
