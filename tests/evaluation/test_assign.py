"""Assigning evaluators to proposals, and removing assignments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import operations
from portal.evaluation.models import Assignment, AssignmentStatus
from portal.proposals.models import ProposalStatus


def _audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_first_assignment_moves_proposal_under_review_and_emails_evaluator(
    session, rq, proposal, evaluator, manager, outbox
):
    assignment = operations.assign_evaluator(proposal, evaluator, by=manager)
    session.commit()

    assert assignment.status == AssignmentStatus.PENDING
    assert proposal.status == ProposalStatus.UNDER_REVIEW
    assert [e.after["status"] for e in _audit(session, "proposal.under_review")] == ["under_review"]
    created = _audit(session, "assignment.created")
    assert len(created) == 1 and created[0].actor_id == manager.id
    assert created[0].after["evaluator"] == evaluator.email
    assert [m.to for m in outbox] == [evaluator.email]
    assert proposal.reference in outbox[0].subject
    assert f"/evaluation/assignments/{assignment.id}/declaration" in outbox[0].text
    assert proposal.summary not in outbox[0].text


def test_second_assignment_keeps_proposal_under_review(session, rq, proposal, manager, make_evaluator):
    operations.assign_evaluator(proposal, make_evaluator(), by=manager)
    operations.assign_evaluator(proposal, make_evaluator(), by=manager)
    session.commit()
    assert proposal.status == ProposalStatus.UNDER_REVIEW
    assert len(_audit(session, "proposal.under_review")) == 1


@pytest.mark.parametrize("role", ["applicant", "manager", "admin"])
def test_non_evaluator_is_refused(session, rq, proposal, manager, make_user, role):
    person = make_user(role, full_name="Not An Evaluator")
    with pytest.raises(operations.EvaluationError) as exc:
        operations.assign_evaluator(proposal, person, by=manager)
    assert str(exc.value.message) == "Not An Evaluator is not an active evaluator and cannot be assigned."


def test_inactive_evaluator_is_refused(session, rq, proposal, manager, make_user):
    person = make_user("evaluator", full_name="Gone Evaluator", active=False)
    with pytest.raises(operations.EvaluationError, match="Gone Evaluator is not an active evaluator"):
        operations.assign_evaluator(proposal, person, by=manager)


def test_duplicate_is_refused(session, rq, proposal, evaluator, manager):
    operations.assign_evaluator(proposal, evaluator, by=manager)
    session.commit()
    with pytest.raises(operations.EvaluationError) as exc:
        operations.assign_evaluator(proposal, evaluator, by=manager)
    assert str(exc.value.message) == f"Eva Evaluator is already assigned to {proposal.reference}."


def test_evaluator_with_declared_conflict_cannot_be_assigned_again(
    session, rq, proposal, evaluator, manager, make_assignment
):
    make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.CONFLICT)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.assign_evaluator(proposal, evaluator, by=manager)
    assert str(exc.value.message) == (
        f"Eva Evaluator declared a conflict of interest with {proposal.reference} and cannot be assigned to it again."
    )


@pytest.mark.parametrize("status", [ProposalStatus.DRAFT, ProposalStatus.AWARDED, ProposalStatus.REJECTED])
def test_proposal_must_be_submitted_or_under_review(session, rq, call, make_proposal, evaluator, manager, status):
    proposal = make_proposal(call, status=status)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.assign_evaluator(proposal, evaluator, by=manager)
    assert str(exc.value.message).startswith(
        f"Evaluators can only be assigned to proposals that are submitted, through their checks or under review; "
        f"{proposal.reference} is “"
    )


def test_assign_page_lists_proposals_assignments_and_candidates(
    client, sign_in, session, call, proposal, manager, make_user, make_assignment, make_proposal
):
    pending = make_user("evaluator", full_name="Paula Pending")
    conflicted = make_user("evaluator", full_name="Carl Conflicted")
    free = make_user("evaluator", full_name="Fiona Free")
    make_user("evaluator", full_name="Ivan Inactive", active=False)
    make_assignment(proposal, evaluator=pending)
    make_assignment(proposal, evaluator=conflicted, status=AssignmentStatus.CONFLICT)
    draft = make_proposal(call, title="Still a draft")

    sign_in(client, manager)
    html = client.get(f"/manage/calls/{call.id}/assignments").get_data(as_text=True)

    assert proposal.reference in html
    assert draft.reference not in html
    assert "Pending declaration" in html and "Conflict declared" in html
    assert "1 active of 2 required" in html
    form_part = html.split(f'name="p{proposal.id}-evaluator_id"')[1].split("</select>")[0]
    assert "Fiona Free" in form_part
    assert "Paula Pending" not in form_part
    assert "Carl Conflicted" not in form_part
    assert "Ivan Inactive" not in form_part
    assert free.email in form_part


def test_assign_through_the_page(client, sign_in, session, proposal, manager, evaluator, outbox):
    sign_in(client, manager)
    response = client.post(
        f"/manage/calls/{proposal.call_id}/assignments",
        data={"proposal_id": proposal.id, f"p{proposal.id}-evaluator_id": evaluator.id},
    )
    assert response.status_code == 302
    session.expire_all()
    assert proposal.status == ProposalStatus.UNDER_REVIEW
    assert [(a.evaluator_id, a.status) for a in proposal.assignments] == [(evaluator.id, "pending")]
    assert [m.to for m in outbox] == [evaluator.email]
    page = client.get(response.location).get_data(as_text=True)
    assert f"Eva Evaluator is assigned to {proposal.reference} and has been e-mailed." in page


def test_assign_page_shows_refusal_next_to_the_field(client, sign_in, session, proposal, manager, make_user):
    applicant = make_user("applicant", full_name="Andy Applicant")
    sign_in(client, manager)
    response = client.post(
        f"/manage/calls/{proposal.call_id}/assignments",
        data={"proposal_id": proposal.id, f"p{proposal.id}-evaluator_id": applicant.id},
    )
    assert response.status_code == 200
    assert "Andy Applicant is not an active evaluator and cannot be assigned." in response.get_data(as_text=True)
    session.expire_all()
    assert proposal.assignments == [] and proposal.status == ProposalStatus.SUBMITTED


def test_assign_page_requires_a_choice(client, sign_in, proposal, manager):
    sign_in(client, manager)
    response = client.post(
        f"/manage/calls/{proposal.call_id}/assignments",
        data={"proposal_id": proposal.id, f"p{proposal.id}-evaluator_id": "0"},
    )
    assert response.status_code == 200
    assert "Choose an evaluator to assign." in response.get_data(as_text=True)


def test_remove_pending_assignment(client, sign_in, session, proposal, manager, make_assignment):
    assignment = make_assignment(proposal)
    assignment_id = assignment.id
    sign_in(client, manager)
    response = client.post(f"/manage/assignments/{assignment_id}/remove")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Assignment, assignment_id) is None
    removed = _audit(session, "assignment.removed")
    assert len(removed) == 1 and removed[0].object_id == str(assignment_id)


def test_declared_assignment_cannot_be_removed(client, sign_in, session, proposal, manager, make_assignment):
    assignment = make_assignment(proposal, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, manager)
    response = client.post(f"/manage/assignments/{assignment.id}/remove", follow_redirects=True)
    assert "Only an assignment still waiting for the evaluator&#39;s declaration can be removed" in response.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(Assignment, assignment.id) is not None


def test_assignment_pages_are_for_managers(client, sign_in, call, proposal, make_assignment, evaluator, make_user):
    assignment = make_assignment(proposal)
    assert client.get(f"/manage/calls/{call.id}/assignments").status_code == 302  # to sign in
    for user in (evaluator, make_user("applicant")):
        sign_in(client, user)
        assert client.get(f"/manage/calls/{call.id}/assignments").status_code == 403
        assert client.post(f"/manage/assignments/{assignment.id}/remove").status_code == 403
    sign_in(client, make_user("admin"))
    assert client.get(f"/manage/calls/{call.id}/assignments").status_code == 200
