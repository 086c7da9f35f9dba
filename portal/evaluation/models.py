"""Evaluation stages with their grids, evaluator assignments with conflict-of-interest declarations, scores,
and the committee's decisions."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.calls.models import Call
    from portal.proposals.models import Proposal

Score = Numeric(4, 1)


class StageKind(enum.StrEnum):
    """The kinds of step a call's pipeline is composed of, in the order a manager usually puts them."""

    ADMINISTRATIVE_CHECK = "administrative_check"
    ELIGIBILITY_CHECK = "eligibility_check"
    CONCEPT_NOTE = "concept_note"  # scored by evaluators against a grid
    FULL_APPLICATION = "full_application"  # scored by evaluators against a grid
    MODERATION = "moderation"
    DECISION = "decision"


STAGE_KIND_VALUES = tuple(k.value for k in StageKind)
SCORED_KINDS = (StageKind.CONCEPT_NOTE.value, StageKind.FULL_APPLICATION.value)


class EvaluationStage(db.Model):
    __tablename__ = "evaluation_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    # A change to a pipeline that proposals are already inside makes a new version; they stay on theirs.
    pipeline_version: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(30), default=StageKind.CONCEPT_NOTE.value)
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    scale_min: Mapped[Decimal] = mapped_column(Score, default=Decimal(1))
    scale_max: Mapped[Decimal] = mapped_column(Score, default=Decimal(5))
    scale_step: Mapped[Decimal] = mapped_column(Score, default=Decimal(1))
    evaluators_required: Mapped[int] = mapped_column(default=2)
    total_threshold: Mapped[Decimal | None] = mapped_column(Score)
    min_comment_length: Mapped[int] = mapped_column(default=10)
    # Evaluators' totals further apart than this share of the maximum flag the proposal for moderation.
    divergence_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(20))
    due_on: Mapped[dt.date | None]
    # Blind: evaluators see no applicant names or organisations in this stage.
    blind: Mapped[bool] = mapped_column(default=False)
    # Whether the proposal's assigned evaluators take part in its internal discussion during this stage.
    evaluators_in_thread: Mapped[bool] = mapped_column(default=False)

    call: Mapped[Call] = relationship(back_populates="stages")
    sections: Mapped[list[GridSection]] = relationship(
        back_populates="stage", cascade="all, delete-orphan", order_by="GridSection.position"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="stage", cascade="all, delete-orphan", order_by="Criterion.position"
    )
    assignments: Mapped[list[Assignment]] = relationship(back_populates="stage")

    __table_args__ = (
        UniqueConstraint("call_id", "pipeline_version", "position"),
        CheckConstraint("scale_min < scale_max", name="scale_range"),
        CheckConstraint(f"kind IN {STAGE_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("divergence_percent >= 0 AND divergence_percent <= 100", name="divergence_range"),
        CheckConstraint("evaluators_required >= 1", name="evaluators_required_positive"),
    )

    @property
    def max_total(self) -> Decimal:
        return sum((c.max_score for c in self.criteria), Decimal(0))

    def scale_values(self) -> list[Decimal]:
        values, value = [], self.scale_min
        while value <= self.scale_max:
            values.append(value)
            value += self.scale_step
        return values


class GridSection(db.Model):
    __tablename__ = "grid_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("evaluation_stages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(10))
    title_en: Mapped[str] = mapped_column(String(200))
    title_fr: Mapped[str] = mapped_column(String(200))
    threshold: Mapped[Decimal | None] = mapped_column(Score)

    stage: Mapped[EvaluationStage] = relationship(back_populates="sections")
    criteria: Mapped[list[Criterion]] = relationship(back_populates="section", order_by="Criterion.position")

    @property
    def max_score(self) -> Decimal:
        return sum((c.max_score for c in self.criteria), Decimal(0))


class Criterion(db.Model):
    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("evaluation_stages.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("grid_sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(10))
    title_en: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    guidance_en: Mapped[str] = mapped_column(Text, default="")
    guidance_fr: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(default=1)
    # A per-criterion threshold on the (unweighted) score, as in the 0-5 research shape; None: no threshold.
    min_score: Mapped[Decimal | None] = mapped_column(Score)

    stage: Mapped[EvaluationStage] = relationship(back_populates="criteria")
    section: Mapped[GridSection] = relationship(back_populates="criteria")

    __table_args__ = (CheckConstraint("weight >= 1", name="weight_positive"),)

    @property
    def max_score(self) -> Decimal:
        return self.stage.scale_max * self.weight


class AssignmentStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the evaluator's conflict-of-interest declaration
    IN_PROGRESS = "in_progress"  # declared no conflict; scoring
    SUBMITTED = "submitted"  # review submitted and locked
    CONFLICT = "conflict"  # conflict declared: the assignment is removed


ASSIGNMENT_STATUS_VALUES = tuple(s.value for s in AssignmentStatus)


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("evaluation_stages.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.PENDING.value)
    declared_at: Mapped[dt.datetime | None]
    conflict_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    stage: Mapped[EvaluationStage] = relationship(back_populates="assignments")
    proposal: Mapped[Proposal] = relationship(back_populates="assignments")
    evaluator: Mapped[User] = relationship(foreign_keys=[evaluator_id])
    scores: Mapped[list[ScoreEntry]] = relationship(back_populates="assignment", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        UniqueConstraint("stage_id", "proposal_id", "evaluator_id"),
        CheckConstraint(f"status IN {ASSIGNMENT_STATUS_VALUES!r}", name="status_known"),
    )

    @property
    def is_active(self) -> bool:
        return self.status != AssignmentStatus.CONFLICT

    @property
    def declared_no_conflict(self) -> bool:
        return self.status in (AssignmentStatus.IN_PROGRESS, AssignmentStatus.SUBMITTED)

    @property
    def is_submitted(self) -> bool:
        return self.status == AssignmentStatus.SUBMITTED

    def can_view(self, user: User) -> bool:
        return bool(user.is_authenticated) and (user.is_staff or user.id == self.evaluator_id)

    def can_declare(self, user: User) -> bool:
        return user.is_authenticated and user.id == self.evaluator_id and self.status == AssignmentStatus.PENDING

    def can_score(self, user: User) -> bool:
        return user.is_authenticated and user.id == self.evaluator_id and self.status == AssignmentStatus.IN_PROGRESS

    def total(self) -> Decimal | None:
        if not self.scores or any(s.score is None for s in self.scores):
            return None
        return sum((s.score * s.criterion.weight for s in self.scores), Decimal(0))


class ScoreEntry(db.Model):
    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    score: Mapped[Decimal | None] = mapped_column(Score)
    comment: Mapped[str] = mapped_column(Text, default="")

    assignment: Mapped[Assignment] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()

    __table_args__ = (UniqueConstraint("assignment_id", "criterion_id"),)


class DecisionOutcome(enum.StrEnum):
    AWARD = "award"
    RESERVE = "reserve"
    REJECT = "reject"


class Decision(db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    # The final score: the consensus total when moderated, else the mean total of the submitted reviews.
    final_score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="decision")
    decided_by: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("outcome IN ('award', 'reserve', 'reject')", name="outcome_known"),)


from portal.evaluation import checks_models  # noqa: E402,F401  (checklists of the admin/eligibility checks)
from portal.evaluation import evaluator_models as evaluator_models  # noqa: E402  (evaluators, reminders)
from portal.evaluation import moderation_models as moderation_models  # noqa: E402  (moderation, part C)
from portal.evaluation import thread_models as _thread_models  # noqa: E402, F401
