"""Blind mode: an evaluator of a blind stage sees no applicant or partner name, no person's name and no contact
data, on any page or download they can reach; and evaluators never reach a proposal they are not assigned to."""

from __future__ import annotations

import pytest

from portal.core import storage
from portal.evaluation.models import AssignmentStatus
from portal.proposals.models import ProposalAttachment, ProposalPartner, ProposalStatus

SECRETS = (
    "Diaspora Bridges Foundation",
    "DIASBRIDGE",
    "Réseau des Jeunes du Sahel",
    "RESJEUSAHEL",
    "Amadou Diallo",
    "amadou.diallo@bridges.example",
)


@pytest.fixture
def blind_world(session, make_call, make_user, make_org, make_proposal, evaluator):
    call = make_call()
    stage = call.stages[0]
    stage.blind = True
    lead_user = make_user("applicant", full_name="Amadou Diallo", email="amadou.diallo@bridges.example")
    lead = make_org(legal_name="Diaspora Bridges Foundation", acronym="DIASBRIDGE", members=[lead_user])
    partner = make_org(legal_name="Réseau des Jeunes du Sahel", acronym="RESJEUSAHEL", country="ML")
    proposal = make_proposal(
        call,
        organisation=lead,
        status=ProposalStatus.UNDER_REVIEW,
        title="Remittances for cooperatives",
        summary="Channelling remittances into cooperatives in Kayes.",
    )
    session.add(ProposalPartner(proposal=proposal, organisation=partner, role="co_applicant", status="accepted"))
    key = storage.new_key("attachments", ".pdf")
    storage.put(key, b"%PDF-1.7\n% blind test\n")
    attachment = ProposalAttachment(
        proposal=proposal,
        kind="statutes",
        title="Statutes of Diaspora Bridges Foundation",
        filename="Diaspora Bridges Foundation (DIASBRIDGE) statutes.pdf",
        content_type="application/pdf",
        size=22,
        sha256="0" * 64,
        storage_key=key,
    )
    session.add(attachment)
    session.commit()
    return proposal, attachment


def _assert_blind(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"applicant identity leaked: {leaked}"


def test_declaration_page_hides_the_applicants(client, sign_in, blind_world, evaluator, make_assignment):
    proposal, _attachment = blind_world
    assignment = make_assignment(proposal, evaluator=evaluator)
    sign_in(client, evaluator)
    response = client.get(f"/evaluation/assignments/{assignment.id}/declaration")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert proposal.reference in html and proposal.title in html
    assert "this stage is evaluated blind" in html
    _assert_blind(html)


def test_scoring_page_queue_and_download_hide_the_applicants(client, sign_in, blind_world, evaluator, make_assignment):
    proposal, attachment = blind_world
    assignment = make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)

    score = client.get(f"/evaluation/assignments/{assignment.id}").get_data(as_text=True)
    assert proposal.summary in score and "Senegal" in score  # what stays: summary, countries
    assert "Document 1" in score
    _assert_blind(score)

    queue = client.get("/evaluation").get_data(as_text=True)
    assert proposal.reference in queue
    _assert_blind(queue)

    download = client.get(f"/evaluation/assignments/{assignment.id}/documents/{attachment.id}")
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    disposition = download.headers["Content-Disposition"]
    assert f"{proposal.reference}-statutes-1.pdf" in disposition
    _assert_blind(str(download.headers))


def test_the_full_proposal_page_and_its_downloads_are_closed_in_a_blind_stage(
    client, sign_in, blind_world, evaluator, make_assignment
):
    proposal, attachment = blind_world
    make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    assert client.get(f"/proposals/{proposal.id}/attachments/{attachment.id}").status_code == 404


def test_without_blind_mode_the_consortium_is_shown(client, sign_in, session, blind_world, evaluator, make_assignment):
    proposal, attachment = blind_world
    proposal.call.stages[0].blind = False
    session.commit()
    assignment = make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    score = client.get(f"/evaluation/assignments/{assignment.id}").get_data(as_text=True)
    assert "Diaspora Bridges Foundation" in score and "Réseau des Jeunes du Sahel" in score
    assert "Statutes of Diaspora Bridges Foundation" in score
    # Downloads through the evaluation pages keep a neutral name even then.
    download = client.get(f"/evaluation/assignments/{assignment.id}/documents/{attachment.id}")
    assert "Diaspora" not in download.headers["Content-Disposition"]


def test_evaluators_never_reach_an_unassigned_proposal(
    client, sign_in, blind_world, evaluator, make_evaluator, make_assignment, make_proposal
):
    proposal, attachment = blind_world
    mine = make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    other_proposal = make_proposal(proposal.call, status=ProposalStatus.UNDER_REVIEW)
    theirs = make_assignment(other_proposal, evaluator=make_evaluator(), status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    assert client.get(f"/evaluation/assignments/{theirs.id}").status_code == 404
    assert client.get(f"/evaluation/assignments/{theirs.id}/declaration").status_code == 404
    assert client.get(f"/evaluation/assignments/{theirs.id}/documents/{attachment.id}").status_code == 404
    assert client.get(f"/proposals/{other_proposal.id}").status_code == 404
    # Through one's own assignment, only that proposal's documents.
    foreign_key = storage.new_key("attachments", ".pdf")
    storage.put(foreign_key, b"%PDF-1.7\n% other\n")
    from portal.extensions import db

    foreign = ProposalAttachment(
        proposal=other_proposal,
        kind="cv",
        title="CV",
        filename="cv.pdf",
        content_type="application/pdf",
        size=17,
        sha256="0" * 64,
        storage_key=foreign_key,
    )
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"/evaluation/assignments/{mine.id}/documents/{foreign.id}").status_code == 404
    # A pending evaluator (no declaration yet) cannot download either.
    pending = make_assignment(other_proposal, evaluator=evaluator)
    assert client.get(f"/evaluation/assignments/{pending.id}/documents/{foreign.id}").status_code == 404
