"""Read helpers of the evaluation area: the running totals of one review, the assignment overview of a call, an
evaluator's queue, and the ranking of a call's proposals.

Every helper loads what it needs in a fixed number of queries (joinedload / selectinload), whatever the number of
proposals, assignments or scores."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Role, User
from portal.calls.models import Call
from portal.core import loading
from portal.core.db import utcnow
from portal.core.i18n import written
from portal.core.paging import ListPage, page_number
from portal.evaluation import pipeline, progress
from portal.evaluation.evaluator_models import DECLARATION_VERSION, EvaluatorProfile
from portal.evaluation.models import (
    Assignment,
    AssignmentStatus,
    EvaluationStage,
    GridSection,
    ScoreEntry,
)
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalPartner, ProposalStatus

CENT = Decimal("0.01")
# Proposals whose evaluation can still be organised (assignments added or removed).
# Evaluators are assigned to a proposal once it is submitted, whether or not its pipeline checks it first: a proposal
# that passed the administrative and eligibility checks is "admissible", then "eligible".
ASSIGNABLE_STATUSES = (
    ProposalStatus.SUBMITTED.value,
    ProposalStatus.ADMISSIBLE.value,
    ProposalStatus.ELIGIBLE.value,
    ProposalStatus.UNDER_REVIEW.value,
)


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def scale_label(value: Decimal) -> str:
    """A score as people write it: 4 rather than 4.0, 3.5 stays 3.5."""
    return format(value.normalize(), "f")


def first_stage(call: Call) -> EvaluationStage | None:
    """The first scored stage of the call's current pipeline, with its grid (see `pipeline.stage_for_call`)."""
    return pipeline.stage_for_call(call)


def stage_with_grid(stage_id: int) -> EvaluationStage | None:
    stage = db.session.get(EvaluationStage, stage_id)
    if stage is not None:
        loading.fill(stage, _grid_collections())
    return pipeline.with_criteria(stage)


@functools.cache
def _grid_collections() -> dict:
    """A stage's sections with their criteria in one statement (portal.core.loading)."""
    return {"sections": loading.children_of(EvaluationStage.sections, joinedload(GridSection.criteria))}


# -- one review ------------------------------------------------------------------------------------------------


@dataclass
class SectionTotal:
    section: GridSection
    total: Decimal  # of the criteria scored so far
    scored: int  # criteria with a score
    count: int  # criteria in the section

    @property
    def complete(self) -> bool:
        return self.scored == self.count

    @property
    def passes(self) -> bool | None:
        """None while incomplete or without a threshold."""
        if not self.complete or self.section.threshold is None:
            return None
        return self.total >= self.section.threshold


@dataclass
class ReviewTotals:
    sections: list[SectionTotal]
    total: Decimal
    complete: bool


def review_totals(stage: EvaluationStage, scores: dict[int, Decimal | None]) -> ReviewTotals:
    """Weighted totals per section and overall of the scores given so far (`scores`: criterion id -> score)."""
    sections = []
    for section in stage.sections:
        total, scored = Decimal(0), 0
        for criterion in section.criteria:
            value = scores.get(criterion.id)
            if value is not None:
                total += value * criterion.weight
                scored += 1
        sections.append(SectionTotal(section=section, total=total, scored=scored, count=len(section.criteria)))
    return ReviewTotals(
        sections=sections,
        total=sum((s.total for s in sections), Decimal(0)),
        complete=all(s.complete for s in sections),
    )


def assignment_for_review(assignment_id: int) -> Assignment | None:
    """An assignment with everything the scoring page shows: the proposal (organisation, partners, countries,
    domain, call) and the scores."""
    assignment = db.session.scalars(_review_statement(), {"assignment_id": assignment_id}).unique().one_or_none()
    if assignment is not None:
        collections = _review_collections()
        loading.fill(assignment, collections["assignment"])
        loading.fill(assignment.proposal, collections["proposal"])
    return assignment


@functools.cache
def _review_statement():
    """Built once per process: SQLAlchemy keeps the statement's cache key instead of working it out again from its
    loader options at every request."""
    return (
        select(Assignment)
        .where(Assignment.id == bindparam("assignment_id"))
        .options(
            joinedload(Assignment.proposal).joinedload(Proposal.organisation),
            joinedload(Assignment.proposal).joinedload(Proposal.call),
            joinedload(Assignment.proposal).joinedload(Proposal.jvap_domain),
            # A proposal names one to a few countries: joined (their rows repeat the assignment's), a statement less.
            joinedload(Assignment.proposal).joinedload(Proposal.country_rows),
            joinedload(Assignment.stage),  # then found in the session by `stage_with_grid`, without a statement
        )
    )


@functools.cache
def _review_collections() -> dict:
    """The review's scores, the proposal's consortium and assignments, one statement each (portal.core.loading)."""
    return {
        "assignment": {"scores": loading.children_of(Assignment.scores)},
        "proposal": {
            "partners": loading.children_of(Proposal.partners, joinedload(ProposalPartner.organisation)),
            # Who takes part in the proposal's discussion (evaluation.threads): its assignments.
            "assignments": loading.children_of(Proposal.assignments),
        },
    }


# -- assignments -----------------------------------------------------------------------------------------------


def assignable_proposals(call: Call, stage: EvaluationStage | None = None) -> list[Proposal]:
    """The call's proposals that are submitted, through their checks or under review (in `stage`, when given), with
    their assignments and evaluators."""
    condition = Proposal.call_id == call.id if stage is None else pipeline.proposals_in_stage(stage)
    return list(
        db.session.scalars(
            select(Proposal)
            .where(condition, Proposal.status.in_(ASSIGNABLE_STATUSES))
            .order_by(Proposal.reference)
            .options(
                joinedload(Proposal.organisation),
                selectinload(Proposal.assignments).joinedload(Assignment.evaluator),
            )
        )
    )


def active_evaluators() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.EVALUATOR.value, User.active.is_(True))
            .order_by(User.full_name, User.email)
        )
    )


def unsigned_evaluator_ids(evaluators: list[User]) -> set[int]:
    """Of `evaluators`, those who have not signed the current confidentiality and impartiality declaration."""
    signed = set(
        db.session.scalars(
            select(EvaluatorProfile.user_id).where(
                EvaluatorProfile.user_id.in_([e.id for e in evaluators] or [0]),
                EvaluatorProfile.declaration_signed_at.is_not(None),
                EvaluatorProfile.declaration_version == DECLARATION_VERSION,
            )
        )
    )
    return {e.id for e in evaluators} - signed


QUEUE_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of an evaluator's queue (evaluation/queue.html): plain values, not ORM objects (a page of fifty)."""

    id: int
    status: str
    assigned_at: dt.datetime
    submitted_at: dt.datetime | None
    due_on: dt.date | None
    proposal_reference: str
    call_reference: str
    call_title: str  # i18n.Written: the reader's language when the call has it
    late: bool


def evaluator_queue(user: User, page: int | None = None, per_page: int | None = None) -> ListPage:
    """One page of the user's own assignments, newest first, with the proposal's reference, its call and the stage's
    due date (two statements: the count and the page), as plain rows."""
    per_page = per_page or QUEUE_PER_PAGE
    total = db.session.scalar(select(func.count(Assignment.id)).where(Assignment.evaluator_id == user.id)) or 0
    number = page_number(page, total, per_page)
    rows = db.session.execute(
        select(
            Assignment.id,
            Assignment.status,
            Assignment.assigned_at,
            Assignment.submitted_at,
            EvaluationStage.due_on,
            Proposal.reference,
            Call.reference,
            Call.title,
            Call.language,
            Call.translations,
        )
        .join(Assignment.proposal)
        .join(Proposal.call)
        .join(Assignment.stage)
        .where(Assignment.evaluator_id == user.id)
        .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    today = utcnow().date()
    items = []
    for row in rows:
        (id_, status, assigned_at, submitted_at, due_on, reference, call_reference, title, language, translations) = row
        call = SimpleNamespace(title=title, language=language, translations=translations)
        items.append(
            QueueRow(
                id=id_,
                status=status,
                assigned_at=assigned_at,
                submitted_at=submitted_at,
                due_on=due_on,
                proposal_reference=reference,
                call_reference=call_reference,
                # In the reader's language when the call has it (like every other page that shows a call's title).
                call_title=written(call, "title"),
                late=progress.late(due_on, status, today),
            )
        )
    return ListPage(page=number, per_page=per_page, total=total, items=items)


# -- ranking ---------------------------------------------------------------------------------------------------
# The ranking is computed in SQL by `portal.evaluation.ranking`; these names stay for the pages and operations that
# used them.


def ranking(call: Call, stage: EvaluationStage | None = None):
    """The ranked proposals of `stage` (default: the call's first scored stage); see `portal.evaluation.ranking`."""
    from portal.evaluation import ranking as ranking_module

    return ranking_module.rank(call, stage)


def ranked_row(call: Call, proposal: Proposal):
    """The ranking row of one proposal in the stage that scores it (None without a submitted review)."""
    from portal.evaluation import ranking as ranking_module

    return ranking_module.row_for(call, proposal)


def submitted_review_count(proposal: Proposal, stage: EvaluationStage) -> int:
    return sum(
        1 for a in proposal.assignments if a.stage_id == stage.id and a.status == AssignmentStatus.SUBMITTED.value
    )


def scores_of(assignment: Assignment) -> dict[int, ScoreEntry]:
    return {entry.criterion_id: entry for entry in assignment.scores}
