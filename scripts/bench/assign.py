"""The automatic evaluator assignment of the BENCH-ASSIGN call: its eligible, unassigned proposals x 3 evaluators,
through the same `plan_stage` as the manager's automatic-assignment page. The plan is only proposed, never saved."""

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
    spread: int | None = None  # the largest difference between two evaluators' loads
    error: str = ""


def bench_assignment(app, call_reference: str) -> AssignResult:
    """What a manager waits for on the automatic-assignment page: `plan_stage` loads the stage's proposals with their
    consortia and every evaluator with their profile, finds the conflicts of interest and solves."""
    result = AssignResult()
    from portal.calls.models import Call
    from portal.evaluation import pipeline
    from portal.evaluation.evaluator_operations import plan_stage
    from portal.extensions import db

    try:
        with app.app_context():
            call = db.session.scalar(select(Call).where(Call.reference == call_reference))
            if call is None:
                result.error = f"no call {call_reference} in the bench database"
                return result
            stage = pipeline.stage_for_call(call)
            started = time.perf_counter()
            planned = plan_stage(stage, per_proposal=PER_PROPOSAL)
            result.seconds = time.perf_counter() - started
            result.proposals, result.evaluators = len(planned.proposals), len(planned.evaluators)
            result.pairs = len(planned.plan.pairs)
            result.unassignable = len(planned.plan.unassignable)
            result.spread = planned.plan.load_spread
            db.session.rollback()
    except Exception as exc:
        log.exception("assignment benchmark failed")
        result.error = f"{type(exc).__name__}: {exc}"
    return result
