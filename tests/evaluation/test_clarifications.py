"""Clarification requests: a manager asks the applicant with a deadline in the call's time zone, the lead
organisation's users answer in the portal (with a file if they wish), late answers are accepted and marked, a
cancelled or answered request takes no answer; everything is audited and e-mailed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from portal.core import storage
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.evaluation import threads
from portal.evaluation.models import AssignmentStatus
from portal.evaluation.operations import EvaluationError
from portal.evaluation.thread_models import ClarificationRequest, ClarificationStatus
from portal.proposals.models import ProposalPartner, ProposalStatus

PDF = b"%PDF-1.7\n% the statutes of the association\n"


@pytest.fixture
def lead(proposal):
    return proposal.organisation.memberships[0].user


@pytest.fixture
def ask(session, manager):
    def make(proposal, question="Please send the latest audited accounts.", due_in=dt.timedelta(days=7)):
        request = ClarificationRequest(
            proposal=proposal, asked_by_id=manager.id, question=question, due_at=utcnow() + due_in
        )
        session.add(request)
        session.commit()
        return request

    return make


def _audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _answer_url(proposal, request) -> str:
    return f"/proposals/{proposal.id}/clarifications/{request.id}"


# -- asking ----------------------------------------------------------------------------------------------------------


def test_manager_asks_with_a_deadline_in_the_calls_time_zone(session, client, sign_in, proposal, manager, lead, outbox):
    lead.locale = "fr"
    session.commit()
    sign_in(client, manager)
    url = f"/manage/proposals/{proposal.id}/clarifications/new"
    page = client.get(url).get_data(as_text=True)
    assert "Europe/Brussels" in page
    assert 'T12:00"' in page  # a default deadline, at noon in the call's zone
    response = client.post(
        url, data={"question": "Which partner holds the bank account?", "due_at": "2031-01-15T12:00"}
    )
    assert response.status_code == 302

    request = session.scalars(select(ClarificationRequest)).one()
    assert request.due_at == dt.datetime(2031, 1, 15, 11, 0, tzinfo=dt.UTC)  # 12:00 in Brussels, winter time
    assert request.status == ClarificationStatus.OPEN and request.asked_by_id == manager.id
    entry = _audit(session, "clarification.requested")[0]
    assert entry.actor_id == manager.id and entry.object_id == str(request.id)
    assert entry.after["question"] == "Which partner holds the bank account?"

    [message] = [m for m in outbox if m.to == lead.email]
    assert message.subject == f"Demande d’éclaircissement sur votre proposition {proposal.reference}"  # lead's language
    assert "Which partner holds the bank account?" in message.text
    assert f"/proposals/{proposal.id}/clarifications/{request.id}" in message.text


def test_deadline_in_the_past_is_refused_and_the_question_kept(session, client, sign_in, proposal, manager):
    sign_in(client, manager)
    response = client.post(
        f"/manage/proposals/{proposal.id}/clarifications/new",
        data={"question": "Which partner holds the bank account?", "due_at": "2020-01-15T12:00"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The deadline for the answer must be in the future." in html
    assert "Which partner holds the bank account?" in html
    assert session.scalars(select(ClarificationRequest)).all() == []


def test_a_deadline_in_the_skipped_daylight_saving_hour_is_refused(session, client, sign_in, proposal, manager):
    sign_in(client, manager)
    response = client.post(
        f"/manage/proposals/{proposal.id}/clarifications/new",
        data={"question": "Which partner holds the bank account?", "due_at": "2031-03-30T02:30"},
    )
    assert response.status_code == 422
    assert "does not exist in Europe/Brussels" in response.get_data(as_text=True)
    assert session.scalars(select(ClarificationRequest)).all() == []


def test_question_and_deadline_are_required(session, client, sign_in, proposal, manager):
    sign_in(client, manager)
    response = client.post(f"/manage/proposals/{proposal.id}/clarifications/new", data={"question": "Why?"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write the question in at least 10 characters." in html
    response = client.post(
        f"/manage/proposals/{proposal.id}/clarifications/new", data={"question": "Which partner signs?", "due_at": ""}
    )
    assert response.status_code == 422
    # Nothing typed is no date: the deadline is asked for (portal/core/fields.py), not "not a valid date".
    assert "Enter the date and time by which the applicant must answer." in response.get_data(as_text=True)
    response = client.post(
        f"/manage/proposals/{proposal.id}/clarifications/new",
        data={"question": "Which partner signs?", "due_at": "soon"},
    )
    assert response.status_code == 422
    assert "Enter a date and time, for example 2025-09-15 12:00." in response.get_data(as_text=True)


def test_a_draft_is_not_asked_anything(session, rq, call, make_proposal, manager):
    draft = make_proposal(call, status=ProposalStatus.DRAFT)
    with pytest.raises(EvaluationError, match="submitted proposal"):
        threads.ask_clarification(draft, "Please send the accounts.", utcnow() + dt.timedelta(days=3), by=manager)


def test_only_staff_ask(session, rq, proposal, lead, evaluator):
    for user in (lead, evaluator):
        with pytest.raises(EvaluationError):
            threads.ask_clarification(proposal, "Please send the accounts.", utcnow() + dt.timedelta(days=3), by=user)


# -- answering -------------------------------------------------------------------------------------------------------


def test_applicant_answers_with_a_file_managers_are_told(
    session, client, sign_in, proposal, lead, manager, ask, outbox
):
    request = ask(proposal)
    sign_in(client, lead)
    page = client.get(_answer_url(proposal, request)).get_data(as_text=True)
    assert "Please send the latest audited accounts." in page
    response = client.post(
        _answer_url(proposal, request),
        data={"answer": "Here they are.\nSigned by our auditor.", "attachment": (io.BytesIO(PDF), "accounts.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    session.expire_all()
    assert request.status == ClarificationStatus.ANSWERED
    assert request.answered_by_id == lead.id and request.answered_late is False
    assert request.attachment_name == "accounts.pdf"
    assert storage.get(request.attachment_key) == PDF
    entry = _audit(session, "clarification.answered")[0]
    assert entry.actor_id == lead.id and entry.after["attachment"]["filename"] == "accounts.pdf"
    assert any(m.to == manager.email and proposal.reference in m.subject for m in outbox)

    page = client.get(_answer_url(proposal, request)).get_data(as_text=True)
    assert "Here they are.<br>\nSigned by our auditor." in page
    file_url = f"/proposals/{proposal.id}/clarifications/{request.id}/file"
    assert client.get(file_url).data == PDF
    sign_in(client, manager)
    download = client.get(file_url)
    assert download.data == PDF and download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_refused_file_keeps_the_typed_answer(session, client, sign_in, proposal, lead, ask):
    request = ask(proposal)
    sign_in(client, lead)
    response = client.post(
        _answer_url(proposal, request),
        data={
            "answer": "Our accounts for 2024, as requested.",
            "attachment": (io.BytesIO(b"<html><body>not a pdf</body></html>"), "accounts.pdf"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“accounts.pdf” is not a PDF file" in html
    assert "Our accounts for 2024, as requested." in html
    session.expire_all()
    assert request.status == ClarificationStatus.OPEN and request.answer is None


def test_an_empty_answer_is_refused(session, client, sign_in, proposal, lead, ask):
    request = ask(proposal)
    sign_in(client, lead)
    response = client.post(_answer_url(proposal, request), data={"answer": "  "})
    assert response.status_code == 422
    assert "Write your answer." in response.get_data(as_text=True)


def test_a_late_answer_is_accepted_and_marked(session, client, sign_in, proposal, lead, manager, ask, outbox):
    request = ask(proposal, due_in=-dt.timedelta(hours=1))
    assert request.state() == "overdue"
    sign_in(client, lead)
    page = client.get(_answer_url(proposal, request)).get_data(as_text=True)
    assert "The deadline has passed" in page
    assert client.post(_answer_url(proposal, request), data={"answer": "Sorry for the delay."}).status_code == 302
    session.expire_all()
    assert request.status == ClarificationStatus.ANSWERED and request.answered_late is True
    assert _audit(session, "clarification.answered")[0].after["late"] is True
    assert any("after the deadline" in m.text for m in outbox if m.to == manager.email)


def test_a_cancelled_request_takes_no_answer(session, client, sign_in, proposal, lead, manager, ask):
    request = ask(proposal)
    sign_in(client, manager)
    cancel = client.post(f"/manage/proposals/{proposal.id}/clarifications/{request.id}/cancel")
    assert cancel.status_code == 302
    session.expire_all()
    assert request.status == ClarificationStatus.CANCELLED and request.cancelled_by_id == manager.id
    assert _audit(session, "clarification.cancelled")[0].actor_id == manager.id

    sign_in(client, lead)
    response = client.post(_answer_url(proposal, request), data={"answer": "Too late?"}, follow_redirects=True)
    assert "This request was cancelled" in response.get_data(as_text=True)
    session.expire_all()
    assert request.answer is None
    with pytest.raises(EvaluationError, match="cancelled"):
        threads.answer_clarification(request, "Still?", by=lead)


def test_an_answered_request_takes_no_second_answer(session, rq, proposal, lead, ask):
    request = ask(proposal)
    threads.answer_clarification(request, "First answer.", by=lead)
    with pytest.raises(EvaluationError, match="already been answered"):
        threads.answer_clarification(request, "Second answer.", by=lead)
    with pytest.raises(EvaluationError, match="open request"):
        threads.cancel_request(request, by=request.asked_by)


def test_only_the_lead_organisation_answers(session, rq, proposal, ask, manager, make_user, make_org):
    request = ask(proposal)
    partner_user = make_user("applicant")
    session.add(
        ProposalPartner(
            proposal=proposal, organisation=make_org(members=[partner_user]), role="co_applicant", status="accepted"
        )
    )
    session.commit()
    for user in (manager, partner_user, make_user("applicant")):
        with pytest.raises(EvaluationError, match="lead organisation"):
            threads.answer_clarification(request, "An answer.", by=user)


def test_who_reaches_the_clarification_pages(
    session, client, sign_in, proposal, lead, manager, ask, make_user, make_org, make_assignment
):
    request = ask(proposal)
    partner_user = make_user("applicant")
    session.add(
        ProposalPartner(
            proposal=proposal, organisation=make_org(members=[partner_user]), role="co_applicant", status="accepted"
        )
    )
    session.commit()
    evaluator = make_assignment(proposal, status=AssignmentStatus.IN_PROGRESS).evaluator
    list_url = f"/proposals/{proposal.id}/clarifications"
    expected = {lead: 200, manager: 200, partner_user: 403, evaluator: 403, make_user("applicant"): 404}
    for user, status in expected.items():
        sign_in(client, user)
        assert client.get(list_url).status_code == status, user
        assert client.get(_answer_url(proposal, request)).status_code == status, user
    # Staff read but never answer in the applicant's name.
    sign_in(client, manager)
    assert client.post(_answer_url(proposal, request), data={"answer": "By me"}).status_code == 403


def test_proposal_page_shows_the_applicant_their_open_requests(session, client, sign_in, proposal, lead, ask):
    request = ask(proposal)
    sign_in(client, lead)
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Please send the latest audited accounts." in html
    assert f'href="/proposals/{proposal.id}/clarifications/{request.id}"' in html
    assert "waiting for your answer to 1 request" in html
