"""The internal discussion of a proposal: managers always, evaluators only where their stage lets them in and after
declaring no conflict; applicants never. Messages are plain text, kept with their line breaks, and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import threads
from portal.evaluation.models import AssignmentStatus
from portal.evaluation.operations import EvaluationError
from portal.evaluation.thread_models import ThreadMessage
from portal.proposals.models import ProposalPartner


@pytest.fixture
def open_thread(session, call):
    """The call's stage lets the proposal's evaluators into its discussion."""
    call.stages[0].evaluators_in_thread = True
    session.commit()
    return call.stages[0]


def _url(proposal) -> str:
    return f"/proposals/{proposal.id}/discussion"


def test_manager_posts_a_message_kept_as_plain_text_and_audited(session, client, sign_in, proposal, manager):
    sign_in(client, manager)
    response = client.post(_url(proposal), data={"body": "First line <b>bold</b>\r\nSecond line"})
    assert response.status_code == 302
    page = client.get(_url(proposal)).get_data(as_text=True)
    assert "First line &lt;b&gt;bold&lt;/b&gt;<br>\nSecond line" in page
    assert "<b>bold</b>" not in page
    assert "Mona Manager" in page

    message = session.scalars(select(ThreadMessage)).one()
    assert message.body == "First line <b>bold</b>\nSecond line"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "thread.message_posted")).one()
    assert entry.actor_id == manager.id
    assert entry.object_type == "thread_messages" and entry.object_id == str(message.id)
    assert entry.after["proposal_id"] == proposal.id


def test_empty_or_too_long_message_is_refused_and_the_text_kept(session, client, sign_in, proposal, manager):
    sign_in(client, manager)
    response = client.post(_url(proposal), data={"body": "   \n  "})
    assert response.status_code == 422
    assert "Write your message." in response.get_data(as_text=True)

    long_text = "Budget lines need a closer look. " * 200  # over 5000 characters
    response = client.post(_url(proposal), data={"body": long_text})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use at most 5000 characters" in html
    assert "Budget lines need a closer look." in html  # what was typed is still in the box
    assert session.scalars(select(ThreadMessage)).all() == []


def test_evaluator_takes_part_when_the_stage_allows_and_no_conflict_is_declared(
    session, client, sign_in, proposal, evaluator, make_assignment, open_thread, manager
):
    make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    threads.post_message(proposal, "Please look at the budget.", by=manager)
    session.commit()
    sign_in(client, evaluator)
    page = client.get(_url(proposal))
    assert page.status_code == 200
    assert "Please look at the budget." in page.get_data(as_text=True)
    assert client.post(_url(proposal), data={"body": "The travel costs look high."}).status_code == 302
    assert [m.body for m in threads.thread_messages(proposal)] == [
        "Please look at the budget.",
        "The travel costs look high.",
    ]


def test_evaluator_kept_out_when_the_stage_does_not_allow(
    session, client, sign_in, proposal, evaluator, make_assignment
):
    make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    assert client.get(f"/proposals/{proposal.id}").status_code == 200  # the proposal, yes
    assert client.get(_url(proposal)).status_code == 403  # its discussion, no
    assert client.post(_url(proposal), data={"body": "Hello"}).status_code == 403


@pytest.mark.parametrize("status", [AssignmentStatus.PENDING, AssignmentStatus.CONFLICT])
def test_evaluator_without_a_declared_no_conflict_cannot_reach_the_thread(
    session, client, sign_in, proposal, evaluator, make_assignment, open_thread, status
):
    make_assignment(proposal, evaluator=evaluator, status=status)
    sign_in(client, evaluator)
    assert client.get(_url(proposal)).status_code == 404
    assert threads.can_read_thread(proposal, evaluator) is False


def test_unassigned_evaluator_cannot_reach_the_thread(
    session, client, sign_in, proposal, make_user, make_assignment, open_thread
):
    make_assignment(proposal, status=AssignmentStatus.IN_PROGRESS)
    stranger = make_user("evaluator")
    sign_in(client, stranger)
    assert client.get(_url(proposal)).status_code == 404


def test_applicants_never_see_the_internal_discussion(session, client, sign_in, proposal, manager, make_user, make_org):
    threads.post_message(proposal, "Internal: the lead seems weak on finance.", by=manager)
    partner_user = make_user("applicant")
    partner_org = make_org(members=[partner_user])
    session.add(ProposalPartner(proposal=proposal, organisation=partner_org, role="co_applicant", status="accepted"))
    session.commit()
    lead_user = proposal.organisation.memberships[0].user
    for user in (lead_user, partner_user, make_user("applicant")):
        sign_in(client, user)
        assert client.get(_url(proposal)).status_code == 403
        view = client.get(f"/proposals/{proposal.id}")
        assert "the lead seems weak on finance" not in view.get_data(as_text=True)
        assert "Internal discussion" not in view.get_data(as_text=True)
        with pytest.raises(EvaluationError):
            threads.post_message(proposal, "Let me in", by=user)


def test_blind_stage_hides_the_applicant_from_the_evaluator_only(
    session, client, sign_in, proposal, evaluator, manager, make_assignment, open_thread
):
    open_thread.blind = True
    session.commit()
    make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    name = proposal.organisation.legal_name
    sign_in(client, evaluator)
    html = client.get(_url(proposal)).get_data(as_text=True)
    assert proposal.reference in html
    assert name not in html
    sign_in(client, manager)
    assert name in client.get(_url(proposal)).get_data(as_text=True)


def test_scoring_page_links_to_the_thread_only_where_allowed(
    session, client, sign_in, proposal, evaluator, make_assignment, call
):
    assignment = make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    link = f'href="/proposals/{proposal.id}/discussion"'
    assert link not in client.get(f"/evaluation/assignments/{assignment.id}").get_data(as_text=True)
    call.stages[0].evaluators_in_thread = True
    session.commit()
    assert link in client.get(f"/evaluation/assignments/{assignment.id}").get_data(as_text=True)


def test_proposal_page_links_managers_to_the_thread(session, client, sign_in, proposal, manager):
    sign_in(client, manager)
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f'href="/proposals/{proposal.id}/discussion"' in html
    assert f'href="/manage/proposals/{proposal.id}/clarifications/new"' in html
