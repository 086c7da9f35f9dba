"""Clarifications: applicants ask before the cut-off; managers publish anonymised answers; the call's page lists
them with when each was published, never who asked."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.calls.models import CallQuestion, CallStatus, QuestionStatus
from portal.core.db import utcnow
from tests.calls.helpers import audit_entries

UTC = dt.UTC
NNBSP = "\u202f"


@pytest.fixture
def call(make_call):
    now = utcnow()
    return make_call(reference="CFP-QA", opens_at=now - dt.timedelta(days=5), closes_at=now + dt.timedelta(days=20))


@pytest.fixture
def asker(make_user, make_org):
    user = make_user("applicant", email="asker@ngo.example", full_name="Fatou Secret-Name")
    make_org(legal_name="Secret Asker Association", members=[user])
    return user


def _ask(client, call, text):
    return client.post(f"/calls/{call.id}/questions", data={"question": text})


def _questions(session, call):
    session.expire_all()
    return session.query(CallQuestion).filter_by(call_id=call.id).order_by(CallQuestion.id).all()


def test_an_applicant_asks_and_a_manager_publishes_an_anonymised_answer(
    client, login, manager, call, asker, make_user, session, outbox
):
    login(client, asker)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Send the question" in page and "Questions are accepted until" in page
    response = _ask(client, call, "Can Secret Asker Association from Dakar apply with a partner in Mali?")
    assert response.status_code == 302
    (question,) = _questions(session, call)
    assert question.status == QuestionStatus.PENDING and question.asked_by_id == asker.id
    assert audit_entries(session, "call.question_asked")[-1].actor_id == asker.id
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "waiting for an answer" in page  # the asker sees their own question's state

    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
    assert "1 question is waiting for an answer." in page
    page = client.get(f"/manage/calls/{call.id}/questions").get_data(as_text=True)
    assert "Can Secret Asker Association from Dakar apply" in page and "Fatou Secret-Name" in page
    response = client.post(
        f"/manage/calls/{call.id}/questions/{question.id}",
        data={
            "action": "publish",
            "version": str(question.version_id),
            "published_question": "Can an organisation from Senegal apply with a partner in Mali?",
            "answer": "Yes: Mali is an eligible country of implementation.",
        },
    )
    assert response.status_code == 302
    (question,) = _questions(session, call)
    assert question.status == QuestionStatus.PUBLISHED and question.published_at is not None
    assert question.answered_by_id == manager.id
    entry = audit_entries(session, "call.question_published")[-1]
    assert entry.actor_id == manager.id and entry.before["status"] == "pending"
    assert entry.after["answer"] == "Yes: Mali is an eligible country of implementation."
    (mail,) = outbox
    assert mail.to == "asker@ngo.example" and mail.subject == "Your question on CFP-QA is answered"
    assert "Yes: Mali is an eligible country of implementation." in mail.text

    # Anyone reads it, with when it was published in their own zone, and nothing of who asked.
    reader = make_user("applicant", timezone="Africa/Nairobi")
    login(client, reader)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Can an organisation from Senegal apply with a partner in Mali?" in page
    assert "Yes: Mali is an eligible country of implementation." in page
    assert "(Africa/Nairobi)" in page.split("Published ", 1)[1].split("</p>", 1)[0]
    for secret in ("Secret Asker", "Fatou", "asker@ngo.example", "Dakar apply"):
        assert secret not in page
    client.post("/logout")
    anonymous = client.application.test_client().get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Yes: Mali is an eligible country of implementation." in anonymous and "(UTC)" in anonymous


def test_a_published_answer_can_be_corrected_and_keeps_its_date(client, login, manager, call, asker, session):
    question = CallQuestion(
        call=call,
        asked_by_id=asker.id,
        question="Q?",
        status="published",
        published_question="Q?",
        answer="A.",
        published_at=dt.datetime(2030, 1, 1, tzinfo=UTC),
    )
    session.add(question)
    session.commit()
    login(client, manager)
    client.post(
        f"/manage/calls/{call.id}/questions/{question.id}",
        data={"action": "publish", "published_question": "Q?", "answer": "A, corrected."},
    )
    (question,) = _questions(session, call)
    assert question.answer == "A, corrected." and question.published_at == dt.datetime(2030, 1, 1, tzinfo=UTC)
    assert audit_entries(session, "call.answer_updated")[-1].before["answer"] == "A."


def test_publishing_needs_a_question_and_an_answer(client, login, manager, call, asker, session):
    login(client, asker)
    _ask(client, call, "Is co-financing in kind accepted?")
    (question,) = _questions(session, call)
    login(client, manager)
    response = client.post(
        f"/manage/calls/{call.id}/questions/{question.id}",
        data={"action": "publish", "published_question": "Is co-financing in kind accepted?", "answer": "  "},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write the answer." in page and "Is co-financing in kind accepted?" in page
    assert _questions(session, call)[0].status == QuestionStatus.PENDING


def test_a_question_can_be_dismissed_and_is_never_shown(client, login, manager, call, asker, session, outbox):
    login(client, asker)
    _ask(client, call, "Duplicate question about budgets")
    (question,) = _questions(session, call)
    login(client, manager)
    client.post(f"/manage/calls/{call.id}/questions/{question.id}", data={"action": "dismiss"})
    (question,) = _questions(session, call)
    assert question.status == QuestionStatus.DISMISSED
    assert audit_entries(session, "call.question_dismissed")
    assert "Duplicate question about budgets" not in client.get(f"/calls/{call.id}").get_data(as_text=True)
    response = client.post(f"/manage/calls/{call.id}/questions/{question.id}", data={"action": "dismiss"})
    assert "Only a question waiting for an answer can be dismissed." in response.get_data(as_text=True)
    response = client.post(
        f"/manage/calls/{call.id}/questions/{question.id}",
        data={"action": "publish", "published_question": "Q", "answer": "A"},
    )
    assert "This question was dismissed; it cannot be published." in response.get_data(as_text=True)
    assert outbox == []


def test_after_the_cutoff_the_form_is_gone_and_a_post_is_refused(client, login, make_call, asker, session):
    now = utcnow()
    call = make_call(
        opens_at=now - dt.timedelta(days=5),
        closes_at=dt.datetime(2031, 1, 10, 11, 0, tzinfo=UTC),
        questions_close_at=now - dt.timedelta(seconds=1),
    )
    login(client, asker)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Send the question" not in page
    assert "Questions on this call closed on " in page
    response = _ask(client, call, "Too late?")
    assert response.status_code == 422
    assert "Questions on this call closed on " in response.get_data(as_text=True)
    assert _questions(session, call) == []


def test_the_cutoff_is_the_deadline_when_none_is_set(client, login, make_call, asker, session):
    now = utcnow()
    call = make_call(opens_at=now - dt.timedelta(days=30), closes_at=now - dt.timedelta(seconds=1))
    login(client, asker)
    assert _ask(client, call, "After the deadline?").status_code == 422
    assert _questions(session, call) == []


def test_an_empty_or_long_question_is_refused_with_a_message(client, login, call, asker, session):
    login(client, asker)
    response = _ask(client, call, "   ")
    assert response.status_code == 422 and "Write your question." in response.get_data(as_text=True)
    response = _ask(client, call, "x" * 4001)
    assert response.status_code == 422
    assert "A question has at most 4,000 characters." in response.get_data(as_text=True)
    assert _questions(session, call) == []


def test_only_applicants_ask(client, login, make_user, call, session):
    assert client.post(f"/calls/{call.id}/questions", data={"question": "Q"}).status_code == 302  # to sign in
    for role in ("evaluator", "manager"):
        login(client, make_user(role))
        assert _ask(client, call, "Q").status_code == 403
    assert _questions(session, call) == []


def test_a_draft_call_takes_no_questions(client, login, make_call, asker):
    call = make_call(status=CallStatus.DRAFT)
    login(client, asker)
    assert _ask(client, call, "Q").status_code == 404


def test_a_question_of_another_call_is_not_found(client, login, manager, call, make_call, asker, session):
    other = make_call()
    login(client, asker)
    _ask(client, call, "Q?")
    (question,) = _questions(session, call)
    login(client, manager)
    response = client.post(f"/manage/calls/{other.id}/questions/{question.id}", data={"action": "dismiss"})
    assert response.status_code == 404


def test_an_empty_question_after_the_cutoff_hears_about_the_cutoff(client, login, make_call, asker):
    now = utcnow()
    call = make_call(opens_at=now - dt.timedelta(days=30), closes_at=now - dt.timedelta(seconds=1))
    login(client, asker)
    response = _ask(client, call, "")
    assert response.status_code == 422
    assert "Questions on this call closed on " in response.get_data(as_text=True)
