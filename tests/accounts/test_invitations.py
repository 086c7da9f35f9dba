from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts.models import Invitation, User
from portal.core.db import utcnow
from portal.organisations.models import Membership
from tests.accounts.helpers import audit_actions, last_audit, link_in, text_of
from tests.factories import PASSWORD

NEW = "my-evaluator-password"


def _staff_invite(client, login, admin, email="expert@eval.example", role="evaluator"):
    login(client, admin)
    response = client.post("/admin/invitations/new", data={"email": email, "role": role})
    client.post("/logout")
    return response


def test_staff_invitation_sets_a_password_and_gives_the_role(client, make_user, login, outbox, session):
    admin = make_user("admin")
    response = _staff_invite(client, login, admin)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    invitation = session.scalar(select(Invitation).where(Invitation.email == "expert@eval.example"))
    assert invitation.role == "evaluator"
    assert invitation.organisation_id is None
    assert invitation.invited_by_id == admin.id
    assert len(outbox) == 1
    assert outbox[0].to == "expert@eval.example"
    assert "evaluator" in outbox[0].subject
    path = link_in(outbox[0])
    # only the hash of the token is stored
    token = path.rsplit("/", 1)[1]
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in invitation.token_hash

    page = client.get(path)
    assert page.status_code == 200
    assert "expert@eval.example" in text_of(page)

    short = client.post(path, data={"full_name": "Dr Expert", "password": "short", "confirm": "short"})
    assert "Your password must be at least 12 characters long." in text_of(short)

    done = client.post(path, data={"full_name": "Dr Expert", "password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert done.headers["Location"] == "/"
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "expert@eval.example"))
    assert user.role == "evaluator"
    assert user.full_name == "Dr Expert"
    assert user.check_password(NEW)
    assert invitation.accepted_at is not None
    assert invitation.accepted_by_id == user.id
    assert audit_actions("invitations", invitation.id) == ["invitation.create", "invitation.accept"]
    assert last_audit("user.create").after["role"] == "evaluator"
    # signed in as the new evaluator
    assert client.get("/account").status_code == 200

    # a second use of the link is refused with a message, not an error
    client.post("/logout")
    again = client.get(path)
    assert again.status_code == 410
    assert "This invitation has already been used." in text_of(again)


def test_admin_invitation_form_refuses_an_existing_account(client, make_user, login, outbox, session):
    admin = make_user("admin")
    make_user(email="known@ngo.example")
    login(client, admin)
    response = client.post("/admin/invitations/new", data={"email": "known@ngo.example", "role": "manager"})
    assert response.status_code == 200
    assert "An account with this e-mail address already exists; an invitation cannot change its role." in text_of(
        response
    )
    assert outbox == []
    assert session.scalar(select(Invitation).where(Invitation.email == "known@ngo.example")) is None


def test_admin_invitation_form_refuses_an_unknown_role(client, make_user, login, session):
    login(client, make_user("admin"))
    response = client.post("/admin/invitations/new", data={"email": "x@eval.example", "role": "admin"})
    assert response.status_code == 200
    assert "Not a valid choice" in text_of(response)
    assert session.scalar(select(Invitation)) is None


def test_staff_invitation_for_an_address_that_registered_meanwhile(client, make_user, login, outbox, session):
    admin = make_user("admin")
    _staff_invite(client, login, admin, email="late@eval.example")
    path = link_in(outbox[0])
    make_user(email="late@eval.example")
    response = client.get(path)
    assert response.status_code == 409
    assert "Please contact the administrator to change your role." in text_of(response)
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "late@eval.example")).role == "applicant"


def test_expired_invitation_is_refused(client, make_user, login, outbox, session):
    _staff_invite(client, login, make_user("admin"))
    path = link_in(outbox[0])
    invitation = session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    session.commit()
    response = client.get(path)
    assert response.status_code == 410
    assert "This invitation has expired." in text_of(response)
    post = client.post(path, data={"full_name": "X", "password": NEW, "confirm": NEW})
    assert post.status_code == 410
    assert session.scalar(select(User).where(User.email == "expert@eval.example")) is None


def test_unknown_invitation_token_is_refused(client):
    response = client.get("/invitations/nothing-like-this")
    assert response.status_code == 410
    assert "This invitation link is not valid." in text_of(response)


def test_invitation_expires_after_the_configured_days(app, client, make_user, login, session):
    _staff_invite(client, login, make_user("admin"))
    invitation = session.scalar(select(Invitation))
    days = (invitation.expires_at - invitation.created_at).total_seconds() / 86400
    assert round(days) == app.config["INVITATION_MAX_AGE_DAYS"]


# -- organisation invitations ----------------------------------------------------------------------------------


def test_organisation_invitation_for_a_new_person(client, make_user, make_org, login, outbox, session):
    lead = make_user(email="lead@ngo.example")
    org = make_org(members=[lead])
    login(client, lead)
    response = client.post(f"/organisations/{org.id}/members/invite", data={"email": "Colleague@NGO.example"})
    assert response.status_code == 302
    client.post("/logout")
    assert outbox[0].to == "colleague@ngo.example"
    assert org.legal_name in outbox[0].subject
    path = link_in(outbox[0])

    page = client.get(path)
    assert org.legal_name in text_of(page)
    done = client.post(path, data={"full_name": "Col League", "password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/organisations/{org.id}"
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "colleague@ngo.example"))
    assert user.role == "applicant"
    membership = session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.organisation_id == org.id
    assert membership.is_contact is False
    assert "membership.create" in audit_actions("memberships")
    assert client.get(f"/organisations/{org.id}").status_code == 200


def test_organisation_invitation_for_an_existing_account(client, make_user, make_org, login, outbox, session):
    lead = make_user(email="lead@ngo.example")
    org = make_org(members=[lead])
    colleague = make_user(email="colleague@ngo.example")
    login(client, lead)
    client.post(f"/organisations/{org.id}/members/invite", data={"email": "colleague@ngo.example"})
    client.post("/logout")
    path = link_in(outbox[0])

    # not signed in: asked to sign in, and brought back to the link
    prompt = client.get(path)
    assert prompt.status_code == 200
    page = text_of(prompt)
    assert "An account already exists for colleague@ngo.example. Sign in with it to accept the invitation." in page
    assert f"/login?next={path}" in page
    signed_in = client.post("/login", data={"email": "colleague@ngo.example", "password": PASSWORD, "next": path})
    assert signed_in.headers["Location"] == path

    confirm = client.get(path)
    assert "Accept the invitation" in text_of(confirm)
    assert session.scalar(select(Membership).where(Membership.user_id == colleague.id)) is None
    done = client.post(path)
    assert done.status_code == 302
    assert done.headers["Location"] == f"/organisations/{org.id}"
    session.expire_all()
    assert session.scalar(select(Membership).where(Membership.user_id == colleague.id)).organisation_id == org.id
    invitation = session.scalar(select(Invitation))
    assert invitation.accepted_by_id == colleague.id
    assert audit_actions("invitations", invitation.id) == ["invitation.create", "invitation.accept"]
    # used
    assert client.get(path).status_code == 410


def test_organisation_invitation_opened_by_someone_else(client, make_user, make_org, login, outbox, session):
    lead = make_user(email="lead@ngo.example")
    org = make_org(members=[lead])
    colleague = make_user(email="colleague@ngo.example")
    login(client, lead)
    client.post(f"/organisations/{org.id}/members/invite", data={"email": "colleague@ngo.example"})
    path = link_in(outbox[0])
    other = make_user(email="other@ngo.example")
    client.post("/logout")
    client.post("/login", data={"email": "other@ngo.example", "password": PASSWORD})
    page = client.get(path)
    assert "You are signed in as other@ngo.example, but this invitation is for colleague@ngo.example." in text_of(page)
    client.post(path)
    assert session.scalar(select(Membership).where(Membership.user_id == other.id)) is None
    assert session.scalar(select(Membership).where(Membership.user_id == colleague.id)) is None
