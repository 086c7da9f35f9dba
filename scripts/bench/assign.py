"""The automatic evaluator assignment of the BENCH-ASSIGN call: its eligible, unassigned proposals x 3 evaluators,
through portal.evaluation.solver.propose_assignments (written separately; "solver not available" when it is not
there). The plan is only proposed, never saved."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import select

log = logging.getLogger("bench.assign")
PER_PROPOSAL = 3


@dataclass
class AssignResult:
    proposals: int = 0
    evaluators: int = 0
    seconds: float | None = None
    pairs: int | None = None
    unassignable: int | None = None
    error: str = ""


def bench_assignment(app, call_reference: str) -> AssignResult:
    result = AssignResult()
    try:
        from portal.evaluation.solver import propose_assignments
    except Exception as exc:  # not written yet, or broken: the line says so, the benchmark goes on
        result.error = f"solver not available ({type(exc).__name__}: {exc})"
        return result
    from portal.accounts.models import User
    from portal.calls.models import Call
    from portal.evaluation import pipeline
    from portal.extensions import db
    from portal.proposals.models import Proposal

    try:
        with app.app_context():
            call = db.session.scalar(select(Call).where(Call.reference == call_reference))
            if call is None:
                result.error = f"no call {call_reference} in the bench database"
                return result
            stage = pipeline.stage_for_call(call)
            eligible = select(Proposal).where(Proposal.call_id == call.id, Proposal.status == "eligible")
            proposals = list(db.session.scalars(eligible.order_by(Proposal.id)))
            active = select(User).where(User.role == "evaluator", User.active.is_(True))
            evaluators = list(db.session.scalars(active.order_by(User.id)))
            result.proposals, result.evaluators = len(proposals), len(evaluators)
            started = time.perf_counter()
            plan = propose_assignments(stage, proposals, evaluators, per_proposal=PER_PROPOSAL)
            result.seconds = time.perf_counter() - started
            result.pairs = len(plan.pairs)
            result.unassignable = len(plan.unassignable)
            db.session.rollback()
    except Exception as exc:
        log.exception("assignment benchmark failed")
        result.error = f"{type(exc).__name__}: {exc}"
    return result
