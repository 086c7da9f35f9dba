"""Registering an organisation that exists already (same registration number, or a nearly identical name in the
same country) warns and offers to ask to join; requests to join; the contact person; the contact details."""

from __future__ import annotations

from sqlalchemy import select

from portal.organisations.matching import find_matches, normalise_name, normalise_registration
from portal.organisations.models import Membership, MembershipRequest, Organisation
from tests.accounts.helpers import audit_actions, last_audit, text_of


def _data(**overrides):
    data = {
        "legal_name": "Association Jeunesse et Migration ASBL",
        "acronym": "",
        "type": "ngo",
        "country": "SN",
        "registration_number": "SN-NEW-1",
        "website": "",
    }
    data.update(overrides)
    return data


def test_normalisation():
    assert normalise_registration(" sn-2019/123 ") == normalise_registration("SN 2019.123") == "SN2019123"
    assert normalise_name("Association Jeunesse & Migration") == normalise_name(
        "Association Jeunesse et Migration ASBL"
    )
    assert normalise_name("Réseau Diaspora S.A.R.L.") == "reseau diaspora"


def test_find_matches_keeps_different_names_and_countries_apart(make_org):
    make_org(legal_name="Red Cross Dakar", country="SN", registration_number="A1")
    make_org(legal_name="Association Jeunesse & Migration", country="ML", registration_number="A2")
    matches = find_matches("SN", "B1", "Red Cross Thiès")
    assert not matches
    assert not find_matches("SN", "B1", "Association Jeunesse et Migration ASBL")
    assert [o.legal_name for o in find_matches("SN", "B1", "Croix Rouge / Red Cross Dakar SA").similar] == []
    assert [o.legal_name for o in find_matches("SN", "B1", "red cross  dakar").similar] == ["Red Cross Dakar"]


def test_near_identical_name_warns_and_offers_to_join(client, make_user, make_org, login, session):
    existing = make_org(legal_name="Association Jeunesse & Migration", acronym="AJM", country="SN")
    login(client, make_user())
    response = client.post("/organisations/new", data=_data())
    page = text_of(response)
    assert response.status_code == 200
    assert (
        "An organisation with a nearly identical name is already registered in Senegal. If it is yours, ask to "
        "join it. If yours is a different organisation, confirm it below and register it."
    ) in page
    assert "Association Jeunesse & Migration (AJM)" in page
    assert f'href="/organisations/{existing.id}/join"' in page
    assert "My organisation is none of those listed above: register it." in page
    assert session.scalar(select(Organisation).where(Organisation.registration_number == "SN-NEW-1")) is None
    # the user confirms that theirs is a different organisation
    response = client.post("/organisations/new", data=_data(confirm_distinct="y", seen_matches=str(existing.id)))
    assert response.status_code == 302
    created = session.scalar(select(Organisation).where(Organisation.registration_number == "SN-NEW-1"))
    assert created is not None
    assert last_audit("organisation.create").after["confirmed_distinct_from"] == [existing.id]


def test_confirmation_covers_only_the_organisations_shown(client, make_user, make_org, login, session):
    first = make_org(legal_name="Association Jeunesse & Migration", country="SN")
    make_org(legal_name="Association Jeunesse et Migration", country="SN")
    login(client, make_user())
    response = client.post("/organisations/new", data=_data(confirm_distinct="y", seen_matches=str(first.id)))
    assert response.status_code == 200
    assert "An organisation with a nearly identical name is already registered in Senegal." in text_of(response)
    assert session.scalar(select(Organisation).where(Organisation.registration_number == "SN-NEW-1")) is None


def test_exact_registration_cannot_be_confirmed_away(client, make_user, make_org, login, session):
    existing = make_org(legal_name="Totally Different", country="SN", registration_number="SN/NEW 1")
    login(client, make_user())
    response = client.post(
        "/organisations/new",
        data=_data(legal_name="Another Name", confirm_distinct="y", seen_matches=str(existing.id)),
    )
    page = text_of(response)
    assert "Ask to join it instead of registering it again." in page
    assert "Totally Different" in page
    assert session.scalar(select(Organisation).where(Organisation.legal_name == "Another Name")) is None


def test_contact_details_are_saved_and_shown(client, make_user, login, session):
    login(client, make_user())
    response = client.post(
        "/organisations/new",
        data=_data(
            legal_name="Fresh Org",
            address="12 Rue X\nDakar",
            email="info@fresh.example",
            phone="+221 33 123 45 67",
            legal_representative="Aïssatou Ba",
            legal_representative_title="Executive Director",
        ),
    )
    assert response.status_code == 302
    org = session.scalar(select(Organisation).where(Organisation.legal_name == "Fresh Org"))
    assert (org.email, org.phone, org.legal_representative, org.legal_representative_title) == (
        "info@fresh.example",
        "+221 33 123 45 67",
        "Aïssatou Ba",
        "Executive Director",
    )
    page = text_of(client.get(f"/organisations/{org.id}"))
    assert "Aïssatou Ba, Executive Director" in page and "info@fresh.example" in page
    page = text_of(client.post("/organisations/new", data=_data(legal_name="Bad", email="nope")))
    assert "Enter a valid e-mail address, like name@example.org." in page


def test_membership_request_accepted(client, make_user, make_org, login, session, outbox):
    member = make_user(email="member@org.example")
    org = make_org(members=[member], legal_name="Joinable", acronym=None)
    requester = make_user(email="newbie@org.example", full_name="New Bie")
    login(client, requester)
    page = text_of(client.get(f"/organisations/{org.id}/join"))
    assert "Ask to join Joinable" in page
    assert "member@org.example" not in page
    page = text_of(client.post(f"/organisations/{org.id}/join", data={"message": ""}))
    assert "Write a few words for the members: who you are and what you do in the organisation." in page
    response = client.post(f"/organisations/{org.id}/join", data={"message": "I run the Thiès office."})
    assert response.status_code == 302
    request = session.scalar(select(MembershipRequest))
    assert (request.user_id, request.status, request.message) == (requester.id, "pending", "I run the Thiès office.")
    assert last_audit("membership_request.create").after["organisation_id"] == org.id
    assert [m.to for m in outbox] == ["member@org.example"]
    assert "I run the Thiès office." in outbox[0].text
    assert "Joinable" in text_of(client.get("/organisations"))  # "your requests to join"
    page = text_of(client.get(f"/organisations/{org.id}/join"))
    assert "Its members have not answered yet" in page
    # the requester cannot answer their own request
    assert client.post(f"/organisations/requests/{request.id}/accept").status_code == 403

    outbox.clear()
    login(client, member)
    page = text_of(client.get(f"/organisations/{org.id}"))
    assert "Requests to join" in page and "New Bie" in page and "I run the Thiès office." in page
    response = client.post(f"/organisations/requests/{request.id}/accept")
    assert response.status_code == 302
    session.expire_all()
    assert request.status == "accepted" and request.decided_by_id == member.id
    assert org.is_member(requester)
    assert audit_actions()[-2:] == ["membership_request.accept", "membership.create"]
    assert [m.to for m in outbox] == ["newbie@org.example"]
    assert outbox[0].subject == "You are now a member of Joinable"
    response = client.post(f"/organisations/requests/{request.id}/accept", follow_redirects=True)
    assert "This request has already been answered." in text_of(response)


def test_membership_request_declined(client, make_user, make_org, login, session, outbox):
    member = make_user()
    org = make_org(members=[member], legal_name="Picky", acronym=None)
    requester = make_user(email="who@else.example")
    login(client, requester)
    client.post(f"/organisations/{org.id}/join", data={"message": "Hello"})
    page = text_of(client.post(f"/organisations/{org.id}/join", data={"message": "Hello again"}))
    assert "You asked to join this organisation" in page
    assert session.scalar(select(MembershipRequest).where(MembershipRequest.message == "Hello again")) is None
    request = session.scalar(select(MembershipRequest))
    outbox.clear()
    login(client, member)
    assert client.post(f"/organisations/requests/{request.id}/decline").status_code == 302
    session.expire_all()
    assert request.status == "declined"
    assert not org.is_member(requester)
    assert last_audit("membership_request.decline").after == {"status": "declined"}
    assert outbox[0].to == "who@else.example"
    assert outbox[0].subject == "Your request to join Picky was declined"
    # a stranger may not even know the request exists
    login(client, make_user())
    assert client.post(f"/organisations/requests/{request.id}/accept").status_code == 404


def test_member_asking_to_join_is_sent_to_the_page(client, make_user, make_org, login):
    member = make_user()
    org = make_org(members=[member])
    login(client, member)
    response = client.get(f"/organisations/{org.id}/join")
    assert response.status_code == 302 and response.headers["Location"] == f"/organisations/{org.id}"


def test_contact_hands_over(client, make_user, make_org, login, session):
    contact = make_user(full_name="First Contact")
    other = make_user(full_name="Second Person")
    org = make_org(members=[contact, other])
    target = session.scalar(select(Membership).where(Membership.user_id == other.id))
    # a member who is not the contact cannot take the role
    login(client, other)
    response = client.post(f"/organisations/{org.id}/contact", data={"membership_id": target.id}, follow_redirects=True)
    assert "Only the contact person can hand over that role." in text_of(response)
    login(client, contact)
    assert "Make contact person" in text_of(client.get(f"/organisations/{org.id}"))
    response = client.post(f"/organisations/{org.id}/contact", data={"membership_id": target.id}, follow_redirects=True)
    assert "Second Person is now the contact person." in text_of(response)
    session.expire_all()
    assert {m.user_id: m.is_contact for m in org.memberships} == {contact.id: False, other.id: True}
    entry = last_audit("organisation.contact_change")
    assert (entry.before, entry.after) == ({"contact_user_id": contact.id}, {"contact_user_id": other.id})
    response = client.post(f"/organisations/{org.id}/contact", data={"membership_id": 999999}, follow_redirects=True)
    assert "Only the contact person can hand over that role." in text_of(response)
