"""How far a stage's evaluation has got, for the manager: per evaluator (assigned, not declared, in progress,
submitted, late) and per proposal (reviews submitted of those required, waiting on whom). Two queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.core.db import utcnow
from portal.evaluation.evaluator_models import EvaluationReminder
from portal.evaluation.models import Assignment, AssignmentStatus, EvaluationStage
from portal.extensions import db
from portal.proposals.models import Proposal


@dataclass
class EvaluatorProgress:
    evaluator: User
    assigned: int = 0
    not_declared: int = 0
    in_progress: int = 0
    submitted: int = 0
    late: int = 0
    reminded_today: bool = False

    @property
    def not_started(self) -> bool:
        return self.assigned > 0 and self.submitted == 0 and self.in_progress == 0


@dataclass
class ProposalProgress:
    proposal: Proposal
    submitted: int = 0
    required: int = 0
    waiting_on: list[User] = field(default_factory=list)


@dataclass
class StageProgress:
    stage: EvaluationStage
    evaluators: list[EvaluatorProgress]
    proposals: list[ProposalProgress]
    today: dt.date

    @property
    def late_evaluators(self) -> list[EvaluatorProgress]:
        return [e for e in self.evaluators if e.late]


def is_late(stage: EvaluationStage, assignment: Assignment, today: dt.date) -> bool:
    """Past the stage's due date and not submitted (a declared conflict is never late)."""
    return late(stage.due_on, assignment.status, today)


def late(due_on: dt.date | None, status: str, today: dt.date) -> bool:
    """`is_late` from the stage's due date and the assignment's status alone (for lists read as plain rows)."""
    return due_on is not None and today > due_on and status in (AssignmentStatus.PENDING, AssignmentStatus.IN_PROGRESS)


def stage_progress(stage: EvaluationStage, today: dt.date | None = None) -> StageProgress:
    today = today or utcnow().date()
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.stage_id == stage.id, Assignment.status != AssignmentStatus.CONFLICT.value)
        .options(joinedload(Assignment.evaluator), joinedload(Assignment.proposal))
        .order_by(Assignment.id)
    ).all()
    reminded = set(
        db.session.scalars(
            select(EvaluationReminder.evaluator_id).where(
                EvaluationReminder.stage_id == stage.id, EvaluationReminder.sent_on == today
            )
        )
    )
    by_evaluator: dict[int, EvaluatorProgress] = {}
    by_proposal: dict[int, ProposalProgress] = {}
    for a in assignments:
        row = by_evaluator.get(a.evaluator_id)
        if row is None:
            row = by_evaluator[a.evaluator_id] = EvaluatorProgress(
                a.evaluator, reminded_today=a.evaluator_id in reminded
            )
        row.assigned += 1
        if a.status == AssignmentStatus.PENDING:
            row.not_declared += 1
        elif a.status == AssignmentStatus.IN_PROGRESS:
            row.in_progress += 1
        else:
            row.submitted += 1
        if is_late(stage, a, today):
            row.late += 1
        p = by_proposal.get(a.proposal_id)
        if p is None:
            p = by_proposal[a.proposal_id] = ProposalProgress(a.proposal, required=stage.evaluators_required)
        if a.status == AssignmentStatus.SUBMITTED:
            p.submitted += 1
        else:
            p.waiting_on.append(a.evaluator)
    evaluators = sorted(by_evaluator.values(), key=lambda r: (-r.late, r.evaluator.display_name))
    proposals = sorted(by_proposal.values(), key=lambda r: r.proposal.reference)
    return StageProgress(stage, evaluators, proposals, today)
