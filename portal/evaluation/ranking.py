"""The ranking of a scored stage, computed in SQL.

Per proposal: each evaluator's total (SUM of weighted scores, GROUP BY assignment), the mean per criterion
(AVG, GROUP BY proposal and criterion), the current consensus of a moderator (if any), the final score (the
consensus total when moderated, else the mean of the submitted reviews), the flags (divergent reviews, not enough
reviews, below a section, criterion or total threshold), the rank and the running sum of the requested amounts of
the passing proposals against the budget envelope.

Whatever the number of proposals, it takes the same number of queries: the stage's grid (already loaded by the
caller), the evaluator totals, the criterion means, the consensus scores, the proposals' amounts and submission
times (plain columns), then `hydrate` loads the proposals and evaluators of the rows a page shows (two queries): the
ranking page shows one page of rows, the proposal page and the decision letters one row.

Tie-breakers, in order (the pages state them): the higher final score in the first section of the grid, then the
higher final score on the first criterion, then the earlier submission of the proposal, then the lower id."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, true
from sqlalchemy.orm import defer, joinedload, selectinload

from portal.accounts.models import User
from portal.calls.models import Call
from portal.evaluation import pipeline
from portal.evaluation.models import (
    Assignment,
    AssignmentStatus,
    Criterion,
    EvaluationStage,
    GridSection,
    ScoreEntry,
)
from portal.evaluation.moderation_models import Moderation, ModerationScore
from portal.extensions import db
from portal.proposals.models import Proposal

CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class EvaluatorTotal:
    evaluator_id: int
    total: Decimal
    submitted_at: dt.datetime | None
    evaluator: User | None = None  # loaded by `hydrate` for the rows a page shows


@dataclass
class CriterionResult:
    criterion: Criterion
    mean: Decimal  # the mean of the evaluators' (unweighted) scores
    consensus: Decimal | None  # the moderator's score, when moderated
    threshold: Decimal | None  # Criterion.min_score

    @property
    def score(self) -> Decimal:
        return self.consensus if self.consensus is not None else self.mean

    @property
    def passes(self) -> bool:
        return self.threshold is None or self.score >= self.threshold


@dataclass
class SectionResult:
    section: GridSection
    mean: Decimal  # the mean of the evaluators' weighted section totals
    threshold: Decimal | None
    consensus: Decimal | None = None

    @property
    def score(self) -> Decimal:
        return self.consensus if self.consensus is not None else self.mean

    @property
    def passes(self) -> bool:
        return self.threshold is None or self.score >= self.threshold


@dataclass
class RankedProposal:
    proposal: Proposal | None  # loaded by `hydrate` (rank() hydrates every row unless told not to)
    evaluator_totals: list[EvaluatorTotal]
    mean_total: Decimal
    sections: list[SectionResult]
    total_threshold: Decimal | None
    reviews_submitted: int
    reviews_required: int
    criteria: list[CriterionResult] = field(default_factory=list)
    consensus_total: Decimal | None = None
    moderation_id: int | None = None
    spread: Decimal = Decimal(0)
    gap: Decimal = Decimal(0)  # the largest spread allowed before the proposal is flagged
    rank: int = 0
    # Running sum of the requested amounts of the passing proposals ranked so far (None for a failing one).
    cumulative_amount: Decimal | None = None
    within_envelope: bool = False
    tie_break_mean: Decimal = Decimal(0)
    # What the order and the envelope need, read as plain columns (not ORM objects) for every ranked proposal.
    proposal_id: int = 0
    requested_amount: Decimal = Decimal(0)
    submitted_at: dt.datetime | None = None

    @property
    def moderated(self) -> bool:
        return self.consensus_total is not None

    @property
    def final_total(self) -> Decimal:
        return self.consensus_total if self.consensus_total is not None else self.mean_total

    @property
    def divergent(self) -> bool:
        """The evaluators' totals differ by more than the stage's gap."""
        return len(self.evaluator_totals) > 1 and self.spread > self.gap

    @property
    def needs_moderation(self) -> bool:
        return self.divergent and not self.moderated

    @property
    def passes_total(self) -> bool:
        return self.total_threshold is None or self.final_total >= self.total_threshold

    @property
    def passes_sections(self) -> bool:
        return all(s.passes for s in self.sections)

    @property
    def passes_criteria(self) -> bool:
        return all(c.passes for c in self.criteria)

    @property
    def failing_criteria(self) -> list[CriterionResult]:
        return [c for c in self.criteria if not c.passes]

    @property
    def passes(self) -> bool:
        return self.passes_total and self.passes_sections and self.passes_criteria

    @property
    def reviews_complete(self) -> bool:
        return self.reviews_submitted >= self.reviews_required


def divergence_gap(stage: EvaluationStage) -> Decimal:
    """The largest difference between evaluators' totals that is not flagged: divergence_percent of the maximum."""
    return quantize(stage.max_total * stage.divergence_percent / Decimal(100))


def rank(call: Call, stage: EvaluationStage | None = None, *, hydrate_rows: bool = True) -> list[RankedProposal]:
    """The ranked proposals of `stage` (default: the call's first scored stage) with at least one submitted review.

    The arithmetic reads plain columns only (ids, sums, amounts): with `hydrate_rows=False` no row carries its
    proposal or its evaluators, and a page that shows a few rows loads them with `hydrate(rows[a:b])`."""
    stage = stage or pipeline.stage_for_call(call)
    if stage is None:
        return []
    submitted = (Assignment.stage_id == stage.id, Assignment.status == AssignmentStatus.SUBMITTED.value)

    # 1. Each submitted review's weighted total, with its evaluator's id.
    by_proposal: dict[int, list[EvaluatorTotal]] = defaultdict(list)
    for proposal_id, evaluator_id, submitted_at, total in db.session.execute(
        select(
            Assignment.proposal_id,
            Assignment.evaluator_id,
            Assignment.submitted_at,
            func.sum(ScoreEntry.score * Criterion.weight).label("total"),
        )
        .join(ScoreEntry, ScoreEntry.assignment_id == Assignment.id)
        .join(Criterion, Criterion.id == ScoreEntry.criterion_id)
        .where(*submitted)
        .group_by(Assignment.id, Assignment.proposal_id, Assignment.evaluator_id, Assignment.submitted_at)
        .order_by(Assignment.proposal_id, Assignment.submitted_at, Assignment.id)
    ):
        by_proposal[proposal_id].append(EvaluatorTotal(evaluator_id, Decimal(total or 0), submitted_at))
    if not by_proposal:
        return []

    # 2. The mean (unweighted) score per criterion over the submitted reviews.
    means: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for proposal_id, criterion_id, score_sum, count in db.session.execute(
        select(Assignment.proposal_id, ScoreEntry.criterion_id, func.sum(ScoreEntry.score), func.count(ScoreEntry.id))
        .join(Assignment, Assignment.id == ScoreEntry.assignment_id)
        .where(*submitted, ScoreEntry.score.is_not(None))
        .group_by(Assignment.proposal_id, ScoreEntry.criterion_id)
    ):
        means[proposal_id][criterion_id] = Decimal(score_sum) / Decimal(count)

    # 3. The current consensus of each moderated proposal.
    consensus: dict[int, dict[int, Decimal]] = defaultdict(dict)
    moderation_ids: dict[int, int] = {}
    for proposal_id, moderation_id, criterion_id, score in db.session.execute(
        select(Moderation.proposal_id, Moderation.id, ModerationScore.criterion_id, ModerationScore.score)
        .join(ModerationScore, ModerationScore.moderation_id == Moderation.id)
        .where(Moderation.stage_id == stage.id, Moderation.replaced_at.is_(None))
    ):
        consensus[proposal_id][criterion_id] = Decimal(score)
        moderation_ids[proposal_id] = moderation_id

    # 4. What the order and the envelope need of each proposal: plain columns.
    facts = {
        proposal_id: (requested or Decimal(0), submitted_at)
        for proposal_id, requested, submitted_at in db.session.execute(
            select(Proposal.id, Proposal.requested_amount, Proposal.submitted_at).where(
                Proposal.call_id == stage.call_id,  # (indexed: without it PostgreSQL read every proposal)
                Proposal.id.in_(select(Assignment.proposal_id).where(*submitted)),
            )
        )
    }

    gap = divergence_gap(stage)
    grid_criteria = list(stage.criteria)
    in_grid = {c.id for c in grid_criteria}
    grid_sections = [(s, [(c.id, c.weight) for c in s.criteria if c.id in in_grid]) for s in stage.sections]
    weights = [(c.id, c.weight) for c in grid_criteria]
    zero = Decimal(0)
    rows = []
    for proposal_id, evaluator_totals in by_proposal.items():
        crit_means = means.get(proposal_id, {})
        agreed = consensus.get(proposal_id)
        criterion_rows = [
            CriterionResult(
                criterion=c,
                mean=quantize(crit_means.get(c.id, zero)),
                consensus=agreed.get(c.id) if agreed else None,
                threshold=c.min_score,
            )
            for c in grid_criteria
        ]
        sections = []
        for s, in_section in grid_sections:
            section_mean = sum((crit_means.get(cid, zero) * w for cid, w in in_section), zero)
            section_consensus = sum((agreed.get(cid, zero) * w for cid, w in in_section), zero) if agreed else None
            sections.append(
                SectionResult(
                    section=s, mean=quantize(section_mean), threshold=s.threshold, consensus=section_consensus
                )
            )
        values = [e.total for e in evaluator_totals]
        requested, submitted_at = facts.get(proposal_id, (zero, None))
        row = RankedProposal(
            proposal=None,
            evaluator_totals=evaluator_totals,
            mean_total=quantize(sum(values, zero) / Decimal(len(values))),
            sections=sections,
            total_threshold=stage.total_threshold,
            reviews_submitted=len(values),
            reviews_required=stage.evaluators_required,
            criteria=criterion_rows,
            consensus_total=(sum((agreed.get(cid, zero) * w for cid, w in weights), zero) if agreed else None),
            moderation_id=moderation_ids.get(proposal_id),
            spread=max(values) - min(values),
            gap=gap,
            proposal_id=proposal_id,
            requested_amount=requested,
            submitted_at=submitted_at,
        )
        row.tie_break_mean = sections[0].score if sections else zero
        rows.append(row)

    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(
        key=lambda r: (
            -r.final_total,
            -r.tie_break_mean,
            -(r.criteria[0].score if r.criteria else zero),
            r.submitted_at or far_future,
            r.proposal_id,
        )
    )
    cumulative = zero
    for position, row in enumerate(rows, start=1):
        row.rank = position
        if row.passes:
            cumulative += row.requested_amount
            row.cumulative_amount = cumulative
            row.within_envelope = cumulative <= call.budget_envelope
    if hydrate_rows:
        hydrate(rows)
    return rows


# -- the ranking shared between the requests of one process, while what it is computed from is unchanged ----------
# Computing the ranking of a call of 500 proposals takes about 40 ms of CPU and two aggregates over every score; the
# ranking page and the applicants' summaries read it far more often than reviews are submitted. The rows (without
# proposals or evaluators) are kept per process under a key that changes whenever the result can: the submitted
# reviews of the stage (their number, ids, latest submission and version counters: reopening or resubmitting a
# review changes them, and a submitted review's scores cannot change), the current consensus records, the requested
# amounts, the call's envelope and the stage's grid. Reading the key is one small query. The cached rows are never
# handed out: `shared_rank` callers get them read-only and show copies (`row_copy`).

CACHE_SIZE = 32
_shared: OrderedDict[tuple, list[RankedProposal]] = OrderedDict()


def _state_key(call: Call, stage: EvaluationStage) -> tuple:
    submitted = (Assignment.stage_id == stage.id, Assignment.status == AssignmentStatus.SUBMITTED.value)
    reviews = select(
        func.count(Assignment.id),
        func.sum(Assignment.id),
        func.sum(Assignment.version_id),
        func.max(Assignment.submitted_at),
    ).where(*submitted)
    consensus = select(func.count(Moderation.id), func.sum(Moderation.id)).where(
        Moderation.stage_id == stage.id, Moderation.replaced_at.is_(None)
    )
    amounts = select(func.sum(Proposal.requested_amount), func.max(Proposal.submitted_at)).where(
        Proposal.call_id == stage.call_id,  # (indexed: without it PostgreSQL read every proposal of every call)
        Proposal.id.in_(select(Assignment.proposal_id).where(*submitted)),
    )
    reviews_sq, consensus_sq, amounts_sq = reviews.subquery(), consensus.subquery(), amounts.subquery()
    state = db.session.execute(
        select(reviews_sq, consensus_sq, amounts_sq).select_from(
            reviews_sq.join(consensus_sq, true()).join(amounts_sq, true())
        )
    ).one()
    grid = (
        stage.total_threshold,
        stage.evaluators_required,
        stage.divergence_percent,
        stage.max_total,
        tuple((c.id, c.weight, c.min_score) for c in stage.criteria),
        tuple((s.id, s.threshold, tuple(c.id for c in s.criteria)) for s in stage.sections),
    )
    return (str(db.engine.url), call.id, call.budget_envelope, stage.id, grid, tuple(state))


def shared_rank(call: Call, stage: EvaluationStage | None) -> list[RankedProposal]:
    """`rank(call, stage, hydrate_rows=False)`, shared between requests while its inputs are unchanged (see above).
    Read-only: show `row_copy(row, stage)` of the rows a page needs, never the rows themselves."""
    stage = stage or pipeline.stage_for_call(call)
    if stage is None:
        return []
    key = _state_key(call, stage)
    rows = _shared.get(key)
    if rows is None:
        rows = rank(call, stage, hydrate_rows=False)
        _shared[key] = rows
        while len(_shared) > CACHE_SIZE:
            _shared.popitem(last=False)
    else:
        _shared.move_to_end(key)
    return rows


def row_copy(row: RankedProposal, stage: EvaluationStage) -> RankedProposal:
    """A copy of a shared row, bound to this request's grid objects (same grid: it is part of the cache key) and
    ready for `hydrate`."""
    return replace(
        row,
        proposal=None,
        evaluator_totals=[replace(e, evaluator=None) for e in row.evaluator_totals],
        sections=[replace(r, section=s) for r, s in zip(row.sections, stage.sections, strict=True)],
        criteria=[replace(r, criterion=c) for r, c in zip(row.criteria, stage.criteria, strict=True)],
    )


def hydrate(rows: list[RankedProposal], proposal: Proposal | None = None) -> list[RankedProposal]:
    """Load the proposals (with what the pages and exports show) and the evaluators of `rows`: two queries whatever
    the number of rows. `proposal`, when given, is used for its own row instead of being read again."""
    wanted = [r.proposal_id for r in rows if r.proposal is None and (proposal is None or r.proposal_id != proposal.id)]
    loaded: dict[int, Proposal] = {}
    if wanted:
        loaded = {
            p.id: p
            for p in db.session.scalars(
                select(Proposal)
                .where(Proposal.id.in_(wanted))
                .options(
                    joinedload(Proposal.organisation),
                    joinedload(Proposal.decision),
                    joinedload(Proposal.grant),
                    selectinload(Proposal.country_rows),
                )
            ).unique()
        }
    if proposal is not None:
        loaded[proposal.id] = proposal
    evaluator_ids = {e.evaluator_id for r in rows for e in r.evaluator_totals if e.evaluator is None}
    evaluators = (
        {
            u.id: u
            for u in db.session.scalars(
                # The pages and exports name the evaluators: their secrets stay unread (loaded if ever asked for).
                select(User)
                .where(User.id.in_(evaluator_ids))
                .options(defer(User.password_hash), defer(User.totp_secret), defer(User.recovery_code_hashes))
            )
        }
        if evaluator_ids
        else {}
    )
    for row in rows:
        if row.proposal is None:
            row.proposal = loaded.get(row.proposal_id)
        for entry in row.evaluator_totals:
            if entry.evaluator is None:
                entry.evaluator = evaluators.get(entry.evaluator_id)
    return rows


def row_for(
    call: Call, proposal: Proposal, stage: EvaluationStage | None = None, *, shared: bool = False
) -> RankedProposal | None:
    """The ranking row of one proposal in `stage` (default: the stage that scores it); only that row is hydrated.
    `shared=True` reads the ranking shared between requests (pages that show it; a decision computes it afresh)."""
    stage = stage or pipeline.scoring_stage_for(proposal)
    if stage is None:
        return None
    rows = shared_rank(call, stage) if shared else rank(call, stage, hydrate_rows=False)
    for row in rows:
        if row.proposal_id == proposal.id:
            return hydrate([row_copy(row, stage) if shared else row], proposal)[0]
    return None
