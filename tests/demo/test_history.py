"""The demo's closed call carries its full history through every stage (checks, assignments, declarations,
reviews, moderation, the committee's decisions with a reserve list, a clarification and the managers' discussion),
read on the proposals' timelines as each reader may see it; the call under evaluation shows evaluation in progress."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts.models import User
from portal.calls.models import Call
from portal.demo.seed import seed
from portal.evaluation import pipeline
from portal.evaluation.evaluator_models import EvaluatorProfile
from portal.evaluation.moderation_models import Moderation
from portal.evaluation.queries import ranking
from portal.evaluation.summary import applicant_summary
from portal.evaluation.timeline import timeline
from portal.proposals.models import Proposal

STAGE_KINDS = ["administrative_check", "eligibility_check", "concept_note", "moderation", "decision"]


def _user(session, email):
    return session.scalar(select(User).where(User.email == email))


def test_the_closed_call_has_a_full_history(app, session):
    seed()
    session.expire_all()
    closed = session.scalar(select(Call).where(Call.reference == "MMD-GF-2025-01"))
    assert [s.kind for s in pipeline.stages_of(closed)] == STAGE_KINDS
    proposals = {p.reference[-2:]: p for p in session.scalars(select(Proposal).where(Proposal.call_id == closed.id))}
    manager = _user(session, "manager@demo.example")

    # Every proposal: started, submitted, checked twice, reviewed by two evaluators who declared first, decided.
    with app.test_request_context():
        for proposal in proposals.values():
            kinds = [e.kind for e in timeline(proposal, manager)]
            for kind in ("proposal", "submission", "check", "assignment", "declaration", "review", "decision"):
                assert kind in kinds, (proposal.reference, kind)
            assert kinds.index("submission") < kinds.index("check") < kinds.index("review") < kinds.index("decision")

        # The divergent proposal went through moderation, discussed by the managers; its consensus is final.
        moderated = proposals["05"]
        kinds = [e.kind for e in timeline(moderated, manager)]
        assert "moderation" in kinds and "message" in kinds
        row = next(r for r in ranking(closed) if r.proposal.id == moderated.id)
        assert row.consensus_total == 40 and row.mean_total == 34 and row.final_total == 40
        assert session.scalar(select(Moderation).where(Moderation.proposal_id == moderated.id)).is_current

        # One applicant was asked for a clarification and answered it.
        asked = proposals["03"]
        assert [e.kind for e in timeline(asked, manager)].count("clarification") == 2

        # The reserve list: passing, beyond the envelope.
        reserve = proposals["09"]
        assert reserve.status == "reserve" and reserve.decision.outcome == "reserve"

        # The applicant reads their own history: no evaluator, no review, no internal discussion.
        lead = moderated.created_by
        events = timeline(moderated, lead)
        names = {e.actor_label for e in events}
        evaluators = {a.evaluator.display_name for a in moderated.assignments}
        assert not names & evaluators
        assert {e.kind for e in events} <= {"proposal", "submission", "check", "decision", "status", "clarification"}
        assert "Programme management" in names

        # And the outcome with its evaluation summary, consensus comments and no evaluator named.
        summary = applicant_summary(moderated, "en")
        assert summary is not None and summary.stages[0].moderated and summary.stages[0].total == 40


def test_the_evaluators_have_signed_profiles_and_the_second_call_is_in_evaluation(session):
    seed()
    session.expire_all()
    profiles = session.scalars(select(EvaluatorProfile)).all()
    assert len(profiles) == 4 and all(p.declaration_signed_at is not None and p.domains for p in profiles)
    evaluation = session.scalar(select(Call).where(Call.reference == "MMD-GF-2026-01"))
    statuses = {a.status for p in evaluation.proposals for a in p.assignments}
    assert {"pending", "in_progress", "submitted"} <= statuses
    # Its reviews are due a week from the day of seeding: the progress page has a date, and nobody is late yet.
    due_on = evaluation.concept_note_stage.due_on
    assert due_on is not None and due_on == evaluation.closes_at.date() + dt.timedelta(days=49)
    assert due_on > dt.date.today()


def test_a_second_run_adds_no_history(session):
    from portal.core.audit import AuditEntry

    seed()
    count = session.query(AuditEntry).count()
    seed()
    assert session.query(AuditEntry).count() == count
