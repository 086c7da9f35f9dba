"""Managers' pages of the documents area: special conditions of a grant, the award letters of a call (bulk issue and
progress), and the jobs page."""

from __future__ import annotations

import datetime as dt

from portal.core.db import utcnow
from portal.documents.models import Document
from portal.extensions import db
from portal.notifications.models import OutboxMessage


def test_special_conditions_are_edited_and_the_letter_reissued(client, login, session, awarded, consortium):
    login(client, consortium.manager)
    url = f"/grants/{awarded.id}/letter/conditions"
    assert "Special conditions" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"text": "Bank account confirmed first.", "reissue": "y"})
    assert response.status_code == 302
    session.expire_all()
    assert awarded.special_conditions == "Bank account confirmed first."
    assert awarded.current_letter.version == 2
    page = client.get(f"/grants/{awarded.id}").get_data(as_text=True)
    assert "This grant has special conditions." in page and url in page


def test_too_long_special_conditions_are_refused_and_kept(client, login, session, awarded, consortium):
    login(client, consortium.manager)
    text = "A condition. " * 400
    response = client.post(f"/grants/{awarded.id}/letter/conditions", data={"text": text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Use at most 5000 characters." in page
    assert text.strip() in page
    session.expire_all()
    assert awarded.special_conditions == ""


def test_the_lead_cannot_edit_special_conditions(client, login, awarded, consortium):
    login(client, consortium.lead_user)
    assert client.get(f"/grants/{awarded.id}/letter/conditions").status_code == 403
    page = client.get(f"/grants/{awarded.id}").get_data(as_text=True)
    assert "letter/conditions" not in page


def test_the_call_letters_page_issues_and_shows_progress(client, login, session, awarded, consortium):
    login(client, consortium.manager)
    url = f"/manage/calls/{consortium.call.id}/letters"
    page = client.get(url).get_data(as_text=True)
    assert awarded.agreement_number in page
    assert 'http-equiv="refresh"' not in page  # nothing pending
    assert url in client.get(f"/manage/calls/{consortium.call.id}").get_data(as_text=True)

    response = client.post(url, data={"reissue": "y", "reason": ""})
    assert response.status_code == 422
    assert "Give the reason for issuing every letter again" in response.get_data(as_text=True)

    response = client.post(url, data={}, follow_redirects=True)
    assert "Every grant of this call already has its award letter" in response.get_data(as_text=True)

    response = client.post(url, data={"reissue": "y", "reason": "New signatory since March."})
    assert response.status_code == 302
    session.expire_all()
    assert awarded.current_letter.version == 2 and awarded.current_letter.status == "ready"


def test_the_call_letters_page_refreshes_itself_while_letters_are_pending(client, login, session, awarded, consortium):
    awarded.current_letter.status = "queued"
    session.commit()
    login(client, consortium.manager)
    page = client.get(f"/manage/calls/{consortium.call.id}/letters").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in page


def test_the_jobs_page_lists_documents_and_e_mails_filtered(client, login, session, awarded, consortium):
    failed = awarded.current_letter
    failed.status = "failed"
    failed.error = "WeasyPrint ran out of memory"
    old = Document(
        kind="award_letter", grant=awarded, version=9, status="ready", queued_at=utcnow() - dt.timedelta(days=20)
    )
    mail = OutboxMessage(
        recipient="lead@test.example",
        template="grants_awarded",
        category="grants",
        subject="Your grant",
        text="x",
        html="<p>x</p>",
        status="failed",
        attempts=5,
        error="SMTP 451 try later",
    )
    session.add_all([old, mail])
    session.commit()
    login(client, consortium.manager)
    page = client.get("/manage/jobs").get_data(as_text=True)
    assert awarded.agreement_number in page
    assert "WeasyPrint ran out of memory" in page
    assert f"/documents/{failed.id}/retry" in page
    assert "SMTP 451 try later" in page and "lead@test.example" in page
    assert "v9" not in page  # older than the default 7 days
    # The time zone is named once, above the tables, not in every cell.
    assert page.count("Times are in UTC.") == 1 and "(UTC)" not in page
    assert "v9" in client.get("/manage/jobs?days=30").get_data(as_text=True)

    ready_only = client.get("/manage/jobs?status=ready&mail_status=sent").get_data(as_text=True)
    assert "WeasyPrint ran out of memory" not in ready_only
    assert "SMTP 451 try later" not in ready_only
    assert client.get("/manage/jobs?days=banana&status=nonsense").status_code == 200

    response = client.post(f"/documents/{failed.id}/retry", follow_redirects=False)
    assert response.status_code == 302
    session.expire_all()
    assert db.session.get(Document, failed.id).status == "ready"


def test_the_jobs_page_is_for_staff(client, login, consortium):
    login(client, consortium.lead_user)
    assert client.get("/manage/jobs").status_code == 403
