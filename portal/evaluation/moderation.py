"""Moderation: which proposals' evaluators disagree by more than the stage's gap, and the consensus a moderator
records for them (scores and comments per criterion, with a written justification).

The consensus replaces the mean as the proposal's final score; the evaluators' own scores are never changed, and
an earlier consensus is kept (marked replaced) when a new one is recorded, both in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import utcnow
from portal.evaluation.models import Assignment, AssignmentStatus, EvaluationStage
from portal.evaluation.moderation_models import Moderation, ModerationScore
from portal.evaluation.operations import EvaluationError, ReviewError, ScoreProblem
from portal.evaluation.queries import scale_label
from portal.evaluation.ranking import RankedProposal, divergence_gap, rank
from portal.extensions import db
from portal.proposals.models import Proposal

MIN_JUSTIFICATION = 20


@dataclass
class Divergence:
    totals: list[Decimal]  # the submitted reviews' totals, in order of submission
    spread: Decimal  # the highest total minus the lowest
    gap: Decimal  # the spread allowed: divergence_percent of the stage's maximum

    @property
    def divergent(self) -> bool:
        return len(self.totals) > 1 and self.spread > self.gap


def divergence(stage: EvaluationStage, proposal: Proposal) -> Divergence:
    """How far apart the evaluators' totals of `proposal` are in `stage`, against the stage's gap."""
    reviews = db.session.scalars(
        select(Assignment)
        .where(
            Assignment.stage_id == stage.id,
            Assignment.proposal_id == proposal.id,
            Assignment.status == AssignmentStatus.SUBMITTED.value,
        )
        .order_by(Assignment.submitted_at, Assignment.id)
        .options(selectinload(Assignment.scores))
    ).all()
    weights = {c.id: c.weight for c in stage.criteria}
    totals = [
        sum((e.score * weights[e.criterion_id] for e in r.scores if e.score is not None), Decimal(0)) for r in reviews
    ]
    spread = (max(totals) - min(totals)) if totals else Decimal(0)
    return Divergence(totals=totals, spread=spread, gap=divergence_gap(stage))


def flagged(call, stage: EvaluationStage) -> list[RankedProposal]:
    """The ranked proposals of the stage whose evaluators diverge by more than the gap (moderated or not)."""
    return [row for row in rank(call, stage) if row.divergent]


def current_moderation(stage: EvaluationStage, proposal: Proposal) -> Moderation | None:
    return db.session.scalar(
        select(Moderation)
        .where(
            Moderation.stage_id == stage.id,
            Moderation.proposal_id == proposal.id,
            Moderation.replaced_at.is_(None),
        )
        .options(selectinload(Moderation.scores))
    )


def history(stage: EvaluationStage, proposal: Proposal) -> list[Moderation]:
    """Every consensus recorded for the proposal in the stage, newest first."""
    return list(
        db.session.scalars(
            select(Moderation)
            .where(Moderation.stage_id == stage.id, Moderation.proposal_id == proposal.id)
            .order_by(Moderation.decided_at.desc(), Moderation.id.desc())
            .options(selectinload(Moderation.scores), selectinload(Moderation.moderator))
        )
    )


def _snapshot(moderation: Moderation, codes: dict[int, str]) -> dict:
    return {
        "moderation_id": moderation.id,
        "justification": moderation.justification,
        "scores": {codes[s.criterion_id]: {"score": s.score, "comment": s.comment} for s in moderation.scores},
    }


def record_consensus(
    proposal: Proposal,
    stage: EvaluationStage,
    scores: dict[int, tuple[Decimal | None, str]],
    *,
    justification: str,
    by: User,
) -> Moderation:
    """Record the moderator's consensus: a score on the stage's scale and a comment (which the applicant reads) for
    every criterion, and a justification. A consensus already recorded is kept and marked as replaced."""
    if not (by.is_authenticated and by.is_staff):
        raise EvaluationError(_l("Only programme managers can moderate an evaluation."))
    if proposal.call_id != stage.call_id:
        raise ValueError("the proposal is not in this stage's call")
    if proposal.decision is not None:
        raise EvaluationError(
            _l(
                "A decision has already been recorded for %(reference)s; its scores can no longer be moderated.",
                reference=proposal.reference,
            )
        )
    submitted = db.session.scalar(
        select(db.func.count(Assignment.id)).where(
            Assignment.stage_id == stage.id,
            Assignment.proposal_id == proposal.id,
            Assignment.status == AssignmentStatus.SUBMITTED.value,
        )
    )
    if not submitted:
        raise EvaluationError(
            _l("%(reference)s has no submitted review to moderate yet.", reference=proposal.reference)
        )

    scale = stage.scale_values()
    problems: list[ScoreProblem] = []
    cleaned: dict[int, tuple[Decimal, str]] = {}
    for criterion in stage.criteria:
        value, comment = scores.get(criterion.id, (None, ""))
        comment = (comment or "").strip()
        if value is None:
            problems.append(
                ScoreProblem(criterion.id, "score", _l("Criterion %(code)s: choose a score.", code=criterion.code))
            )
        elif value not in scale:
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
        if len(comment) < stage.min_comment_length:
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
        cleaned[criterion.id] = (value, comment)
    justification = (justification or "").strip()
    if len(justification) < MIN_JUSTIFICATION:
        problems.append(
            ScoreProblem(
                0,
                "justification",
                _l(
                    "Justify the consensus in at least %(min)d characters (it has %(count)d).",
                    min=MIN_JUSTIFICATION,
                    count=len(justification),
                ),
            )
        )
    if problems:
        raise ReviewError(
            ngettext(
                "The consensus cannot be recorded: %(num)d problem needs your attention.",
                "The consensus cannot be recorded: %(num)d problems need your attention.",
                len(problems),
            ),
            problems,
        )

    codes = {c.id: c.code for c in stage.criteria}
    now = utcnow()
    previous = current_moderation(stage, proposal)
    before = None
    if previous is not None:
        previous.replaced_at = now
        before = _snapshot(previous, codes)
        db.session.flush()
    moderation = Moderation(
        proposal=proposal,
        stage_id=stage.id,
        moderator_id=by.id,
        justification=justification,
        decided_at=now,
    )
    for criterion in stage.criteria:
        value, comment = cleaned[criterion.id]
        moderation.scores.append(ModerationScore(criterion_id=criterion.id, score=value, comment=comment))
    db.session.add(moderation)
    db.session.flush()
    div = divergence(stage, proposal)
    after = _snapshot(moderation, codes)
    after.update(
        {
            "proposal": proposal.reference,
            "stage_id": stage.id,
            "evaluator_totals": div.totals,
            "consensus_total": sum(
                (value * c.weight for c in stage.criteria for value in [cleaned[c.id][0]]), Decimal(0)
            ),
        }
    )
    audit.record(
        "moderation.replaced" if previous is not None else "moderation.recorded",
        moderation,
        actor=by,
        before=before,
        after=after,
    )
    return moderation
