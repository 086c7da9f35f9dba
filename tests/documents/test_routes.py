"""Downloading a letter (who may), and the public verification page (no 500 on any input)."""

from __future__ import annotations

import pytest

from portal.core import storage
from portal.documents import operations
from portal.documents.models import Document


@pytest.fixture
def outsider(make_user, make_org):
    user = make_user("applicant")
    make_org(members=[user])
    return user


def test_download_access(client, login, awarded, consortium, outsider, make_user):
    url = f"/documents/{awarded.current_letter.id}/download"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    expected = {
        consortium.lead_user: 200,
        consortium.manager: 200,
        make_user("admin"): 200,
        consortium.co_user: 403,  # sees the grant, may not download the letter
        consortium.assoc_user: 403,
        outsider: 404,
        make_user("evaluator"): 404,
    }
    for user, code in expected.items():
        login(client, user)
        response = client.get(url)
        assert response.status_code == code, user
        if code == 200:
            assert response.mimetype == "application/pdf"
    login(client, consortium.manager)
    assert client.get("/documents/999999/download").status_code == 404


def test_download_sends_the_stored_file_with_its_fingerprint(client, login, awarded, consortium):
    letter = awarded.current_letter
    login(client, consortium.lead_user)
    response = client.get(f"/documents/{letter.id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=award-letter-CFP-2026-01-G01-v1.pdf"
    assert response.headers["ETag"] == f'"{letter.sha256}"'
    assert "private" in response.headers["Cache-Control"]
    assert response.data == storage.get(letter.storage_key)
    # The browser's copy is still good: nothing is sent again.
    again = client.get(f"/documents/{letter.id}/download", headers={"If-None-Match": f'"{letter.sha256}"'})
    assert again.status_code == 304


def test_download_of_a_letter_not_ready_says_so(client, login, awarded, consortium, session, monkeypatch):
    from portal.core import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # the job never runs
    document = operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    login(client, consortium.lead_user)
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 409
    assert "The document is not ready" in response.text
    assert "still being prepared" in response.text
    # The grant page shows the queued status, without a download link for the new version.
    page = client.get(f"/grants/{awarded.id}").text
    assert 'class="badge badge-queued"' in page
    assert f"/documents/{document.id}/download" not in page


def test_verify_a_real_code(client, awarded, consortium):
    letter = awarded.current_letter
    response = client.get(f"/verify/{letter.verification_code}")
    assert response.status_code == 200
    for text in (
        "This document is authentic",
        "Award letter",
        "CFP-2026-01-G01",
        "Association Jeunesse et Migration",
        letter.sha256,
        "Current version",
    ):
        assert text in response.text, text
    # Typed by hand, in lower case and with spaces around it: still found.
    assert client.get(f"/verify/%20{letter.verification_code.lower()}%20").status_code == 200


def test_verify_a_superseded_letter_says_so(client, awarded, consortium, session):
    first = awarded.current_letter
    operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    response = client.get(f"/verify/{first.verification_code}")
    assert response.status_code == 200
    assert "it has been replaced by a later version (version 2)" in response.text
    assert first.sha256 in response.text


@pytest.mark.parametrize(
    "code",
    [
        "ABCD-EFGH-JKMN",  # well formed, but nobody issued it
        "nonsense",
        "x" * 5000,
        "%00",
        "ABCD-EFGH-JKM%00",
        "%27%3B%20DROP%20TABLE%20documents%3B--",
        "%E2%80%94%F0%9F%98%80",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ],
)
def test_verify_an_unknown_code(client, awarded, code):
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    assert "No document carries this verification code" in response.text
    assert "<script>alert(1)</script>" not in response.text


def test_verify_a_code_of_a_letter_never_rendered(client, awarded, consortium, session, monkeypatch):
    from portal.core import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    document = operations.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    assert session.get(Document, document.id).status == "queued"
    assert client.get(f"/verify/{document.verification_code}").status_code == 404
