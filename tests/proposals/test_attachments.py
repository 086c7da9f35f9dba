"""Attachments: the call's required and optional documents per stage, uploads checked by their content (files whose
extension lies are refused with the message), the size cap, the good files kept when another is refused, replacing
and removing, who may change them, downloads only for those who may see the proposal, and the pre-submission check."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select
from weasyprint import HTML

from portal.calls.models import AttachmentRequirement
from portal.core import storage
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.evaluation.models import AssignmentStatus
from portal.proposals.attachments import add_attachment, attachment_problems
from portal.proposals.models import Proposal, ProposalAttachment, ProposalPartner, ProposalStatus
from portal.proposals.operations import ProposalError
from portal.proposals.submission import submit_proposal
from tests.core.test_uploads import HTML_PAGE, WINDOWS_PROGRAM, make_docx, make_image

MB = 1024 * 1024


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return HTML(string="<h1>Statutes</h1><p>Association Sahel Mobilité</p>").write_pdf()


@pytest.fixture
def requirements(session, open_call):
    """Statutes (required, every stage), CVs (optional), accounts (required, full applications only)."""
    rows = [
        AttachmentRequirement(kind="statutes", label="Statutes of the lead applicant", required=True, position=0),
        AttachmentRequirement(kind="cv", label="", required=False, position=1),
        AttachmentRequirement(
            kind="accounts", label="Audited accounts", required=True, stage="concept_note", position=2
        ),
        AttachmentRequirement(
            kind="registration", label="Registration", required=True, stage="full_application", position=3
        ),
    ]
    open_call.attachment_requirements = rows
    session.commit()
    return {r.kind: r for r in rows}


def _reload(session, proposal_id) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal_id)


def _upload(client, proposal, files: dict, **form):
    data = {"action": "upload", **form}
    for name, (filename, content) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return client.post(f"/proposals/{proposal.id}/attachments", data=data, content_type="multipart/form-data")


def _stored_keys(storage_dir) -> set[str]:
    folder = storage_dir / "attachments"
    return {f"attachments/{p.name}" for p in folder.iterdir()} if folder.exists() else set()


@pytest.fixture
def co_applicant(session, make_user, make_org, draft):
    user = make_user("applicant", full_name="Moussa Keita")
    org = make_org("Institut Malien de Recherche", country="ML", members=[user])
    draft.partners.append(
        ProposalPartner(organisation=org, role="co_applicant", status="accepted", editable_sections=["relevance"])
    )
    session.commit()
    return user


# -- the page ------------------------------------------------------------------------------------------------------


def test_the_page_lists_what_the_call_asks_for_at_the_proposals_stage(client, login, applicant, draft, requirements):
    login(client, applicant)
    page = client.get(f"/proposals/{draft.id}/attachments").get_data(as_text=True)
    assert "Statutes of the lead applicant" in page and "CVs of key staff" in page
    assert "Registration" in page  # a single-stage call's proposals are full applications
    assert "Audited accounts" not in page  # asked of concept notes only
    assert "Accepted: PDF (.pdf), Word (.docx), Excel (.xlsx), OpenDocument text (.odt), PNG image (.png)" in page
    assert "at most 10 MB per file" in page
    assert f'name="file-{requirements["statutes"].id}"' in page and 'name="file-other"' in page


def test_a_pdf_is_uploaded_stored_under_a_random_name_and_listed(
    client, login, session, applicant, draft, requirements, pdf, storage_dir
):
    login(client, applicant)
    statutes = requirements["statutes"]
    response = _upload(client, draft, {f"file-{statutes.id}": ("Statuts ASM 2024.pdf", pdf)})
    assert response.status_code == 302
    attachment = session.scalar(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id))
    assert attachment.requirement_id == statutes.id and attachment.kind == "statutes"
    assert attachment.filename == "Statuts ASM 2024.pdf"
    assert attachment.content_type == "application/pdf" and attachment.size == len(pdf)
    assert attachment.sha256 == hashlib.sha256(pdf).hexdigest()
    assert attachment.uploaded_by_id == applicant.id and attachment.partner_id is None
    assert attachment.storage_key.startswith("attachments/") and "Statuts" not in attachment.storage_key
    assert storage.get(attachment.storage_key) == pdf
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "File uploaded." in page
    assert "Statuts ASM 2024.pdf" in page and "application/pdf" in page
    assert applicant.display_name in page and "Association Sahel Mobilité" in page
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.attachment_added"))
    assert audit.after["attachment"]["sha256"] == attachment.sha256


LIARS = [
    ("cv.pdf", WINDOWS_PROGRAM, "“cv.pdf” is not a PDF file: its content is a Windows program."),
    ("cv.pdf", HTML_PAGE, "“cv.pdf” is not a PDF file: its content is a web page (HTML)."),
    ("photo.pdf", "png", "“photo.pdf” is not a PDF file: its content is a PNG image."),
    ("statutes.docx", "pdf", "“statutes.docx” is not a Word document (.docx): its content is a PDF file."),
]


@pytest.mark.parametrize(("filename", "content", "message"), LIARS)
def test_a_file_whose_name_lies_about_its_content_is_refused(
    client, login, session, applicant, draft, requirements, pdf, storage_dir, filename, content, message
):
    data = {"png": make_image("PNG"), "pdf": pdf}.get(content, content)
    login(client, applicant)
    before = _stored_keys(storage_dir)
    response = _upload(client, draft, {f"file-{requirements['cv'].id}": (filename, data)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message.replace("“", "&#8220;") in page or message in page
    assert session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all() == []
    assert _stored_keys(storage_dir) == before  # nothing was stored


def test_a_program_is_refused_whatever_its_name(client, login, session, applicant, draft, requirements):
    login(client, applicant)
    response = _upload(client, draft, {"file-other": ("setup.exe", WINDOWS_PROGRAM)}, **{"title-other": "Tool"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is a Windows program, which is not accepted here." in page
    assert 'value="Tool"' in page  # what was typed is kept


def test_a_file_over_the_limit_is_refused_with_both_sizes(
    client, login, session, app, applicant, draft, requirements, pdf, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1 * MB)
    big = pdf + b"\n%" + b"x" * (MB + 100)  # still a PDF, 1 MB and a bit
    login(client, applicant)
    response = _upload(client, draft, {f"file-{requirements['cv'].id}": ("cv.pdf", big)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is 1.0" in page and "MB; the limit is 1 MB." in page
    assert session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all() == []


def test_good_files_are_kept_when_another_is_refused(client, login, session, applicant, draft, requirements, pdf):
    login(client, applicant)
    response = _upload(
        client,
        draft,
        {
            f"file-{requirements['statutes'].id}": ("statutes.pdf", pdf),
            f"file-{requirements['cv'].id}": ("cv.pdf", HTML_PAGE),
            "file-other": ("budget-notes.docx", make_docx()),
        },
        **{"title-other": "Budget notes"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The other files were uploaded; correct the ones marked below." in page
    assert "is not a PDF file: its content is a web page (HTML)." in page
    kept = session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all()
    assert sorted((a.filename, a.title) for a in kept) == [("budget-notes.docx", "Budget notes"), ("statutes.pdf", "")]
    assert "statutes.pdf" in page and "budget-notes.docx" in page


def test_uploading_again_replaces_and_removing_deletes_the_file(
    client, login, session, applicant, draft, requirements, pdf
):
    login(client, applicant)
    statutes = requirements["statutes"]
    _upload(client, draft, {f"file-{statutes.id}": ("old.pdf", pdf)})
    old = session.scalar(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id))
    old_key = old.storage_key
    png = make_image("PNG")
    assert _upload(client, draft, {f"file-{statutes.id}": ("scan.png", png)}).status_code == 302
    rows = session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all()
    assert [(a.filename, a.content_type) for a in rows] == [("scan.png", "image/png")]
    assert not storage.exists(old_key)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.attachment_replaced")) is not None

    key = rows[0].storage_key
    response = client.post(
        f"/proposals/{draft.id}/attachments", data={"action": "remove", "attachment_id": str(rows[0].id)}
    )
    assert response.status_code == 302
    assert "“scan.png” was removed." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all() == []
    assert not storage.exists(key)


def test_an_empty_upload_says_so(client, login, applicant, draft, requirements):
    login(client, applicant)
    response = client.post(f"/proposals/{draft.id}/attachments", data={"action": "upload"})
    assert response.status_code == 422 and "Choose a file to upload." in response.get_data(as_text=True)


def test_removing_an_attachment_of_another_proposal_is_404(
    client, login, session, applicant, draft, requirements, make_proposal, pdf
):
    other = make_proposal(draft.call, organisation=applicant.organisations[0], created_by=applicant)
    add_attachment(other, by=applicant, filename="x.pdf", data=pdf)
    session.commit()
    login(client, applicant)
    response = client.post(
        f"/proposals/{draft.id}/attachments", data={"action": "remove", "attachment_id": str(other.attachments[0].id)}
    )
    assert response.status_code == 404
    assert len(_reload(session, other.id).attachments) == 1


# -- who changes them ------------------------------------------------------------------------------------------------


def test_a_co_applicant_uploads_its_own_file_without_replacing_the_leads(
    client, login, session, applicant, co_applicant, draft, requirements, pdf
):
    statutes = requirements["statutes"]
    login(client, applicant)
    _upload(client, draft, {f"file-{statutes.id}": ("lead.pdf", pdf)})
    login(client, co_applicant)
    assert _upload(client, draft, {f"file-{statutes.id}": ("partner.pdf", pdf)}).status_code == 302
    rows = session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all()
    assert sorted(a.filename for a in rows) == ["lead.pdf", "partner.pdf"]
    partner_file = next(a for a in rows if a.filename == "partner.pdf")
    assert partner_file.partner_id == draft.partners[0].id
    lead_file = next(a for a in rows if a.filename == "lead.pdf")
    # The co-applicant cannot remove the lead's file; the page offers no button for it.
    response = client.post(
        f"/proposals/{draft.id}/attachments",
        data={"action": "remove", "attachment_id": str(lead_file.id)},
        follow_redirects=True,
    )
    assert "You cannot remove this file: it belongs to another organisation of the consortium." in response.get_data(
        as_text=True
    )
    assert len(_reload(session, draft.id).attachments) == 2


def test_a_co_applicant_without_sections_only_reads(client, login, session, co_applicant, draft, requirements, pdf):
    draft.partners[0].editable_sections = []
    session.commit()
    login(client, co_applicant)
    page = client.get(f"/proposals/{draft.id}/attachments").get_data(as_text=True)
    assert "You can read these files" in page and 'type="file"' not in page
    response = _upload(client, draft, {"file-other": ("x.pdf", pdf)})
    assert response.status_code == 403


def test_a_submitted_proposals_attachments_do_not_change(client, login, session, applicant, draft, requirements, pdf):
    draft.status = ProposalStatus.SUBMITTED
    draft.submitted_at = utcnow()
    session.commit()
    login(client, applicant)
    assert _upload(client, draft, {"file-other": ("x.pdf", pdf)}).status_code == 403
    page = client.get(f"/proposals/{draft.id}/attachments").get_data(as_text=True)
    assert "its attachments can no longer change" in page


def test_the_operation_refuses_a_requirement_of_another_stage(rq, session, applicant, draft, requirements, pdf):
    with pytest.raises(ProposalError) as caught:
        add_attachment(draft, by=applicant, filename="a.pdf", data=pdf, requirement=requirements["accounts"])
    assert caught.value.messages == ["The call does not ask for this document at this stage."]


# -- downloads ------------------------------------------------------------------------------------------------------


@pytest.fixture
def attached(rq, session, applicant, draft, requirements, pdf):
    attachment = add_attachment(
        draft, by=applicant, filename="statuts.pdf", data=pdf, requirement=requirements["statutes"]
    )
    session.commit()
    return attachment


def test_download_sends_the_file_with_a_safe_name_and_nosniff(client, login, applicant, draft, attached, pdf):
    login(client, applicant)
    response = client.get(f"/proposals/{draft.id}/attachments/{attached.id}")
    assert response.status_code == 200
    assert response.data == pdf
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=statuts.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]


def test_download_access(
    client, login, session, applicant, co_applicant, draft, attached, make_user, make_org, make_assignment
):
    other = make_user("applicant")
    make_org(members=[other])
    unassigned = make_user("evaluator")
    assigned = make_user("evaluator")
    draft.status = ProposalStatus.UNDER_REVIEW
    session.commit()
    make_assignment(draft, evaluator=assigned, status=AssignmentStatus.IN_PROGRESS)
    url = f"/proposals/{draft.id}/attachments/{attached.id}"
    assert "/login" in client.get(url).headers["Location"]
    expected = {
        applicant: 200,
        co_applicant: 200,
        make_user("manager"): 200,
        assigned: 200,
        other: 404,
        unassigned: 404,
    }
    for user, code in expected.items():
        login(client, user)
        assert client.get(url).status_code == code, user.email


def test_an_attachment_id_from_another_proposal_is_404(
    client, login, session, applicant, draft, attached, make_proposal
):
    other = make_proposal(draft.call, organisation=applicant.organisations[0], created_by=applicant)
    login(client, applicant)
    assert client.get(f"/proposals/{other.id}/attachments/{attached.id}").status_code == 404
    assert client.get(f"/proposals/{draft.id}/attachments/999999").status_code == 404


# -- the pre-submission check ---------------------------------------------------------------------------------------


def test_missing_required_attachments_are_listed_with_links_and_block_submission(
    client, login, session, applicant, complete_draft, requirements, pdf
):
    draft = complete_draft  # every section filled in: only the attachments are missing
    with client.application.test_request_context():
        problems = attachment_problems(draft)
    registration = requirements["registration"]
    statutes = requirements["statutes"]
    assert [(p.field, p.message, p.url) for p in problems] == [
        (
            "attachments",
            "Attach the required document “Statutes of the lead applicant”.",
            f"/proposals/{draft.id}/attachments#requirement-{statutes.id}",
        ),
        (
            "attachments",
            "Attach the required document “Registration”.",
            f"/proposals/{draft.id}/attachments#requirement-{registration.id}",
        ),
    ]
    login(client, applicant)
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert f'href="/proposals/{draft.id}/attachments#requirement-{statutes.id}"' in page
    page = client.post(f"/proposals/{draft.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "Attach the required document &#8220;Registration&#8221;." in page or "“Registration”" in page
    assert "Attach the required document &#8220;Statutes" in page or "“Statutes of the lead applicant”" in page
    assert _reload(session, draft.id).status == ProposalStatus.DRAFT

    _upload(
        client,
        draft,
        {
            f"file-{statutes.id}": ("statutes.pdf", pdf),
            f"file-{registration.id}": ("registration.png", make_image("PNG")),
        },
    )
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302
    proposal = _reload(session, draft.id)
    assert proposal.status == ProposalStatus.SUBMITTED
    submitted = {a["filename"]: a for a in proposal.snapshots[0].data["attachments"]}
    assert submitted["statutes.pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert submitted["registration.png"]["requirement"] == "Registration"


def test_submit_operation_reports_the_missing_attachment(rq, session, applicant, complete_draft, requirements):
    with pytest.raises(ProposalError) as caught:
        submit_proposal(complete_draft, by=applicant)
    # Each tied to its place on the attachments page.
    assert caught.value.errors == [
        (
            f"attachments#requirement-{requirements['statutes'].id}",
            "Attach the required document “Statutes of the lead applicant”.",
        ),
        (f"attachments#requirement-{requirements['registration'].id}", "Attach the required document “Registration”."),
    ]


def test_a_storage_failure_shows_a_message_not_an_error_page(
    client, login, session, applicant, draft, requirements, pdf, monkeypatch
):
    def down(key, data):
        raise storage.StorageError("the bucket is unreachable")

    monkeypatch.setattr(storage, "put", down)
    login(client, applicant)
    response = _upload(client, draft, {f"file-{requirements['cv'].id}": ("cv.pdf", pdf)})
    assert response.status_code == 422
    assert "“cv.pdf” could not be stored just now; please upload it again in a moment." in response.get_data(
        as_text=True
    )
    assert session.scalars(select(ProposalAttachment).where(ProposalAttachment.proposal_id == draft.id)).all() == []
