"""Two-stage calls: proposals start as concept notes; a manager invites a concept note to the full-application stage
(the lead is told); only an invited note gets a full application, one per note, pre-filled from the note, due by the
call's full-application deadline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.calls.models import Dialogue
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.proposals.models import (
    BudgetLine,
    CofinancingSource,
    Proposal,
    ProposalCountry,
    ProposalPartner,
    ProposalStatus,
)
from portal.proposals.operations import ProposalError, start_proposal, submission_problems
from portal.proposals.sections import CONCEPT_NOTE_SECTION_KEYS
from portal.proposals.submission import invite_full_application, start_full_application, submit_proposal
from tests.proposals.filling import fill_sections


def _reload(session, proposal_id) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal_id)


@pytest.fixture
def two_stage_call(make_call):
    now = utcnow()
    return make_call(
        reference="CFP-TWO",
        procedure="two_stage",
        closes_at=now + dt.timedelta(days=10),
        full_application_closes_at=now + dt.timedelta(days=60),
    )


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def note(rq, session, applicant, two_stage_call, make_proposal):
    """A submitted concept note (every section of the concept-note form filled in)."""
    proposal = make_proposal(
        two_stage_call,
        organisation=applicant.organisations[0],
        created_by=applicant,
        stage="concept_note",
        complete=True,
    )
    submit_proposal(proposal, by=applicant)
    session.commit()
    return proposal


def test_proposals_under_a_two_stage_call_start_as_concept_notes(rq, session, applicant, two_stage_call, make_call):
    note = start_proposal(two_stage_call, applicant.organisations[0], "A concept", by=applicant)
    assert note.stage == "concept_note"
    single = start_proposal(make_call(), applicant.organisations[0], "A full one", by=applicant)
    assert single.stage == "full_application"


def test_a_manager_invites_a_concept_note_and_the_lead_is_told(
    client, login, session, applicant, note, manager, outbox
):
    outbox.clear()
    login(client, manager)
    page = client.get(f"/proposals/{note.id}").get_data(as_text=True)
    assert f"/proposals/{note.id}/invite-full-application" in page
    response = client.post(f"/proposals/{note.id}/invite-full-application", follow_redirects=True)
    assert "is invited to submit a full application and has been told by e-mail" in response.get_data(as_text=True)
    proposal = _reload(session, note.id)
    assert proposal.status == ProposalStatus.INVITED and proposal.invited_at is not None
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "proposals", AuditEntry.object_id == str(note.id))
        .order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["proposal.under_review", "proposal.invited"]
    assert len(outbox) == 1
    assert outbox[0].to == applicant.email
    assert outbox[0].subject == f"Proposal {note.reference}: invitation to submit a full application"
    assert "The deadline for full applications is" in outbox[0].text
    assert f"/proposals/{note.id}" in outbox[0].text


def test_applicants_cannot_invite(client, login, session, applicant, note):
    login(client, applicant)
    assert client.post(f"/proposals/{note.id}/invite-full-application").status_code == 403
    assert _reload(session, note.id).status == ProposalStatus.SUBMITTED


def test_only_submitted_concept_notes_of_two_stage_calls_are_invited(
    rq, session, applicant, manager, two_stage_call, make_call, make_proposal
):
    draft_note = make_proposal(two_stage_call, organisation=applicant.organisations[0], stage="concept_note")
    with pytest.raises(ProposalError) as caught:
        invite_full_application(draft_note, by=manager)
    assert caught.value.messages == ["Only a submitted concept note can be invited to the full-application stage."]
    single = make_proposal(make_call(), organisation=applicant.organisations[0], status=ProposalStatus.SUBMITTED)
    with pytest.raises(ProposalError) as caught:
        invite_full_application(single, by=manager)
    assert caught.value.messages == [
        "Only a concept note under a two-stage call can be invited to the full-application stage."
    ]


def test_invite_by_the_route_shows_the_refusal(client, login, session, manager, applicant, make_call, make_proposal):
    single = make_proposal(make_call(), organisation=applicant.organisations[0], status=ProposalStatus.SUBMITTED)
    login(client, manager)
    page = client.post(f"/proposals/{single.id}/invite-full-application", follow_redirects=True).get_data(as_text=True)
    assert "Only a concept note under a two-stage call can be invited to the full-application stage." in page


def test_an_uninvited_note_gets_no_full_application(client, login, session, applicant, note):
    login(client, applicant)
    page = client.get(f"/proposals/{note.id}").get_data(as_text=True)
    assert f"/proposals/{note.id}/full-application" not in page
    page = client.post(f"/proposals/{note.id}/full-application", follow_redirects=True).get_data(as_text=True)
    assert (
        "This concept note has not been invited to the full-application stage, so it has no full application." in page
    )
    assert session.scalar(select(Proposal).where(Proposal.parent_id == note.id)) is None


@pytest.fixture
def invited(session, note, manager, make_org):
    """The note, filled in everywhere, with an accepted co-applicant and a declined one, then invited."""
    accepted = make_org("Institut Malien de Recherche", country="ML")
    declined = make_org("Université de Niamey", country="NE")
    note.dialogues = list(session.scalars(select(Dialogue).order_by(Dialogue.id)).all()[:2])
    note.country_rows = [
        ProposalCountry(country_code="ML", share_pct=Decimal("30.00")),
        ProposalCountry(country_code="SN", share_pct=Decimal("70.00")),
    ]
    note.partners = [
        ProposalPartner(
            organisation=accepted,
            role="co_applicant",
            status="accepted",
            budget_share=Decimal("30000.00"),
            confirmed_at=utcnow(),
            editable_sections=["relevance"],
        ),
        ProposalPartner(organisation=declined, role="co_applicant", status="declined"),
    ]
    session.flush()
    partner = note.partners[0]
    note.budget_lines = [
        BudgetLine(category="travel", description="Visits", quantity=Decimal("2"), unit_cost=Decimal("900.00")),
        BudgetLine(
            partner_id=partner.id,
            category="human_resources",
            description="Researcher",
            quantity=Decimal("6"),
            unit_cost=Decimal("2500.00"),
            position=1,
        ),
    ]
    note.cofinancing = [CofinancingSource(source="Municipality", amount=Decimal("10000.00"))]
    note.total_budget = Decimal("133000.00")
    session.commit()
    invite_full_application(note, by=manager)
    session.commit()
    return note


def test_the_lead_starts_a_full_application_pre_filled_from_the_note(client, login, session, applicant, invited):
    login(client, applicant)
    page = client.get(f"/proposals/{invited.id}").get_data(as_text=True)
    assert f"/proposals/{invited.id}/full-application" in page
    response = client.post(f"/proposals/{invited.id}/full-application")
    assert response.status_code == 302
    application = session.scalar(select(Proposal).where(Proposal.parent_id == invited.id))
    assert response.headers["Location"].endswith(f"/proposals/{application.id}/edit")
    assert application.reference == f"{invited.reference}-FA"
    assert application.stage == "full_application" and application.status == ProposalStatus.DRAFT
    assert application.created_by_id == applicant.id
    assert application.organisation_id == invited.organisation_id and application.call_id == invited.call_id
    for name in ("title", "summary", "requested_amount", "total_budget", "duration_months", "jvap_domain_id"):
        assert getattr(application, name) == getattr(invited, name), name
    assert [d.id for d in application.dialogues] == [d.id for d in invited.dialogues]
    assert [(c.country_code, c.share_pct) for c in application.country_rows] == [
        ("ML", Decimal("30.00")),
        ("SN", Decimal("70.00")),
    ]
    # Every section the note filled in, with its content; not the declarations, made again for the application.
    assert {s.key: s.data for s in application.sections} == {
        s.key: s.data for s in invited.sections if s.key != "declarations"
    }
    assert {s.key for s in application.sections} == set(CONCEPT_NOTE_SECTION_KEYS) - {"declarations"}
    # The consortium as accepted, still accepted; the declined organisation is not carried over.
    assert [
        (p.organisation.legal_name, p.status, p.budget_share, p.editable_sections) for p in application.partners
    ] == [("Institut Malien de Recherche", "accepted", Decimal("30000.00"), ["relevance"])]
    new_partner = application.partners[0]
    assert new_partner.id != invited.partners[0].id
    assert [(b.description, b.partner_id, b.total) for b in application.budget_lines] == [
        ("Visits", None, Decimal("1800.00")),
        ("Researcher", new_partner.id, Decimal("15000.00")),
    ]
    assert [(c.source, c.amount) for c in application.cofinancing] == [("Municipality", Decimal("10000.00"))]
    # The note itself is unchanged, and points at its full application.
    note = _reload(session, invited.id)
    assert note.status == ProposalStatus.INVITED and note.full_application.id == application.id
    assert len(note.partners) == 2 and len(note.budget_lines) == 2
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "proposals",
            AuditEntry.object_id == str(application.id),
            AuditEntry.action == "proposal.created",
        )
    )
    assert entry.after["from_concept_note"] == invited.reference


def test_one_full_application_per_note(client, login, session, applicant, invited):
    login(client, applicant)
    client.post(f"/proposals/{invited.id}/full-application")
    page = client.post(f"/proposals/{invited.id}/full-application", follow_redirects=True).get_data(as_text=True)
    assert f"The full application of this concept note has already been started: {invited.reference}-FA." in page
    assert len(session.scalars(select(Proposal).where(Proposal.parent_id == invited.id)).all()) == 1


def test_only_the_leads_users_start_the_full_application(client, login, session, invited, make_user, make_org):
    co_user = make_user("applicant")
    invited.partners[0].organisation.memberships  # noqa: B018 - loads it
    from portal.organisations.models import Membership

    session.add(Membership(user=co_user, organisation=invited.partners[0].organisation))
    session.commit()
    login(client, co_user)
    assert client.post(f"/proposals/{invited.id}/full-application").status_code == 403
    assert session.scalar(select(Proposal).where(Proposal.parent_id == invited.id)) is None


def test_the_full_application_is_due_by_the_full_application_deadline(rq, session, applicant, invited):
    call = invited.call
    application = start_full_application(invited, by=applicant)
    session.commit()
    # The parts of the form a concept note does not have, and a budget within the call's rules.
    fill_sections(application, applicant, keys=("logframe", "workplan", "risks", "sustainability", "budget"))
    # The note's declarations do not carry over: they are made again for the full application.
    assert [p.message for p in submission_problems(application)] == [
        "Make every declaration: tick each box.",
        "Enter the name of the person who signs for the lead applicant.",
        "Enter the position of the person who signs.",
    ]
    fill_sections(application, applicant, keys=("declarations",))
    # After the concept-note deadline, before the full-application deadline: accepted.
    submit_proposal(application, by=applicant, now=call.closes_at + dt.timedelta(days=1))
    assert application.status == ProposalStatus.SUBMITTED
    assert application.snapshots[0].data["stage"] == "full_application"
    assert application.snapshots[0].data["parent_reference"] == invited.reference


@pytest.mark.parametrize("offset", [0, 1])
def test_a_full_application_at_or_after_its_deadline_is_refused(rq, session, applicant, invited, offset):
    call = invited.call
    application = start_full_application(invited, by=applicant)
    session.commit()
    with pytest.raises(ProposalError) as caught:
        submit_proposal(application, by=applicant, now=call.full_application_closes_at + dt.timedelta(seconds=offset))
    message = caught.value.messages[0]
    assert message.startswith("The deadline for this call was ") and message.endswith("no longer accepted.")
    assert application.status == ProposalStatus.DRAFT


def test_no_full_application_is_started_after_its_deadline(rq, session, applicant, invited):
    with pytest.raises(ProposalError) as caught:
        start_full_application(invited, by=applicant, now=invited.call.full_application_closes_at)
    assert caught.value.messages[0].startswith("The deadline for full applications was ")


def test_the_notes_documents_asked_at_every_stage_are_copied_into_files_of_their_own(
    client, login, session, applicant, invited, two_stage_call
):
    from portal.calls.models import AttachmentRequirement
    from portal.core import storage
    from portal.proposals.models import ProposalAttachment
    from portal.proposals.submission import start_full_application

    statutes = AttachmentRequirement(call=two_stage_call, kind="statutes", required=True, stage="any")
    letters = AttachmentRequirement(call=two_stage_call, kind="support_letter", required=False, stage="concept_note")
    session.add_all([statutes, letters])
    session.flush()
    for requirement, body in ((statutes, b"%PDF-1.4 statutes"), (letters, b"%PDF-1.4 letters")):
        key = storage.new_key("attachments", ".pdf")
        storage.put(key, body)
        invited.attachments.append(
            ProposalAttachment(
                requirement_id=requirement.id,
                kind=requirement.kind,
                filename=f"{requirement.kind}.pdf",
                content_type="application/pdf",
                size=len(body),
                sha256="0" * 64,
                storage_key=key,
            )
        )
    session.commit()

    application = start_full_application(_reload(session, invited.id), by=applicant)
    session.commit()
    (copied,) = application.attachments  # the statutes; the letters of support were for the concept note only
    (original,) = [a for a in invited.attachments if a.kind == "statutes"]
    assert (copied.kind, copied.filename, copied.requirement_id) == ("statutes", "statutes.pdf", statutes.id)
    assert copied.storage_key != original.storage_key
    assert storage.get(copied.storage_key) == storage.get(original.storage_key) == b"%PDF-1.4 statutes"
    assert submission_problems(application) and not [
        p for p in submission_problems(application) if p.section == "attachments"
    ]
