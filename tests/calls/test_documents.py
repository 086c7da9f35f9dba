"""Call documents: managers upload guidelines and annexes (checked by their content); anyone who can see the call
downloads them through an access-checked route."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from weasyprint import HTML

from portal.calls.models import CallDocument, CallStatus
from portal.core import storage
from portal.proposals.models import ProposalStatus
from tests.calls.helpers import audit_entries
from tests.core.test_uploads import make_image, make_xlsx


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return HTML(string="<h1>Guidelines for applicants</h1><p>Call for proposals</p>").write_pdf()


def _upload(client, call, data: bytes | None, filename="guidelines.pdf", title="Guidelines for applicants", **extra):
    form = {"title": title, "kind": "guidelines", "language": "en", **extra}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post(f"/manage/calls/{call.id}/documents", data=form, content_type="multipart/form-data")


def _documents(session, call):
    session.expire_all()
    return session.scalars(select(CallDocument).where(CallDocument.call_id == call.id)).all()


def test_a_manager_uploads_guidelines_that_anyone_downloads(client, login, manager, make_call, session, pdf):
    call = make_call()
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}/documents").get_data(as_text=True)
    assert "Accepted: PDF (.pdf), Word (.docx), Excel (.xlsx), OpenDocument text (.odt)" in page
    response = _upload(client, call, pdf, language="fr", title="Lignes directrices")
    assert response.status_code == 302
    (document,) = _documents(session, call)
    assert (document.title, document.kind, document.language) == ("Lignes directrices", "guidelines", "fr")
    assert document.content_type == "application/pdf" and document.size == len(pdf)
    assert storage.get(document.storage_key) == pdf
    assert document.storage_key.startswith("calls/") and "guidelines" not in document.storage_key
    entry = audit_entries(session, "call.document_added")[-1]
    assert entry.actor_id == manager.id and entry.after["filename"] == "guidelines.pdf"

    anonymous = client.application.test_client()
    page = anonymous.get(f"/calls/{call.id}").get_data(as_text=True)
    url = f"/calls/{call.id}/documents/{document.id}"
    assert f'href="{url}"' in page and "Lignes directrices" in page and "French" in page
    response = anonymous.get(url)
    assert response.status_code == 200 and response.data == pdf
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "guidelines.pdf" in response.headers["Content-Disposition"]
    assert anonymous.get(f"/calls/{call.id + 1000}/documents/{document.id}").status_code == 404


def test_an_xlsx_annex_is_accepted(client, login, manager, make_call, session):
    call = make_call()
    login(client, manager)
    assert (
        _upload(client, call, make_xlsx(), filename="budget.xlsx", title="Budget template", kind="annex").status_code
        == 302
    )
    (document,) = _documents(session, call)
    assert document.kind == "annex" and document.filename == "budget.xlsx"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b"<html><body>not a pdf</body></html>",
            "guidelines.pdf",
            "“guidelines.pdf” is not a PDF file: its content is a web page (HTML).",
        ),
        (
            make_image("PNG"),
            "logo.png",
            "“logo.png” is a PNG image, which is not accepted here. "
            "Accepted: PDF (.pdf), Word (.docx), Excel (.xlsx), OpenDocument text (.odt).",
        ),
        (None, "", "Choose a file to upload."),
        (b"", "empty.pdf", "“empty.pdf” is empty."),
    ],
)
def test_a_refused_file_says_why_and_keeps_what_was_typed(
    client, login, manager, make_call, session, data, filename, message
):
    call = make_call()
    login(client, manager)
    response = _upload(client, call, data, filename=filename, title="My typed title")
    page = response.get_data(as_text=True).replace("&#34;", '"')
    assert response.status_code == 422
    assert message in page
    assert 'value="My typed title"' in page
    assert _documents(session, call) == []


def test_a_title_is_needed(client, login, manager, make_call, session, pdf):
    call = make_call()
    login(client, manager)
    response = _upload(client, call, pdf, title="")
    assert response.status_code == 422 and "Enter the title of the document." in response.get_data(as_text=True)


def test_documents_of_a_draft_call_are_for_staff(client, login, manager, make_call, make_user, session, pdf):
    call = make_call(status=CallStatus.DRAFT)
    login(client, manager)
    _upload(client, call, pdf)
    (document,) = _documents(session, call)
    url = f"/calls/{call.id}/documents/{document.id}"
    assert client.get(url).status_code == 200
    assert client.application.test_client().get(url).status_code == 404
    login(client, make_user("applicant"))
    assert client.get(url).status_code == 404


def test_documents_can_be_removed_until_a_proposal_is_submitted(
    client, login, manager, make_call, make_proposal, session, pdf
):
    call = make_call()
    login(client, manager)
    _upload(client, call, pdf, title="First")
    _upload(client, call, pdf, title="Second")
    first, second = _documents(session, call)
    client.post(f"/manage/calls/{call.id}/documents/{first.id}/remove")
    assert [d.title for d in _documents(session, call)] == ["Second"]
    assert audit_entries(session, "call.document_removed")[-1].before["title"] == "First"

    make_proposal(call, status=ProposalStatus.SUBMITTED)
    page = client.post(f"/manage/calls/{call.id}/documents/{second.id}/remove", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Proposals have already been submitted under this call: its documents can no longer be removed." in page
    assert [d.title for d in _documents(session, call)] == ["Second"]
    # A corrigendum can still be added.
    assert _upload(client, call, pdf, title="Corrigendum").status_code == 302


def test_no_document_changes_once_in_evaluation(client, login, manager, make_call, session, pdf):
    call = make_call(status=CallStatus.EVALUATION)
    login(client, manager)
    response = _upload(client, call, pdf)
    assert "This call is in evaluation or later; its documents can no longer change." in response.get_data(as_text=True)
    assert _documents(session, call) == []


def test_a_document_of_another_call_is_not_found(client, login, manager, make_call, session, pdf):
    call, other = make_call(), make_call()
    login(client, manager)
    _upload(client, call, pdf)
    (document,) = _documents(session, call)
    assert client.post(f"/manage/calls/{other.id}/documents/{document.id}/remove").status_code == 404
    assert client.get(f"/calls/{other.id}/documents/{document.id}").status_code == 404
