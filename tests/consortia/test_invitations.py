"""Building the consortium: inviting registered organisations and unregistered ones by e-mail, accepting,
declining, removing, giving sections; who may do what; and the e-mailed links that are forged, expired or used."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.consortia.operations import make_invitation_token
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.proposals.models import BudgetLine, ProposalPartner
from tests.accounts.helpers import audit_actions, last_audit, text_of

PASSWORD = "correct-horse-battery"


@pytest.fixture
def world(make_user, make_org, make_call, make_proposal):
    lead_user = make_user(full_name="Lead Person", email="lead@lead.example")
    lead = make_org(members=[lead_user], legal_name="Lead NGO", acronym="LN", country="BE")
    partner_user = make_user(full_name="Partner Person", email="p1@partner.example")
    colleague = make_user(full_name="Partner Colleague", email="p2@partner.example")
    partner_org = make_org(members=[partner_user, colleague], legal_name="Partner Org", acronym="PO", country="SN")
    call = make_call(title="Mobility call")
    proposal = make_proposal(call, organisation=lead, created_by=lead_user, title="Diaspora bridges")
    return {
        "lead_user": lead_user,
        "lead": lead,
        "partner_user": partner_user,
        "colleague": colleague,
        "partner_org": partner_org,
        "call": call,
        "proposal": proposal,
    }


def _invite(client, proposal, org, role="co_applicant"):
    return client.post(f"/proposals/{proposal.id}/consortium/invite", data={"organisation_id": org.id, "role": role})


def _only_partner(proposal) -> ProposalPartner:
    db.session.expire_all()
    return db.session.scalars(select(ProposalPartner).where(ProposalPartner.proposal_id == proposal.id)).one()


def test_search_finds_organisations_without_revealing_members(client, login, world, make_org):
    make_org(legal_name="Réseau Sahel Migration", acronym="RSM", country="ML")
    login(client, world["lead_user"])
    page = text_of(client.get(f"/proposals/{world['proposal'].id}/consortium?q=partner"))
    assert "Partner Org (PO)" in page
    assert "p1@partner.example" not in page and "p2@partner.example" not in page
    page = text_of(client.get(f"/proposals/{world['proposal'].id}/consortium?q=rsm&country=ML"))
    assert "Réseau Sahel Migration (RSM)" in page
    # the lead's own organisation is never offered
    page = text_of(client.get(f"/proposals/{world['proposal'].id}/consortium?q=lead"))
    assert "No registered organisation matches." in page
    page = text_of(client.get(f"/proposals/{world['proposal'].id}/consortium?q=zzz"))
    assert "No registered organisation matches." in page


def test_existing_organisation_accepts(client, login, world, outbox):
    proposal, partner_org = world["proposal"], world["partner_org"]
    login(client, world["lead_user"])
    response = _invite(client, proposal, partner_org)
    assert response.status_code == 302
    partner = _only_partner(proposal)
    assert (partner.organisation_id, partner.role, partner.status) == (partner_org.id, "co_applicant", "invited")
    assert last_audit("consortium.invite").after["organisation_id"] == partner_org.id
    # every member of the invited organisation is told, with the proposal, call, lead and role
    assert sorted(m.to for m in outbox) == ["p1@partner.example", "p2@partner.example"]
    mail = outbox[0]
    assert mail.subject == "Lead NGO (LN) invites Partner Org (PO) to a consortium"
    assert "Proposal: Diaspora bridges" in mail.text
    assert "Mobility call" in mail.text
    assert "as a co-applicant" in mail.text
    assert f"/consortium-invitations/{partner.id}" in mail.text
    # the consortium page shows it as invited
    page = text_of(client.get(f"/proposals/{proposal.id}/consortium"))
    assert "Partner Org (PO)" in page and "invited" in page
    assert "Partner Org (PO) has not yet accepted the invitation." in page

    outbox.clear()
    login(client, world["partner_user"])
    dashboard = text_of(client.get("/proposals"))
    assert "Invitations to join a consortium" in dashboard and "Diaspora bridges" in dashboard
    assert "Diaspora bridges" in text_of(client.get(f"/organisations/{partner_org.id}"))
    page = text_of(client.get(f"/consortium-invitations/{partner.id}"))
    assert "Lead NGO (LN) invites Partner Org (PO) to a consortium" in page
    assert "Mobility call" in page and "Co-applicant" in page
    response = client.post(f"/consortium-invitations/{partner.id}/accept")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/proposals/{proposal.id}"
    partner = _only_partner(proposal)
    assert partner.status == "accepted" and partner.responded_by_id == world["partner_user"].id
    assert partner.confirmed_at is not None
    assert last_audit("consortium.accept").before == {"status": "invited"}
    assert [m.to for m in outbox] == ["lead@lead.example"]
    assert outbox[0].subject == "Partner Org (PO) accepted your invitation"
    # the co-applicant now sees the proposal (not a 403), and it lists them on the dashboard
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    assert "Proposals my organisations take part in as partners" in text_of(client.get("/proposals"))
    # answering twice is refused with a message
    client.post(f"/consortium-invitations/{partner.id}/accept", follow_redirects=False)
    page = text_of(client.get(f"/consortium-invitations/{partner.id}"))
    assert "This invitation has already been answered." in page or "accepted this invitation" in page


def test_existing_organisation_declines_with_a_reason(client, login, world, outbox):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    _invite(client, proposal, world["partner_org"], role="associated")
    partner = _only_partner(proposal)
    outbox.clear()
    login(client, world["colleague"])
    response = client.post(f"/consortium-invitations/{partner.id}/decline", data={"reason": "No capacity this year."})
    assert response.status_code == 302
    partner = _only_partner(proposal)
    assert (partner.status, partner.decline_reason) == ("declined", "No capacity this year.")
    assert last_audit("consortium.decline").after["decline_reason"] == "No capacity this year."
    assert [m.to for m in outbox] == ["lead@lead.example"]
    assert "No capacity this year." in outbox[0].text
    login(client, world["lead_user"])
    page = text_of(client.get(f"/proposals/{proposal.id}/consortium"))
    assert "Reason: No capacity this year." in page
    assert "Partner Org (PO) declined the invitation; remove it from the consortium." in page
    # invited again after declining: the same row, asked again
    assert _invite(client, proposal, world["partner_org"]).status_code == 302
    partner = _only_partner(proposal)
    assert (partner.status, partner.role, partner.decline_reason) == ("invited", "co_applicant", "")


def test_invitation_refusals(client, login, world, make_org, make_call, make_proposal):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    page = text_of(_invite(client, proposal, world["lead"]))
    assert "Lead NGO (LN) is the lead applicant of this proposal." in page
    _invite(client, proposal, world["partner_org"])
    page = text_of(_invite(client, proposal, world["partner_org"]))
    assert "Partner Org (PO) is already in the consortium." in page
    # the call's maximum, counting pending invitations
    call = world["call"]
    call.max_co_applicants = 1
    db.session.commit()
    other = make_org(legal_name="Third", acronym=None)
    page = text_of(_invite(client, proposal, other))
    assert (
        "This call allows at most 1 co-applicant; the consortium already has 1, counting pending invitations." in page
    )
    # associated entities are not counted against the maximum
    assert _invite(client, proposal, other, role="associated").status_code == 302
    page = text_of(
        client.post(
            f"/proposals/{proposal.id}/consortium/invite", data={"organisation_id": 999999, "role": "co_applicant"}
        )
    )
    assert "Choose an organisation from the search results." in page


def test_type_not_admitted_is_refused_at_invitation(client, login, world, make_org):
    from portal.calls.models import CallApplicantType

    world["call"].applicant_type_rows = [CallApplicantType(organisation_type="ngo")]
    db.session.commit()
    company = make_org(legal_name="Acme", acronym=None, type="private_sector")
    login(client, world["lead_user"])
    page = text_of(_invite(client, world["proposal"], company))
    assert "Acme is a private company; this call is open to: NGO." in page
    assert db.session.scalar(select(ProposalPartner)) is None


def test_unregistered_organisation_by_email_registers_and_accepts(client, login, world, outbox, session):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    response = client.post(
        f"/proposals/{proposal.id}/consortium/invite-by-email",
        data={"email": " Director@NewOrg.example ", "name": "Collectif Nouveau", "role": "co_applicant"},
    )
    assert response.status_code == 302
    partner = _only_partner(proposal)
    assert (partner.organisation_id, partner.invited_email, partner.invited_name) == (
        None,
        "director@neworg.example",
        "Collectif Nouveau",
    )
    assert [m.to for m in outbox] == ["director@neworg.example"]
    link = re.search(r"https?://\S+/consortium-invitations/join/\S+", outbox[0].text).group(0)
    path = link.split("localhost", 1)[-1]
    path = path[path.index("/consortium-invitations/") :]
    assert "Collectif Nouveau has not yet accepted the invitation." in text_of(
        client.get(f"/proposals/{proposal.id}/consortium")
    )
    # the same address cannot be invited twice while the first waits
    page = text_of(
        client.post(
            f"/proposals/{proposal.id}/consortium/invite-by-email",
            data={"email": "director@neworg.example", "name": "Again", "role": "co_applicant"},
        )
    )
    assert "An invitation to director@neworg.example is already waiting for an answer." in page

    # the recipient opens the link without an account: sign in or register, coming back here
    outbox.clear()
    anonymous = client.application.test_client()
    page = text_of(anonymous.get(path))
    assert "Diaspora bridges" in page and "Lead NGO (LN)" in page
    assert f"/register?next={path.replace('/', '%2F')}" in page or "/register?next=" in page
    response = anonymous.post(
        f"/register?next={path}",
        data={"email": "director@neworg.example", "full_name": "Awa Diop", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organisations/new?next=")
    # with an account but no organisation: register it, coming back here
    page = text_of(anonymous.get(path))
    assert "Register your organisation" in page
    response = anonymous.post(
        f"/organisations/new?next={path}",
        data={
            "legal_name": "Collectif Nouveau",
            "type": "diaspora",
            "country": "ML",
            "registration_number": "ML-77",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == path
    new_org = session.scalar(select(Organisation).where(Organisation.registration_number == "ML-77"))
    page = text_of(anonymous.get(path))
    assert "Collectif Nouveau will join the consortium." in page
    response = anonymous.post(path, data={"action": "accept"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/proposals/{proposal.id}"
    partner = _only_partner(proposal)
    assert (partner.status, partner.organisation_id) == ("accepted", new_org.id)
    assert last_audit("consortium.accept").after["organisation_id"] == new_org.id
    assert [m.to for m in outbox] == ["lead@lead.example"]
    assert anonymous.get(f"/proposals/{proposal.id}").status_code == 200
    # the link works once
    response = anonymous.get(path)
    assert response.status_code == 410
    assert "This invitation has already been answered." in text_of(response)


def test_email_invitation_declined_without_an_account(client, login, world, outbox):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    client.post(
        f"/proposals/{proposal.id}/consortium/invite-by-email",
        data={"email": "info@busy.example", "name": "Busy Org", "role": "associated"},
    )
    partner = _only_partner(proposal)
    token = make_invitation_token(partner)
    outbox.clear()
    anonymous = client.application.test_client()
    response = anonymous.post(
        f"/consortium-invitations/join/{token}", data={"action": "decline", "reason": "Not our field."}
    )
    assert response.status_code == 302
    partner = _only_partner(proposal)
    assert (partner.status, partner.decline_reason) == ("declined", "Not our field.")
    entry = last_audit("consortium.decline")
    assert entry.actor_id is None and entry.after["invited_email"] == "info@busy.example"
    assert outbox[0].subject == "Busy Org declined your invitation"
    # accepting without signing in sends to the sign-in page (before any answer)


def test_accept_through_link_asks_to_sign_in(client, login, world):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    client.post(
        f"/proposals/{proposal.id}/consortium/invite-by-email",
        data={"email": "x@y.example", "name": "Y", "role": "co_applicant"},
    )
    token = make_invitation_token(_only_partner(proposal))
    anonymous = client.application.test_client()
    response = anonymous.post(f"/consortium-invitations/join/{token}", data={"action": "accept"})
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert _only_partner(proposal).status == "invited"


def test_link_cannot_bring_the_lead_or_a_partner_twice(client, login, world):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    _invite(client, proposal, world["partner_org"])
    client.post(
        f"/proposals/{proposal.id}/consortium/invite-by-email",
        data={"email": "x@y.example", "name": "Y", "role": "co_applicant"},
    )
    db.session.expire_all()
    by_email = next(p for p in proposal.partners if p.organisation_id is None)
    token = make_invitation_token(by_email)
    # the lead's own user accepting with the lead organisation
    response = client.post(f"/consortium-invitations/join/{token}", data={"action": "accept"})
    assert response.status_code == 422
    assert "Lead NGO (LN) is the lead applicant of this proposal." in text_of(response)
    # a member of an organisation already invited
    login(client, world["partner_user"])
    response = client.post(f"/consortium-invitations/join/{token}", data={"action": "accept"})
    assert "Partner Org (PO) is already in the consortium of this proposal." in text_of(response)


@pytest.mark.parametrize("case", ["forged", "expired", "withdrawn", "submitted"])
def test_unusable_links_give_a_clear_page(client, login, world, case, app):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    client.post(
        f"/proposals/{proposal.id}/consortium/invite-by-email",
        data={"email": "x@y.example", "name": "Y", "role": "co_applicant"},
    )
    partner = _only_partner(proposal)
    token = make_invitation_token(partner)
    expected = {
        "forged": "This invitation link is not valid. Check that you copied the whole link.",
        "expired": "This invitation link has expired. Ask the lead applicant to invite your organisation again.",
        "withdrawn": "This invitation is no longer valid: the lead applicant withdrew or renewed it.",
        "submitted": "This proposal has been submitted; its consortium can no longer change.",
    }[case]
    if case == "forged":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif case == "expired":
        app.config["INVITATION_MAX_AGE_DAYS"] = -1
    elif case == "withdrawn":
        client.post(f"/proposals/{proposal.id}/consortium/{partner.id}/remove")
    else:
        proposal.status = "submitted"
        db.session.commit()
    anonymous = client.application.test_client()
    try:
        for method in ("get", "post"):
            response = getattr(anonymous, method)(f"/consortium-invitations/join/{token}", data={"action": "decline"})
            assert response.status_code == 410
            assert expected in text_of(response)
    finally:
        app.config["INVITATION_MAX_AGE_DAYS"] = 14


def test_remove_partner_with_its_budget_lines(client, login, world):
    from decimal import Decimal

    proposal = world["proposal"]
    login(client, world["lead_user"])
    _invite(client, proposal, world["partner_org"])
    partner = _only_partner(proposal)
    db.session.add(
        BudgetLine(
            proposal_id=proposal.id,
            partner_id=partner.id,
            category="travel",
            description="Flights",
            quantity=Decimal(2),
            unit_cost=Decimal("500.00"),
        )
    )
    db.session.commit()
    response = client.post(f"/proposals/{proposal.id}/consortium/{partner.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert proposal.partners == []
    assert db.session.scalar(select(BudgetLine)) is None
    entry = last_audit("consortium.remove")
    assert entry.before["organisation_id"] == world["partner_org"].id and entry.before["budget_lines"] == 1
    # the invitation is gone for the invited organisation too
    login(client, world["partner_user"])
    assert client.get(f"/consortium-invitations/{partner.id}").status_code == 404


def test_lead_gives_sections_to_a_co_applicant(client, login, world):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    _invite(client, proposal, world["partner_org"])
    partner = _only_partner(proposal)
    prefix = f"p{partner.id}-sections"
    page = text_of(client.get(f"/proposals/{proposal.id}/consortium"))
    assert "Objectives, results and activities" in page and "Sections Partner Org (PO) may edit" in page
    response = client.post(
        f"/proposals/{proposal.id}/consortium/{partner.id}/sections",
        data={prefix: ["budget", "workplan", "workplan"]},
    )
    assert response.status_code == 302
    partner = _only_partner(proposal)
    assert partner.editable_sections == ["workplan", "budget"]
    entry = last_audit("consortium.sections")
    assert entry.before == {"editable_sections": []}
    assert entry.after == {"editable_sections": ["workplan", "budget"]}
    response = client.post(
        f"/proposals/{proposal.id}/consortium/{partner.id}/sections", data={prefix: ["nonsense"]}, follow_redirects=True
    )
    assert "Choose sections from the list." in text_of(response)
    # once accepted, the co-applicant may edit exactly those sections
    partner.status = "accepted"
    db.session.commit()
    db.session.expire_all()
    assert proposal.can_edit_section(world["partner_user"], "budget")
    assert not proposal.can_edit_section(world["partner_user"], "summary")
    assert not proposal.can_submit(world["partner_user"])


def test_associated_entities_get_no_sections(client, login, world):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    _invite(client, proposal, world["partner_org"], role="associated")
    partner = _only_partner(proposal)
    response = client.post(
        f"/proposals/{proposal.id}/consortium/{partner.id}/sections",
        data={f"p{partner.id}-sections": ["budget"]},
        follow_redirects=True,
    )
    assert "Associated entities do not edit the proposal; only co-applicants can be given sections." in text_of(
        response
    )
    assert _only_partner(proposal).editable_sections == []


def test_access(client, login, world, make_user, make_org):
    proposal = world["proposal"]
    login(client, world["lead_user"])
    _invite(client, proposal, world["partner_org"])
    partner = _only_partner(proposal)
    # another applicant can neither see nor answer someone else's invitation
    stranger = make_user(email="stranger@else.example")
    make_org(members=[stranger])
    login(client, stranger)
    assert client.get(f"/consortium-invitations/{partner.id}").status_code == 404
    assert client.post(f"/consortium-invitations/{partner.id}/accept").status_code == 404
    assert client.post(f"/consortium-invitations/{partner.id}/decline").status_code == 404
    assert "Diaspora bridges" not in text_of(client.get("/consortium-invitations"))
    assert client.get(f"/proposals/{proposal.id}/consortium").status_code == 404
    # the lead's users do not answer for the invited organisation
    login(client, world["lead_user"])
    assert client.post(f"/consortium-invitations/{partner.id}/accept").status_code == 404
    assert _only_partner(proposal).status == "invited"
    # an accepted co-applicant sees the proposal but cannot manage its consortium
    login(client, world["partner_user"])
    client.post(f"/consortium-invitations/{partner.id}/accept")
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    assert client.get(f"/proposals/{proposal.id}/consortium").status_code == 403
    assert client.get(f"/proposals/{proposal.id}/consortium/check").status_code == 403
    assert client.post(f"/proposals/{proposal.id}/consortium/{partner.id}/remove").status_code == 403
    assert (
        client.post(
            f"/proposals/{proposal.id}/consortium/invite", data={"organisation_id": 1, "role": "co_applicant"}
        ).status_code
        == 403
    )
    assert client.post(f"/proposals/{proposal.id}/submit").status_code == 403
    assert "consortium.remove" not in audit_actions()


def test_consortium_is_frozen_after_submission(client, login, world):
    proposal = world["proposal"]
    proposal.status = "submitted"
    db.session.commit()
    login(client, world["lead_user"])
    assert client.get(f"/proposals/{proposal.id}/consortium").status_code == 403


def test_registration_ignores_a_next_page_outside_the_site(client, outbox):
    response = client.post(
        "/register?next=//evil.example/x",
        data={"email": "a@b.example", "full_name": "A B", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-inbox"
    confirm = re.search(r"https?://\S+(/register/confirm/\S+)", outbox[-1].text).group(1)
    assert client.post(confirm).headers["Location"] == "/login"  # the outside page is not carried along
    client.post("/login", data={"email": "a@b.example", "password": PASSWORD})
    response = client.post(
        "/organisations/new?next=https://evil.example/",
        data={"legal_name": "Safe Org", "type": "ngo", "country": "SN", "registration_number": "SAFE-1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/organisations/")
