"""Moderation: the consensus a moderator records for a proposal in a scored stage.

A new consensus never overwrites an earlier one: the earlier record is marked `replaced_at` and kept, so the
history of every consensus (and the evaluators' own scores, which are never touched) stays readable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.evaluation.models import Score
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.evaluation.models import Criterion, EvaluationStage
    from portal.proposals.models import Proposal


class Moderation(db.Model):
    __tablename__ = "moderations"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("evaluation_stages.id"), index=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    justification: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set when a later consensus replaces this one; the current consensus has none.
    replaced_at: Mapped[dt.datetime | None]

    proposal: Mapped[Proposal] = relationship()
    stage: Mapped[EvaluationStage] = relationship()
    moderator: Mapped[User] = relationship()
    scores: Mapped[list[ModerationScore]] = relationship(
        back_populates="moderation", cascade="all, delete-orphan", order_by="ModerationScore.id"
    )

    # At most one current consensus per proposal and stage, even if two moderators record one at the same time.
    __table_args__ = (
        Index(
            "uq_moderations_current",
            "stage_id",
            "proposal_id",
            unique=True,
            postgresql_where=text("replaced_at IS NULL"),
            sqlite_where=text("replaced_at IS NULL"),
        ),
    )

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None

    def total(self) -> Decimal:
        return sum((s.score * s.criterion.weight for s in self.scores), Decimal(0))


class ModerationScore(db.Model):
    __tablename__ = "moderation_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderation_id: Mapped[int] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    score: Mapped[Decimal] = mapped_column(Score)
    # The consensus comment: what the applicant reads for this criterion.
    comment: Mapped[str] = mapped_column(Text, default="")

    moderation: Mapped[Moderation] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()

    __table_args__ = (UniqueConstraint("moderation_id", "criterion_id"),)
