"""The submission receipt: a PDF rendered from the frozen snapshot by the documents task (eagerly in tests), e-mailed
to the submitter as an attachment once ready, verifiable at /verify/<code> without revealing the proposal's content,
and e-mailed without its PDF (saying so) when rendering fails for good."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from portal.core import jobs, storage
from portal.documents import operations, tasks
from portal.documents.models import Document
from portal.proposals.models import ProposalStatus
from portal.proposals.operations import save_section
from portal.proposals.submission import submit_proposal
from tests.documents.test_letter import pdf_text
from tests.proposals.filling import section_data


@pytest.fixture(autouse=True)
def _one_session(session):
    """Every object of a test in the one database session that its factories and requests share."""
    yield


@pytest.fixture
def rq(app, session):
    """A request context, for the tests that call operations directly."""
    with app.test_request_context():
        yield


@pytest.fixture
def applicant(make_user, make_org):
    user = make_user("applicant", full_name="Aminata Diallo", timezone="Africa/Dakar")
    make_org(legal_name="Association Sahel Mobilité", members=[user], acronym="ASM")
    return user


@pytest.fixture
def draft(make_call, applicant, make_proposal, session):
    """A complete draft (every section filled in, a budget requesting €120,000.00), with our own words in two
    sections."""
    call = make_call(reference="CFP-RECEIPT", title="Diaspora engagement for development")
    proposal = make_proposal(
        call,
        organisation=applicant.organisations[0],
        created_by=applicant,
        title="Youth mobility corridors in the Sahel",
        complete=True,
    )
    data = section_data(proposal)
    relevance = {**data["relevance"], "objectives": "Feeds the Rabat Process with evidence."}
    save_section(proposal, "relevance", relevance, by=applicant, expected_version=None)
    sustainability = {**data["sustainability"], "sustainability": "Municipal budgets take over."}
    save_section(proposal, "sustainability", sustainability, by=applicant, expected_version=None)
    session.commit()
    return proposal


def _receipt(session, proposal) -> Document:
    session.expire_all()
    return session.scalar(
        select(Document).where(Document.snapshot_id == proposal.snapshots[-1].id, Document.kind == "submission_receipt")
    )


def _reload_status(session, proposal) -> str:
    session.expire_all()
    return proposal.status


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_submitting_renders_a_receipt_and_mails_it_with_its_pdf(client, login, session, applicant, draft, outbox):
    login(client, applicant)
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302
    snapshot = draft.snapshots[0]
    receipt = _receipt(session, draft)
    assert receipt.status == "ready" and receipt.version == 1 and receipt.language == "en"
    data = storage.get(receipt.storage_key)
    assert data.startswith(b"%PDF-") and receipt.sha256 == hashlib.sha256(data).hexdigest()

    text = pdf_text(data)
    assert "Submission receipt" in text
    assert draft.reference in text
    assert "Youth mobility corridors in the Sahel" in text
    assert "CFP-RECEIPT" in text and "Diaspora engagement for development" in text
    assert "Association Sahel Mobilité (ASM)" in text
    assert "€120,000.00" in text
    assert "(Europe/Brussels)" in text and "(UTC)" in text  # submitted at, in the call's zone and in UTC
    assert snapshot.sha256 in _flat(text)  # the fingerprint (the PDF may break the long line)
    assert receipt.verification_code in text
    assert f"/verify/{receipt.verification_code}" in text
    # The sections, under their titles, with their content.
    # (Headings are set in capitals by the letter's style sheet.)
    assert "RELEVANCE" in text and "Objectives" in text and "Feeds the Rabat Process with evidence." in text
    assert "SUSTAINABILITY" in text and "Dissemination" in text and "Municipal budgets take over." in text
    assert "No attachments were submitted." in text

    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.to == applicant.email and mail.subject == f"Proposal {draft.reference} received"
    assert [a.filename for a in mail.attachments] == [f"submission-receipt-{draft.reference}-v1.pdf"]
    assert mail.attachments[0].content_type == "application/pdf"
    assert mail.attachments[0].data == data
    assert receipt.verification_code in mail.text
    assert snapshot.sha256 in mail.text


def test_the_receipt_describes_the_snapshot_not_the_live_proposal(rq, session, applicant, draft, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # rendered later, below
    submit_proposal(draft, by=applicant)
    session.commit()
    receipt = _receipt(session, draft)
    assert receipt.status == "queued"
    draft.status = ProposalStatus.WITHDRAWN  # what happens to the proposal later...
    draft.title = "Changed afterwards"  # ...(in the database only: a test shortcut)
    session.commit()
    monkeypatch.undo()
    assert tasks.render_submission_receipt.apply(args=[receipt.id]).get() == "ready"
    text = pdf_text(storage.get(_receipt(session, draft).storage_key))
    assert "Youth mobility corridors in the Sahel" in text and "Changed afterwards" not in text


def test_a_french_submitter_gets_a_french_receipt(client, login, session, applicant, draft, outbox):
    applicant.locale = "fr"
    session.commit()
    login(client, applicant)
    client.post(f"/proposals/{draft.id}/submit")
    receipt = _receipt(session, draft)
    assert receipt.language == "fr"
    text = pdf_text(storage.get(receipt.storage_key))
    assert "120 000,00 €" in text
    # The sections read under the form's own labels, in French where the catalogue has them (and never the JSON's keys).
    for title in ("PERTINENCE", "PLAN DE TRAVAIL", "OBJECTIFS, RÉSULTATS ET ACTIVITÉS", "DURABILITÉ"):
        assert title in text
    assert "Titre\n" in text and "Durée (mois)\n18" in text
    assert "Processus de Rabat" in text  # the dialogue's French name
    assert "Work plan" not in text and "Duration (months)" not in text


def test_running_the_task_twice_changes_nothing_and_mails_once(client, login, session, applicant, draft, outbox):
    login(client, applicant)
    client.post(f"/proposals/{draft.id}/submit")
    receipt = _receipt(session, draft)
    before = (receipt.sha256, receipt.storage_key, receipt.attempts, receipt.rendered_at)
    assert tasks.render_submission_receipt.apply(args=[receipt.id]).get() == "ready"
    receipt = _receipt(session, draft)
    assert (receipt.sha256, receipt.storage_key, receipt.attempts, receipt.rendered_at) == before
    assert len(outbox) == 1


def test_a_receipt_that_cannot_be_rendered_is_mailed_without_pdf_and_can_be_retried(
    client, login, session, applicant, draft, outbox, monkeypatch, make_user
):
    calls = []

    def broken(document):
        calls.append(document.id)
        raise RuntimeError("WeasyPrint is not available")

    monkeypatch.setattr(operations, "render_submission_receipt_pdf", broken)
    login(client, applicant)
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302
    receipt = _receipt(session, draft)
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert receipt.status == "failed" and receipt.error == "WeasyPrint is not available"
    assert draft.status == ProposalStatus.SUBMITTED  # the submission stands
    assert len(outbox) == 1 and outbox[0].attachments == []
    assert "could not be produced yet" in outbox[0].text
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert "The receipt could not be produced." in page
    assert client.get(f"/documents/{receipt.id}/download").status_code == 409

    monkeypatch.undo()
    manager = make_user("manager")
    login(client, manager)
    response = client.post(f"/documents/{receipt.id}/retry")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{draft.id}")
    receipt = _receipt(session, draft)
    assert receipt.status == "ready"
    assert len(outbox) == 2 and outbox[1].attachments[0].data == storage.get(receipt.storage_key)


def test_the_sweep_resends_a_receipt_job_that_never_ran(rq, session, applicant, draft, monkeypatch, outbox):
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    submit_proposal(draft, by=applicant)
    session.commit()
    receipt = _receipt(session, draft)
    monkeypatch.undo()
    assert operations.find_stalled(0) == [receipt.id]
    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda session, task, *args: sent.append((task.name, args)))
    operations.requeue_stalled(0)
    assert sent == [("documents.render_submission_receipt", (receipt.id,))]


def test_the_verification_page_of_a_receipt_reveals_no_content(client, login, session, applicant, draft):
    login(client, applicant)
    client.post(f"/proposals/{draft.id}/submit")
    receipt = _receipt(session, draft)
    anonymous = client.application.test_client()
    response = anonymous.get(f"/verify/{receipt.verification_code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This document is authentic" in page
    assert "Submission receipt" in page
    assert draft.reference in page and "Association Sahel Mobilité" in page
    assert receipt.sha256 in page
    # Nothing a letter's verification would not show: no title, no amount, no summary, no section, no status.
    for secret in ("Youth mobility corridors", "120,000", "diaspora engagement in local", "Rabat Process", "Submitted"):
        assert secret not in page


def test_a_later_submission_supersedes_the_receipt_on_the_verification_page(client, login, session, applicant, draft):
    login(client, applicant)
    client.post(f"/proposals/{draft.id}/submit")
    first = _receipt(session, draft)
    client.post(f"/proposals/{draft.id}/withdraw", data={})
    client.post(f"/proposals/{draft.id}/reopen")
    client.post(f"/proposals/{draft.id}/submit")
    page = client.application.test_client().get(f"/verify/{first.verification_code}").get_data(as_text=True)
    assert "replaced by a later version (version 2)" in page


def test_the_receipt_lists_consortium_budget_and_attachments(
    client, login, session, applicant, draft, make_user, make_org
):
    from decimal import Decimal

    from portal.proposals.budget import read_budget_form, save_budget
    from portal.proposals.models import ProposalAttachment, ProposalPartner

    partner_org = make_org("Institut Malien de Recherche", country="ML")
    draft.partners.append(
        ProposalPartner(
            organisation=partner_org, role="co_applicant", status="accepted", budget_share=Decimal("40000.00")
        )
    )
    session.flush()
    partner = draft.partners[-1]
    # 131,000.00 of direct costs, 9,000.00 indirect, 20,000.00 of co-financing: 120,000.00 requested.
    budget = {
        "line-0-partner": "lead",
        "line-0-category": "human_resources",
        "line-0-description": "Coordinator",
        "line-0-unit": "month",
        "line-0-quantity": "18",
        "line-0-unit_cost": "7000",
        "line-1-partner": str(partner.id),
        "line-1-category": "travel",
        "line-1-description": "Field visits",
        "line-1-unit": "trip",
        "line-1-quantity": "4",
        "line-1-unit_cost": "1250",
        "line-2-partner": "lead",
        "line-2-category": "indirect",
        "line-2-description": "Indirect costs",
        "line-2-unit": "lump sum",
        "line-2-quantity": "1",
        "line-2-unit_cost": "9000",
        "source-0-source": "Own funds",
        "source-0-amount": "20000.00",
        "source-0-secured": "y",
    }
    save_budget(draft, read_budget_form(budget, draft), by=applicant, expected_version=None)
    key = storage.new_key("attachments", ".pdf")
    storage.put(key, b"%PDF-1.7 statutes")
    draft.attachments.append(
        ProposalAttachment(
            kind="statutes",
            title="",
            filename="statuts-ASM.pdf",
            content_type="application/pdf",
            size=17,
            sha256=hashlib.sha256(b"%PDF-1.7 statutes").hexdigest(),
            storage_key=key,
        )
    )
    session.commit()
    login(client, applicant)
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302
    assert _reload_status(session, draft) == ProposalStatus.SUBMITTED
    text = pdf_text(storage.get(_receipt(session, draft).storage_key))
    # The share of the grant follows from the budget: €5,000.00 of costs at the funding rate (120,000 / 140,000).
    assert "Institut Malien de Recherche, Mali Co-applicant Accepted €4,285.71" in text
    assert "Field visits (trip)" in text and "€5,000.00" in text
    assert "Own funds" in text and "€20,000.00" in text
    assert "statuts-ASM.pdf" in text and "17 bytes" in text
    assert hashlib.sha256(b"%PDF-1.7 statutes").hexdigest() in _flat(text)
