"""A manager reopens a submitted review with a reason; the evaluator can change it and submit again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import operations
from portal.evaluation.models import AssignmentStatus
from tests.evaluation.conftest import ALL_FOURS


def test_reopen_moves_back_to_in_progress_audits_and_mails(session, rq, proposal, review, manager, outbox):
    assignment = review(proposal, ALL_FOURS)
    operations.reopen_review(assignment, "Criterion 1.2 has no justification.", by=manager)
    session.commit()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert assignment.submitted_at is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "review.reopened")).one()
    assert entry.before["status"] == "submitted"
    assert entry.after == {"status": "in_progress", "reason": "Criterion 1.2 has no justification."}
    assert [m.to for m in outbox] == [assignment.evaluator.email]
    assert "Criterion 1.2 has no justification." in outbox[0].text
    assert proposal.reference in outbox[0].subject


@pytest.mark.parametrize("reason", ["", "   ", "too short"])
def test_reason_is_required(session, rq, proposal, review, manager, reason):
    assignment = review(proposal, ALL_FOURS)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.reopen_review(assignment, reason, by=manager)
    assert exc.value.field == "reason"
    assert "at least 10 characters" in str(exc.value.message)
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_only_submitted_reviews_by_staff(session, rq, proposal, make_assignment, review, evaluator, manager):
    draft = make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    with pytest.raises(operations.EvaluationError, match=r"Only a submitted review can be reopened\."):
        operations.reopen_review(draft, "A good long reason.", by=manager)
    submitted = review(proposal, ALL_FOURS)
    with pytest.raises(operations.EvaluationError, match="Only a programme manager"):
        operations.reopen_review(submitted, "A good long reason.", by=submitted.evaluator)


def test_page_reopens_and_the_evaluator_can_score_again(client, sign_in, session, proposal, review, manager):
    assignment = review(proposal, ALL_FOURS)
    sign_in(client, manager)
    listing = client.get(f"/manage/calls/{proposal.call_id}/assignments").get_data(as_text=True)
    assert f"/manage/assignments/{assignment.id}/reopen" in listing

    empty = client.post(f"/manage/assignments/{assignment.id}/reopen", data={"reason": "short"})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 200
    assert "at least 10 characters" in html and "short</textarea>" in html  # what was typed is kept

    done = client.post(f"/manage/assignments/{assignment.id}/reopen", data={"reason": "Please justify 2.1 more."})
    assert done.status_code == 302
    session.expire_all()
    assert assignment.status == AssignmentStatus.IN_PROGRESS

    sign_in(client, assignment.evaluator)
    page = client.get(f"/evaluation/assignments/{assignment.id}").get_data(as_text=True)
    assert "Submit review" in page


def test_evaluator_cannot_reopen(client, sign_in, proposal, review):
    assignment = review(proposal, ALL_FOURS)
    sign_in(client, assignment.evaluator)
    assert client.post(f"/manage/assignments/{assignment.id}/reopen", data={"reason": "x" * 20}).status_code == 403
