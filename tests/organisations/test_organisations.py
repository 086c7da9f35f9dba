from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import Invitation
from portal.organisations.models import Membership, Organisation
from tests.accounts.helpers import audit_actions, last_audit, text_of


def _data(**overrides):
    data = {
        "legal_name": "Association Dakar Diaspora",
        "acronym": "ADD",
        "type": "diaspora",
        "country": "SN",
        "registration_number": "SN-2019-123",
        "website": "https://add.example.org",
    }
    data.update(overrides)
    return data


def test_create_page_lists_types_and_countries(client, make_user, login):
    login(client, make_user())
    page = text_of(client.get("/organisations/new"))
    assert "Diaspora organisation" in page
    assert "Civil-society organisation / NGO" in page
    assert '<option value="SN">Senegal</option>' in page


def test_create_makes_the_creator_member_and_contact(client, make_user, login, session):
    user = make_user()
    login(client, user)
    response = client.post("/organisations/new", data=_data())
    assert response.status_code == 302
    org = session.scalar(select(Organisation).where(Organisation.registration_number == "SN-2019-123"))
    assert response.headers["Location"] == f"/organisations/{org.id}"
    assert (org.legal_name, org.acronym, org.type, org.country) == (
        "Association Dakar Diaspora",
        "ADD",
        "diaspora",
        "SN",
    )
    assert org.created_by_id == user.id
    membership = session.scalar(select(Membership).where(Membership.organisation_id == org.id))
    assert membership.user_id == user.id
    assert membership.is_contact is True
    entry = last_audit("organisation.create")
    assert entry.object_id == str(org.id)
    assert entry.after["registration_number"] == "SN-2019-123"
    # it shows on "My organisations" as the user's, with the contact role
    mine = text_of(client.get("/organisations"))
    assert "Association Dakar Diaspora (ADD)" in mine
    assert "Contact person" in mine


def test_create_refuses_a_duplicate_registration_and_keeps_the_input(client, make_user, make_org, login, session):
    existing = make_org(country="SN", registration_number="SN-2019-123", legal_name="Dakar Diaspora Network")
    login(client, make_user())
    response = client.post("/organisations/new", data=_data(registration_number="sn 2019.123 "))
    assert response.status_code == 200
    page = text_of(response)
    assert (
        "An organisation with this registration number is already registered in Senegal. "
        "Ask to join it instead of registering it again."
    ) in page
    assert "Is your organisation already registered?" in page
    assert "Dakar Diaspora Network" in page
    assert f'href="/organisations/{existing.id}/join"' in page
    # an exact registration match cannot be overridden: no confirmation box
    assert "confirm_distinct" not in page
    assert 'id="registration_number-error"' in page
    assert 'value="Association Dakar Diaspora"' in page
    assert 'value="https://add.example.org"' in page
    assert session.scalar(select(Organisation).where(Organisation.legal_name == "Association Dakar Diaspora")) is None


def test_same_registration_number_in_another_country_is_fine(client, make_user, make_org, login):
    make_org(country="ML", registration_number="SN-2019-123")
    login(client, make_user())
    assert client.post("/organisations/new", data=_data()).status_code == 302


def test_create_validates_the_fields(client, make_user, login):
    login(client, make_user())
    page = text_of(client.post("/organisations/new", data=_data(legal_name="", type="", country="XX", website="x")))
    assert "Enter the organisation's legal name." in page
    assert "Choose the type of organisation." in page
    assert "Not a valid choice" in page
    assert "Enter a full web address, like https://www.example.org." in page


def test_create_refuses_a_non_web_link(client, make_user, login, session):
    login(client, make_user())
    page = text_of(client.post("/organisations/new", data=_data(website="javascript://x.example/%0aalert(1)")))
    assert "Enter a full web address, like https://www.example.org." in page
    assert session.scalar(select(Organisation)) is None


def test_view_shows_details_members_and_pending_invitations(client, make_user, make_org, login, session):
    lead = make_user(full_name="Lead Person")
    org = make_org(members=[lead], country="GH")
    login(client, lead)
    client.post(f"/organisations/{org.id}/members/invite", data={"email": "new@ngo.example"})
    page = text_of(client.get(f"/organisations/{org.id}"))
    assert org.legal_name in page
    assert "Ghana" in page
    assert "Lead Person" in page
    assert "new@ngo.example" in page
    assert "Invite a colleague" in page


def test_staff_view_without_edit_buttons(client, make_user, make_org, login):
    org = make_org(members=[make_user()])
    login(client, make_user("manager"))
    response = client.get(f"/organisations/{org.id}")
    assert response.status_code == 200
    assert "Edit the details" not in text_of(response)


def test_edit_saves_and_audits_before_and_after(client, make_user, make_org, login, session):
    lead = make_user()
    org = make_org(members=[lead], legal_name="Old Name", acronym="ON")
    login(client, lead)
    form = client.get(f"/organisations/{org.id}/edit")
    assert 'value="Old Name"' in text_of(form)
    response = client.post(
        f"/organisations/{org.id}/edit",
        data=_data(
            legal_name="New Name",
            acronym="ON",
            country=org.country,
            registration_number=org.registration_number,
            type=org.type,
            website="",
        ),
    )
    assert response.status_code == 302
    session.expire_all()
    assert org.legal_name == "New Name"
    assert org.website is None
    entry = last_audit("organisation.update")
    assert entry.before == {"legal_name": "Old Name"}
    assert entry.after == {"legal_name": "New Name"}


def test_edit_refuses_the_registration_of_another_organisation(client, make_user, make_org, login, session):
    lead = make_user()
    make_org(country="SN", registration_number="TAKEN-1")
    org = make_org(members=[lead], country="SN", legal_name="Mine")
    login(client, lead)
    response = client.post(
        f"/organisations/{org.id}/edit", data=_data(legal_name="Mine 2", registration_number="TAKEN-1")
    )
    assert response.status_code == 200
    assert "Another organisation is registered in Senegal with this registration number." in text_of(response)
    assert 'value="Mine 2"' in text_of(response)
    session.expire_all()
    assert org.legal_name == "Mine"
    assert "organisation.update" not in audit_actions()


def test_invite_member_sends_an_invitation(client, make_user, make_org, login, outbox, session):
    lead = make_user()
    org = make_org(members=[lead])
    login(client, lead)
    assert client.get(f"/organisations/{org.id}/members/invite").status_code == 200
    response = client.post(f"/organisations/{org.id}/members/invite", data={"email": "friend@ngo.example"})
    assert response.status_code == 302
    invitation = session.scalar(select(Invitation))
    assert (invitation.email, invitation.role, invitation.organisation_id) == (
        "friend@ngo.example",
        "applicant",
        org.id,
    )
    assert [m.to for m in outbox] == ["friend@ngo.example"]
    assert last_audit("invitation.create").after["organisation_id"] == org.id


def test_invite_member_refuses_an_existing_member(client, make_user, make_org, login, outbox):
    lead = make_user()
    colleague = make_user(email="colleague@ngo.example")
    org = make_org(members=[lead, colleague])
    login(client, lead)
    response = client.post(f"/organisations/{org.id}/members/invite", data={"email": "colleague@ngo.example"})
    assert response.status_code == 200
    assert "colleague@ngo.example is already a member of this organisation." in text_of(response)
    assert outbox == []


def test_invite_member_validates_the_address(client, make_user, make_org, login, outbox):
    lead = make_user()
    org = make_org(members=[lead])
    login(client, lead)
    response = client.post(f"/organisations/{org.id}/members/invite", data={"email": "nope"})
    assert "Enter a valid e-mail address, like name@example.org." in text_of(response)
    assert outbox == []
