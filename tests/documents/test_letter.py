"""The award letter: rendered by the task (eagerly in tests), idempotent, failing visibly, retried, superseded."""

from __future__ import annotations

import hashlib
import io
import re

import pypdf
import pytest
from babel.numbers import format_currency

from portal.core import storage
from portal.core.audit import AuditEntry
from portal.documents import operations, tasks
from portal.documents.models import Document
from portal.extensions import db
from tests.grants.conftest import AMOUNT


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)  # Babel's no-break spaces, as plain spaces


def test_the_letter_is_rendered_and_says_what_was_awarded(session, awarded, consortium):
    letter = awarded.current_letter
    assert letter.status == "ready"
    assert letter.error is None
    assert letter.attempts == 1
    data = storage.get(letter.storage_key)
    assert data.startswith(b"%PDF-")
    assert letter.sha256 == hashlib.sha256(data).hexdigest()
    assert letter.size == len(data)
    assert letter.rendered_at is not None

    text = pdf_text(data)
    assert "CFP-2026-01-G01" in text
    printed = format_currency(AMOUNT, "EUR", locale="en")  # as the letter prints it, in the letter's language
    assert printed == "€150,000.00"
    assert printed in text
    assert "Association Jeunesse et Migration" in text
    assert letter.verification_code in text
    assert f"/verify/{letter.verification_code}" in text
    assert "Aminata Diallo" in text  # the contact person, in the address
    assert "Institut Malien de Recherche" in text and "Co-beneficiary" in text and "€40,000.00" in text
    assert "18 months" in text
    assert "From January 1, 2027 to June 30, 2028" in text
    assert "Mali (33.34%); Niger (33.33%); Senegal (33.33%)" in text
    assert "Funded by the European Union" in text
    assert "Head of the Grant Facility" in text
    assert "Page 1 of 2" in text and "Page 2 of 2" in text
    assert pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4


def test_a_french_letter_formats_money_and_dates_in_french(session, awarded, consortium):
    document = operations.request_award_letter(awarded, by=consortium.manager, language="fr")
    session.commit()
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status == "ready"
    text = pdf_text(storage.get(document.storage_key))
    assert format_currency(AMOUNT, "EUR", locale="fr").replace("\u202f", " ").replace("\u00a0", " ") in text
    assert "150 000,00 €" in text
    assert "1 janvier 2027" in text and "30 juin 2028" in text
    assert "Mali (33,34 %); Niger (33,33 %); Sénégal (33,33 %)" in text


def test_running_the_task_twice_changes_nothing(session, awarded):
    letter = awarded.current_letter
    before = (letter.sha256, letter.storage_key, letter.attempts, letter.rendered_at)
    result = tasks.render_award_letter.apply(args=[letter.id])
    assert result.get() == "ready"
    session.expire_all()
    letter = session.get(Document, letter.id)
    assert (letter.sha256, letter.storage_key, letter.attempts, letter.rendered_at) == before
    assert session.scalar(db.select(db.func.count(Document.id)).where(Document.grant_id == awarded.id)) == 1


def test_a_job_for_an_unknown_document_is_dropped(session):
    assert tasks.render_award_letter.apply(args=[987654]).get() is None


def test_a_failing_render_ends_failed_with_the_reason_and_retry_makes_it_ready(
    session, awarded, consortium, client, login, monkeypatch
):
    calls = []

    def broken(document):
        calls.append(document.id)
        raise RuntimeError("WeasyPrint could not lay out page 2")

    monkeypatch.setattr(operations, "render_award_letter_pdf", broken)
    document = operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status == "failed"
    assert document.error == "WeasyPrint could not lay out page 2"
    assert len(calls) == tasks.MAX_RETRIES + 1 == 4  # the first attempt and three retries
    assert document.attempts == 4
    assert document.storage_key is None
    failed_entries = session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "document.failed", AuditEntry.object_id == str(document.id))
    ).all()
    assert len(failed_entries) == 1

    # The lead sees that it failed, but only staff may retry.
    login(client, consortium.lead_user)
    assert client.post(f"/documents/{document.id}/retry").status_code == 403

    monkeypatch.undo()
    login(client, consortium.manager)
    response = client.post(f"/documents/{document.id}/retry")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/grants/{awarded.id}")
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status == "ready"
    assert document.error is None
    assert document.sha256
    assert client.get(response.headers["Location"]).text.count("The award letter is queued again") == 1


def test_only_a_failed_document_can_be_retried(session, awarded, consortium, client, login):
    login(client, consortium.manager)
    response = client.post(f"/documents/{awarded.current_letter.id}/retry", follow_redirects=True)
    assert response.status_code == 200
    assert "Only a document whose rendering failed can be retried." in response.text
    assert client.post("/documents/999999/retry").status_code == 404


def test_retry_needs_a_manager(session, awarded, consortium, client, login, make_user):
    url = f"/documents/{awarded.current_letter.id}/retry"
    assert client.post(url).status_code == 302  # anonymous: to the login page
    for user in (consortium.lead_user, consortium.co_user, make_user("evaluator")):
        login(client, user)
        assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405


def test_a_new_version_supersedes_the_previous_one(session, awarded, consortium):
    first = awarded.current_letter
    second = operations.request_award_letter(awarded, by=consortium.manager)
    assert second.version == 2
    session.commit()
    session.expire_all()
    first = session.get(Document, first.id)
    assert first.superseded_at is not None
    assert awarded.current_letter.id == second.id
    assert awarded.current_letter.status == "ready"
    assert first.verification_code != awarded.current_letter.verification_code


def test_the_sweep_resends_a_job_that_never_reached_a_worker(session, awarded, consortium, monkeypatch):
    import datetime as dt

    from portal.core import jobs

    # The broker is down when the letter is requested: nothing is sent, the row stays queued.
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    document = operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    monkeypatch.undo()
    assert session.get(Document, document.id).status == "queued"
    assert operations.find_stalled(300) == []  # too recent to be called stalled

    document.queued_at = document.queued_at - dt.timedelta(minutes=30)
    session.commit()
    assert operations.find_stalled(300) == [document.id]
    assert tasks.sweep_stalled.apply().get() == [document.id]
    session.expire_all()
    document = session.get(Document, document.id)
    assert document.status == "ready"
    assert operations.find_stalled(300) == []


def test_a_render_whose_worker_died_is_found_after_ten_minutes(session, awarded):
    import datetime as dt

    from portal.core.db import utcnow

    letter = awarded.current_letter
    letter.status = "running"
    letter.started_at = utcnow() - dt.timedelta(minutes=5)
    session.commit()
    assert operations.find_stalled(300) == []
    # A job arriving while another worker is on it does nothing.
    assert tasks.render_award_letter.apply(args=[letter.id]).get() == "running"
    letter.started_at = utcnow() - dt.timedelta(minutes=11)
    session.commit()
    assert operations.find_stalled(300) == [letter.id]


def test_page_counter_css_keeps_the_translated_sentence_whole():
    assert operations.page_counter_css("Page %(page)s of %(pages)s") == '"Page " counter(page) " of " counter(pages)'
    assert operations.page_counter_css("%(page)s/%(pages)s") == 'counter(page) "/" counter(pages)'
    assert operations.page_counter_css('a"b\\</style>') == '"a\\"b\\\\\\3C /style>"'
