"""The demo's calls come with the usual pipeline: checks, concept note, full application for the two-stage call,
moderation and decision; the proposals under evaluation passed their checks."""

from __future__ import annotations

from sqlalchemy import select

from portal.calls.models import Call
from portal.demo import data
from portal.demo.seed import seed
from portal.evaluation import checks, pipeline
from portal.evaluation.checks_models import CheckConclusion
from portal.proposals.models import Proposal

SINGLE = ["administrative_check", "eligibility_check", "concept_note", "moderation", "decision"]


def test_demo_calls_have_a_full_pipeline(session):
    seed()
    calls = {c.reference: c for c in session.scalars(select(Call))}
    closed, evaluation = calls[data.CLOSED_CALL["reference"]], calls[data.EVALUATION_CALL["reference"]]
    open_call = calls[data.OPEN_CALL["reference"]]
    assert [s.kind for s in pipeline.stages_of(closed)] == SINGLE
    assert [s.kind for s in pipeline.stages_of(evaluation)] == SINGLE
    assert [s.kind for s in pipeline.stages_of(open_call)] == [*SINGLE[:3], "full_application", *SINGLE[3:]]
    assert pipeline.stages_of(open_call)[3].max_total == 100
    assert len(checks.items_of(open_call, "administrative_check")) == 5

    under_review = session.scalars(select(Proposal).where(Proposal.call_id == evaluation.id)).all()
    assert under_review
    for proposal in under_review:
        assert pipeline.scoring_stage_for(proposal).kind == "concept_note"
        outcomes = session.scalars(select(CheckConclusion).where(CheckConclusion.proposal_id == proposal.id)).all()
        assert sorted((c.kind, c.passed) for c in outcomes) == [
            ("administrative_check", True),
            ("eligibility_check", True),
        ]
        assert all(line.result is not None for line in checks.checklist(proposal, "eligibility_check").lines)
