"""A call's texts and its clarifications in the portal's other languages: managers enter them at any time; readers
see their language, or the original with a notice; nothing typed is lost when the texts are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.calls.models import CallQuestion, QuestionStatus
from portal.core.db import utcnow
from tests.calls.helpers import audit_entries


@pytest.fixture
def call(make_call):
    now = utcnow()
    return make_call(
        reference="CFP-LANG",
        title="Diaspora engagement for local development",
        description="Civil-society initiatives feeding the dialogues.",
        opens_at=now - dt.timedelta(days=5),
        closes_at=now + dt.timedelta(days=20),
    )


def _french(client):
    return client.post("/language/fr", data={"next": "/"})


def test_a_french_reader_sees_the_original_with_a_notice_until_the_french_texts_exist(
    client, login, session, call, manager
):
    _french(client)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Diaspora engagement for local development" in page
    assert "ne sont pas encore disponibles dans votre langue" in page and 'lang="en"' in page

    login(client, manager)
    response = client.post(
        f"/manage/calls/{call.id}/texts",
        data={
            "language": "en",
            "translation-fr-title": "Engagement de la diaspora pour le développement local",
            "translation-fr-description": "Initiatives de la société civile qui nourrissent les dialogues.",
            "translation-fr-guidelines": "",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert call.translations == {
        "fr": {
            "title": "Engagement de la diaspora pour le développement local",
            "description": "Initiatives de la société civile qui nourrissent les dialogues.",
        }
    }
    (entry,) = audit_entries(session, "call.texts_translated")
    assert entry.before["translations"] == {} and entry.after["language"] == "en"

    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Engagement de la diaspora pour le développement local" in page
    assert "ne sont pas encore disponibles" not in page
    listing = client.get("/calls").get_data(as_text=True)
    assert "Engagement de la diaspora pour le développement local" in listing
    # An English reader still reads the original.
    client.post("/language/en", data={"next": "/"})
    assert "Diaspora engagement for local development" in client.get(f"/calls/{call.id}").get_data(as_text=True)


def test_a_call_written_in_french_is_shown_in_french_to_english_readers_with_a_notice(
    client, login, session, call, manager
):
    login(client, manager)
    client.post(f"/manage/calls/{call.id}/texts", data={"language": "fr", "translation-en-title": ""})
    session.expire_all()
    assert call.language == "fr" and call.translations == {}
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "not yet available in your language; they are shown in French" in page


def test_refused_texts_keep_what_was_typed(client, login, session, call, manager):
    login(client, manager)
    too_long = "x" * 301
    response = client.post(
        f"/manage/calls/{call.id}/texts",
        data={"language": "en", "translation-fr-title": too_long, "translation-fr-description": "Gardé."},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use at most 300 characters." in page and too_long in page and "Gardé." in page
    session.expire_all()
    assert call.translations == {}


def test_a_clarification_is_published_in_both_languages(client, login, session, call, manager, make_user):
    asker = make_user("applicant")
    question = CallQuestion(call=call, asked_by_id=asker.id, question="Can a diaspora group lead?")
    session.add(question)
    session.commit()
    login(client, manager)
    response = client.post(
        f"/manage/calls/{call.id}/questions/{question.id}",
        data={
            "version": str(question.version_id),
            "action": "publish",
            "published_question": "Can a diaspora organisation lead a consortium?",
            "answer": "Yes, when it is registered in an AU or EU member state.",
            "translation-fr-published_question": "Une organisation de la diaspora peut-elle diriger un consortium ?",
            "translation-fr-answer": "Oui, si elle est enregistrée dans un État membre de l’UA ou de l’UE.",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert question.status == QuestionStatus.PUBLISHED
    assert question.translations["fr"]["answer"].startswith("Oui")
    _french(client)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Une organisation de la diaspora peut-elle diriger un consortium ?" in page
    client.post("/language/en", data={"next": "/"})
    assert "Can a diaspora organisation lead a consortium?" in client.get(f"/calls/{call.id}").get_data(as_text=True)
