"""No account enumeration (ASVS 2.2.x, 3.x): sign-in, password reset, registration and asking for a new confirmation
link answer the same way, by the same code path (one password verification or hash), for an address with an account
and one without; only the address's owner learns anything, by e-mail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts import models
from portal.core.db import utcnow
from tests.accounts.helpers import text_of
from tests.factories import PASSWORD


def _body(response, email) -> str:
    """The page with the address masked, and the CSRF tokens: each is signed with the second it was made in, so two
    answers a second apart differ there whatever the address (the token says nothing about the account)."""
    text = text_of(response).replace(email, "EMAIL")
    return re.sub(r'(<input[^>]*name="csrf_token"[^>]*value=)"[^"]*"', r'\1"TOKEN"', text)


def test_sign_in_answers_the_same_for_an_unknown_address_and_a_wrong_password(client, make_user, monkeypatch):
    user = make_user(email="known@ngo.example")
    verifications = []
    real = models._hasher

    class CountingHasher:
        def hash(self, password):
            return real.hash(password)

        def verify(self, hashed, password):
            verifications.append(1)
            return real.verify(hashed, password)

        def check_needs_rehash(self, hashed):
            return real.check_needs_rehash(hashed)

    monkeypatch.setattr(models, "_hasher", CountingHasher())

    known = client.post("/login", data={"email": user.email, "password": "wrong-password-123"})
    unknown = client.post("/login", data={"email": "unknown@ngo.example", "password": "wrong-password-123"})
    assert known.status_code == unknown.status_code == 200
    assert _body(known, user.email) == _body(unknown, "unknown@ngo.example")
    assert "The e-mail address or password is not correct." in text_of(known)
    assert len(verifications) == 2  # a password hash was checked in both cases (same time spent)


@pytest.mark.parametrize("state", ["active", "inactive"])
def test_password_reset_answers_the_same_whether_or_not_there_is_an_account(client, make_user, outbox, state):
    user = make_user(email="someone@ngo.example", active=state == "active")
    known = client.post("/password/forgot", data={"email": user.email}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@ngo.example"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert _body(known, user.email) == _body(unknown, "nobody@ngo.example")
    assert "If an account exists for EMAIL, we have sent it a link" in _body(known, user.email)
    assert len(outbox) == (1 if state == "active" else 0)  # only the owner learns anything, by e-mail


def test_limits_count_unknown_addresses_like_known_ones(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LIMIT_SIGN_IN_PER_ACCOUNT", "2 per 15 minutes")
    user = make_user()
    for email in (user.email, "ghost@ngo.example"):
        for _i in range(2):
            client.post("/login", data={"email": email, "password": "wrong-password-123"})
        assert client.post("/login", data={"email": email, "password": "x"}).status_code == 429


def _counting_hasher(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = models._hasher

    class CountingHasher:
        def hash(self, password):
            calls.append("hash")
            return real.hash(password)

        def verify(self, hashed, password):
            calls.append("verify")
            return real.verify(hashed, password)

        def check_needs_rehash(self, hashed):
            return real.check_needs_rehash(hashed)

    monkeypatch.setattr(models, "_hasher", CountingHasher())
    return calls


_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def _register(client, email):
    data = {"email": email, "full_name": "Amina Diallo", "password": "a-long-enough-password"}
    return client.post("/register", data={**data, "confirm": data["password"]})


def test_registration_answers_the_same_whether_or_not_there_is_an_account(app, make_user, outbox, monkeypatch, session):
    owner = make_user(email="known@ngo.example")
    hashes = _counting_hasher(monkeypatch)
    answers = {}
    for email in ("known@ngo.example", "unknown@ngo.example"):
        client = app.test_client()
        outbox.clear()
        hashes.clear()
        response = _register(client, email)
        page = client.get(response.headers["Location"])
        answers[email] = {
            "status": response.status_code,
            "location": response.headers["Location"],
            "page": _CSRF.sub("", _body(page, email)),  # each session has its own token
            "hashes": list(hashes),  # the same work: one password hashed either way
            "mails to the address": [m.to for m in outbox],
            "signed in": client.get("/account").status_code == 200,
        }
    known, unknown = answers["known@ngo.example"], answers["unknown@ngo.example"]
    assert known == {**unknown, "mails to the address": ["known@ngo.example"]}
    assert unknown["mails to the address"] == ["unknown@ngo.example"]
    assert known["status"] == 302 and known["hashes"] == ["hash"] and not known["signed in"]
    assert "We have sent a message to EMAIL." in known["page"]
    # only the owner learns, by e-mail, which it was
    session.expire_all()
    assert session.get(models.User, owner.id).full_name != "Amina Diallo"


@pytest.mark.parametrize("state", ["unknown", "unconfirmed", "confirmed"])
def test_asking_for_a_new_confirmation_link_answers_the_same_for_every_address(
    client, make_user, outbox, session, state
):
    email = f"{state}@ngo.example"
    if state != "unknown":
        make_user(email=email, email_confirmed_at=None if state == "unconfirmed" else utcnow())
    response = client.post("/register/resend", data={"email": email}, follow_redirects=True)
    assert response.status_code == 200
    assert (
        "If an account waiting for confirmation exists for EMAIL, we have sent it a new link. "
        "Check your inbox (and your spam folder)." in _body(response, email)
    )
    assert len(outbox) == (1 if state == "unconfirmed" else 0)


def test_registering_from_a_consortium_invitation_for_another_address_proves_nothing(
    app, make_user, make_org, make_call, make_proposal, outbox, session
):
    """An invitation link confirms only the address it was sent to."""
    from portal.consortia.operations import make_invitation_token
    from portal.proposals.models import ProposalPartner

    lead = make_user()
    proposal = make_proposal(make_call(), organisation=make_org(members=[lead]))
    partner = ProposalPartner(
        proposal=proposal, role="co_applicant", status="invited", invited_email="invited@neworg.example"
    )
    session.add(partner)
    session.commit()
    path = f"/consortium-invitations/join/{make_invitation_token(partner)}"

    stranger = app.test_client()
    response = stranger.post(
        f"/register?next={path}",
        data={"email": "someone-else@neworg.example", "full_name": "S", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.headers["Location"] == "/register/check-inbox"
    assert not session.scalar(
        select(models.User).where(models.User.email == "someone-else@neworg.example")
    ).email_confirmed
    # the confirmation link brings the person back to the invitation after they sign in
    assert outbox[-1].to == "someone-else@neworg.example"

    invited = app.test_client()
    response = invited.post(
        f"/register?next={path}",
        data={"email": "Invited@NewOrg.example", "full_name": "I", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.headers["Location"].startswith("/organisations/new?next=")
    assert invited.get("/account").status_code == 200
