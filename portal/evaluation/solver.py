"""Automatic assignment of evaluators to every proposal of a stage, solved as an assignment problem.

Each proposal needs `per_proposal` evaluators (the stage's `evaluators_required`) counting those it already has.
A pair is forbidden when the portal detects a conflict of interest, the evaluator declared one, is already
assigned, does not speak the proposal's language or has not signed the declaration. Expertise in the proposal's
JVAP domain (and knowledge of its countries) is preferred. Loads are balanced: after the plan, evaluators' loads in
the stage differ by at most one wherever the forbidden pairs allow it.

Method: slot-round by slot-round (round r gives the r-th missing evaluator of every proposal that needs one), so
an evaluator never takes two slots of the same proposal. Each round is a rectangular assignment problem solved by
SciPy's `linear_sum_assignment` (Jonker-Volgenant): rows are the proposals of the round, columns are evaluator
slots. An evaluator has slots up to the ceiling of the balanced load after the round; the slots that bring them up
to its floor carry a bonus (so every one is filled when possible), one overflow slot per evaluator carries a
penalty (taken only when coverage needs it). Forbidden pairs carry a cost above any allowed assignment and are
rejected after solving: their proposal is reported as unassignable, with the reason."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from flask_babel import lazy_gettext as _l
from scipy.optimize import linear_sum_assignment

FORBIDDEN = 1e9
OVERFLOW = 1e5
FLOOR_BONUS = -1e3
EXPERTISE_BONUS = -10.0
COUNTRY_BONUS = -2.0


@dataclass(frozen=True)
class ProposalFacts:
    id: int
    language: str
    domain_id: int | None
    countries: frozenset[str]
    # Evaluators who may not take it: already assigned (any status, a declared conflict included) or a conflict
    # the portal detects.
    excluded: frozenset[int]
    needed: int  # evaluators still missing


@dataclass(frozen=True)
class EvaluatorFacts:
    id: int
    languages: frozenset[str]
    domain_ids: frozenset[int]
    countries: frozenset[str]
    load: int  # active assignments in the stage already
    signed: bool = True


@dataclass
class AssignmentPlan:
    pairs: list[tuple[int, int]]  # (proposal id, evaluator id), new assignments only
    unassignable: list[tuple[int, object]]  # (proposal id, reason: a lazy translated text), once per missing one
    loads: dict[int, int]  # evaluator id -> load in the stage once the plan is carried out
    skipped_evaluators: list[int] = field(default_factory=list)  # not signed: never assigned

    @property
    def fingerprint(self) -> str:
        """Identifies the plan: the same data gives the same plan and the same fingerprint."""
        text = ";".join(f"{p}:{e}" for p, e in sorted(self.pairs))
        text += "|" + ";".join(str(p) for p, _reason in sorted(self.unassignable, key=lambda u: u[0]))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def load_spread(self) -> int:
        return (max(self.loads.values()) - min(self.loads.values())) if self.loads else 0


def solve(proposals: Sequence[ProposalFacts], evaluators: Sequence[EvaluatorFacts]) -> AssignmentPlan:
    """The plan for `proposals` with `evaluators` (pure: no database)."""
    skipped = sorted(e.id for e in evaluators if not e.signed)
    evaluators = sorted((e for e in evaluators if e.signed), key=lambda e: e.id)
    proposals = sorted(proposals, key=lambda p: p.id)
    loads = np.array([e.load for e in evaluators], dtype=np.int64)
    n_eval = len(evaluators)
    pairs: list[tuple[int, int]] = []
    unassignable: list[tuple[int, object]] = []
    if not proposals:
        return AssignmentPlan(pairs, unassignable, _loads(evaluators, loads), skipped)

    # Proposal x evaluator matrices, built once: allowed pairs, and the preference of allowed ones.
    eval_index = {e.id: j for j, e in enumerate(evaluators)}
    languages = sorted({p.language for p in proposals})
    speaks = {lang: np.array([lang in e.languages for e in evaluators], dtype=bool) for lang in languages}
    domains = sorted({p.domain_id for p in proposals if p.domain_id is not None})
    knows_domain = {d: np.array([d in e.domain_ids for e in evaluators], dtype=bool) for d in domains}
    allowed = np.zeros((len(proposals), n_eval), dtype=bool)
    preference = np.zeros((len(proposals), n_eval), dtype=np.float64)
    for i, p in enumerate(proposals):
        if n_eval:
            allowed[i] = speaks[p.language]
            for evaluator_id in p.excluded:
                j = eval_index.get(evaluator_id)
                if j is not None:
                    allowed[i, j] = False
            if p.domain_id is not None:
                preference[i] += EXPERTISE_BONUS * knows_domain[p.domain_id]
            if p.countries:
                preference[i] += COUNTRY_BONUS * np.array([bool(p.countries & e.countries) for e in evaluators])
    base = np.where(allowed, preference, FORBIDDEN)

    needed = np.array([p.needed for p in proposals], dtype=np.int64)
    for round_ in range(int(needed.max(initial=0))):
        rows = np.flatnonzero(needed > round_)
        if n_eval == 0:
            for i in rows:
                unassignable.append((proposals[i].id, _l("There is no evaluator who has signed the declaration.")))
            continue
        # Slots of each evaluator this round: up to the ceiling of the balanced load after the round; those below
        # its floor carry a bonus; one overflow slot each, taken only when coverage needs it.
        # Balance among the evaluators who may take at least one proposal of the round.
        usable = np.flatnonzero(allowed[rows].any(axis=0))
        n_usable = max(len(usable), 1)
        total_after = int(loads[usable].sum()) + len(rows)
        floor, ceiling = total_after // n_usable, math.ceil(total_after / n_usable)
        columns, slot_cost = [], []
        for j in range(n_eval):
            for level in range(int(loads[j]), max(int(loads[j]), ceiling)):
                columns.append(j)
                slot_cost.append(FLOOR_BONUS if level < floor else 0.0)
            columns.append(j)
            slot_cost.append(OVERFLOW)
        columns_arr = np.array(columns)
        cost = base[rows][:, columns_arr] + np.array(slot_cost)[None, :]
        row_ind, col_ind = linear_sum_assignment(cost)
        # Fewer evaluator slots than proposals (cannot happen with the capacities above, but never drop one silently).
        for r in sorted(set(range(len(rows))) - set(row_ind.tolist())):
            i = rows[r]
            unassignable.append((proposals[i].id, _why_unassignable(proposals[i], evaluators, allowed[i])))
        for r, c in zip(row_ind, col_ind, strict=True):
            i, j = rows[r], columns_arr[c]
            if not allowed[i, j]:
                unassignable.append((proposals[i].id, _why_unassignable(proposals[i], evaluators, allowed[i])))
                continue
            pairs.append((proposals[i].id, evaluators[j].id))
            allowed[i, j] = False  # never the same evaluator twice for one proposal
            base[i, j] = FORBIDDEN
            loads[j] += 1
    return AssignmentPlan(pairs, unassignable, _loads(evaluators, loads), skipped)


def _why_unassignable(proposal: ProposalFacts, evaluators: Sequence[EvaluatorFacts], allowed_row) -> object:
    speakers = [e for e in evaluators if proposal.language in e.languages]
    if not speakers:
        return _l("No evaluator who has signed the declaration speaks %(language)s.", language=proposal.language)
    if not allowed_row.any():
        return _l(
            "Every evaluator who speaks %(language)s has a conflict of interest with it or is already assigned.",
            language=proposal.language,
        )
    return _l("Not enough evaluators are available for it.")


def _loads(evaluators: Sequence[EvaluatorFacts], loads) -> dict[int, int]:
    return {e.id: int(load) for e, load in zip(evaluators, loads, strict=True)}
