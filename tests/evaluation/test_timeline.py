"""The timeline of a proposal: every recorded event with who and when, filtered for its reader. Managers see
everything; the applicant never sees evaluators, assignments, reviews or the internal discussion, and reads
"Programme management" for staff; an evaluator sees only their own assignment (and the discussion where allowed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event

from portal.core.db import utcnow
from portal.evaluation import operations, threads
from portal.evaluation.timeline import timeline
from portal.extensions import db
from portal.proposals import states
from portal.proposals.models import ProposalStatus

EVALUATOR_NAMES = ("Eva Evaluator", "Otto Other")


@pytest.fixture
def history(session, rq, call, make_proposal, make_user, make_evaluator, manager):
    """A proposal taken from submission to rejection: two evaluators, a discussion, a clarification."""
    lead = make_user("applicant", full_name="Lena Lead")
    proposal = make_proposal(call, created_by=lead, status=ProposalStatus.DRAFT, title="Sahel mobility")
    states.transition(proposal, ProposalStatus.SUBMITTED, by=lead)
    eva = make_evaluator(full_name="Eva Evaluator")
    otto = make_evaluator(full_name="Otto Other")
    assignments = {}
    for evaluator in (eva, otto):
        assignment = operations.assign_evaluator(proposal, evaluator, by=manager)
        operations.declare_interest(assignment, has_conflict=False, confidentiality=True, by=evaluator)
        scores = {c.id: (Decimal(4), "A careful comment on this criterion.") for c in assignment.stage.criteria}
        operations.save_scores(assignment, scores, by=evaluator, submit=True)
        assignments[evaluator.id] = assignment
    threads.post_message(proposal, "Otto's scores look generous.", by=manager)
    request = threads.ask_clarification(
        proposal, "Please send the audited accounts.", utcnow() + dt.timedelta(days=5), by=manager
    )
    threads.answer_clarification(request, "Attached to this answer.", by=lead)
    operations.decide_proposal(proposal, outcome="reject", reason="Below the budget line of this call.", by=manager)
    session.commit()
    return {"proposal": proposal, "lead": lead, "eva": eva, "otto": otto, "assignments": assignments}


def _kinds(events) -> set[str]:
    return {e.kind for e in events}


def _all_text(events) -> str:
    return " | ".join(f"{e.actor_label}: {e.text}" for e in events)


def test_managers_see_everything_with_names(history, manager):
    events = timeline(history["proposal"], manager)
    assert {"submission", "assignment", "declaration", "review", "message", "clarification", "decision"} <= _kinds(
        events
    )
    text = _all_text(events)
    assert "Evaluator assigned: Eva Evaluator." in text and "Evaluator assigned: Otto Other." in text
    assert "Mona Manager: Message in the internal discussion." in text
    assert "Lena Lead: Clarification answered." in text
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_the_applicant_never_sees_evaluators_assignments_reviews_or_the_discussion(history, manager):
    events = timeline(history["proposal"], history["lead"])
    assert _kinds(events) <= {"proposal", "submission", "attachment", "check", "clarification", "decision"}
    assert {"submission", "clarification", "decision"} <= _kinds(events)
    text = _all_text(events)
    for name in EVALUATOR_NAMES:
        assert name not in text
    assert "Mona Manager" not in text  # staff are "Programme management" to the applicant
    assert "Programme management: Clarification requested" in text
    assert "Lena Lead: Status: Submitted." in text
    assert "Status: Rejected. Reason: Below the budget line of this call." in text
    assert "Under review" not in text and "internal discussion" not in text


def test_an_evaluator_sees_only_their_own_assignment(history, session, call):
    eva, otto = history["eva"], history["otto"]
    events = timeline(history["proposal"], eva)
    assert _kinds(events) == {"assignment", "declaration", "review"}
    text = _all_text(events)
    assert "Otto Other" not in text and "Lena Lead" not in text
    assert "Eva Evaluator: Review submitted." in text
    assert len([e for e in events if e.kind == "review"]) == 1

    call.stages[0].evaluators_in_thread = True
    session.commit()
    with_thread = timeline(history["proposal"], eva)
    assert "message" in _kinds(with_thread)
    assert "Otto Other" not in _all_text(with_thread)
    assert _kinds(timeline(history["proposal"], otto)) == _kinds(with_thread)


def test_strangers_get_nothing(history, make_user):
    assert timeline(history["proposal"], make_user("applicant")) == []
    assert timeline(history["proposal"], make_user("evaluator")) == []


def test_the_number_of_queries_does_not_grow_with_the_history(history, session, call, make_proposal, manager):
    small = make_proposal(call, status=ProposalStatus.DRAFT)
    states.transition(small, ProposalStatus.SUBMITTED, by=small.created_by)
    session.commit()
    counts = {}
    engine = db.engine
    for name, proposal, reader in (("small", small, manager), ("big", history["proposal"], manager)):
        session.expire_all()
        proposal = session.get(type(proposal), proposal.id)
        reader = session.get(type(reader), reader.id)
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany, statements=statements):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            events = timeline(proposal, reader)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert events
        counts[name] = len(statements)
    assert counts["small"] == counts["big"], statements
    assert counts["big"] <= 4


def test_the_timeline_page_for_the_applicant_and_the_manager(history, client, sign_in, manager, make_user):
    proposal = history["proposal"]
    url = f"/proposals/{proposal.id}/timeline"
    sign_in(client, history["lead"])
    html = client.get(url).get_data(as_text=True)
    assert "Programme management" in html and "Clarification requested" in html
    for name in (*EVALUATOR_NAMES, "Mona Manager"):
        assert name not in html
    sign_in(client, manager)
    html = client.get(url).get_data(as_text=True)
    assert "Eva Evaluator" in html and "Mona Manager" in html
    sign_in(client, make_user("applicant"))
    assert client.get(url).status_code == 404
    sign_in(client, make_user("evaluator"))
    assert client.get(url).status_code == 404


def test_blind_stage_hides_the_applicant_on_the_evaluators_timeline_page(history, client, sign_in, session, call):
    call.stages[0].blind = True
    session.commit()
    proposal = history["proposal"]
    sign_in(client, history["eva"])
    html = client.get(f"/proposals/{proposal.id}/timeline").get_data(as_text=True)
    assert proposal.reference in html
    assert proposal.organisation.legal_name not in html
    assert "Lena Lead" not in html


def test_a_removed_assignment_stays_in_the_managers_timeline(session, rq, proposal, manager, make_evaluator):
    evaluator = make_evaluator(full_name="Rita Removed")
    assignment = operations.assign_evaluator(proposal, evaluator, by=manager)
    operations.remove_assignment(assignment, by=manager)
    session.commit()
    text = _all_text(timeline(proposal, manager))
    assert "Evaluator assigned: Rita Removed." in text
    assert "Assignment of Rita Removed removed." in text
    assert "Rita Removed" not in _all_text(timeline(proposal, proposal.organisation.memberships[0].user))
