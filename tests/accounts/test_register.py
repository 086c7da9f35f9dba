from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from tests.accounts.helpers import last_audit, link_in, text_of
from tests.factories import PASSWORD


def _register(client, **overrides):
    data = {
        "email": "amina@ngo.example",
        "full_name": "Amina Diallo",
        "password": "a-long-enough-password",
        "confirm": "a-long-enough-password",
    }
    data.update(overrides)
    return client.post("/register", data=data)


def test_register_page_renders(client):
    response = client.get("/register")
    assert response.status_code == 200
    assert "Create an account" in text_of(response)


def test_register_creates_an_unconfirmed_applicant_and_emails_a_link(client, session, outbox):
    response = _register(client, email="Amina@NGO.example ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-inbox"
    page = text_of(client.get("/register/check-inbox"))
    assert "Check your inbox" in page
    assert "We have sent a message to amina@ngo.example." in page
    user = session.scalar(select(User).where(User.email == "amina@ngo.example"))
    assert user is not None
    assert (user.role, user.full_name, user.email_confirmed) == ("applicant", "Amina Diallo", False)
    assert user.check_password("a-long-enough-password")
    entry = last_audit("user.register")
    assert entry.object_id == str(user.id)
    assert entry.after["role"] == "applicant" and entry.after["confirmed"] is False
    # not signed in: the account page sends to the sign-in page
    assert "/login" in client.get("/account").headers["Location"]
    assert [m.to for m in outbox] == ["amina@ngo.example"]
    assert outbox[0].subject.startswith("Confirm your e-mail address")
    assert "The link works once, for 48 hours." in outbox[0].text


def _confirmation_link(message) -> str:
    path = link_in(message)
    assert path.startswith("/register/confirm/")
    return path


def test_an_unconfirmed_account_cannot_sign_in_until_the_link_is_opened(client, session, outbox):
    _register(client)
    link = _confirmation_link(outbox[0])
    response = client.post("/login", data={"email": "amina@ngo.example", "password": "a-long-enough-password"})
    assert response.status_code == 200
    page = text_of(response)
    assert "Confirm your e-mail address first: open the link in the message we sent you when you registered." in page
    assert 'href="/register/resend"' in page
    # a wrong password still gets the one message for every failure (nothing said about the account)
    wrong = text_of(client.post("/login", data={"email": "amina@ngo.example", "password": "not-the-password"}))
    assert "The e-mail address or password is not correct." in wrong and "Confirm your e-mail" not in wrong

    # opening the link confirms nothing by itself (mail scanners fetch links); the button does
    page = text_of(client.get(link))
    assert "Confirm that amina@ngo.example is your address" in page
    user = session.scalar(select(User).where(User.email == "amina@ngo.example"))
    assert not user.email_confirmed
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    session.expire_all()
    assert user.email_confirmed
    assert last_audit("user.email_confirm").after["proof"] == "link"
    assert "Your e-mail address is confirmed. Sign in to continue." in text_of(client.get("/login"))
    response = client.post("/login", data={"email": "amina@ngo.example", "password": "a-long-enough-password"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    # the link works once
    again = client.application.test_client().get(link)
    assert again.status_code == 410
    assert "This confirmation link has already been used: your address is confirmed. Sign in." in text_of(again)


def test_an_expired_or_forged_confirmation_link_is_refused_with_a_way_forward(client, app, outbox, monkeypatch):
    _register(client)
    link = _confirmation_link(outbox[0])
    monkeypatch.setitem(app.config, "EMAIL_CONFIRMATION_MAX_AGE", -1)
    expired = client.post(link)
    assert expired.status_code == 410
    assert "This confirmation link has expired. Ask for a new one: it is sent to the same address." in text_of(expired)
    assert 'href="/register/resend"' in text_of(expired)
    monkeypatch.setitem(app.config, "EMAIL_CONFIRMATION_MAX_AGE", 3600)
    forged = client.get(link[:-3] + "xyz")
    assert forged.status_code == 410
    assert "This confirmation link is not valid. Check that you copied the whole link." in text_of(forged)


def test_a_new_link_can_be_asked_for_and_the_old_one_still_works(client, session, outbox):
    _register(client)
    first = _confirmation_link(outbox[0])
    outbox.clear()
    response = client.post("/register/resend", data={"email": "AMINA@ngo.example"}, follow_redirects=True)
    assert (
        "If an account waiting for confirmation exists for amina@ngo.example, we have sent it a new link."
        in text_of(response)
    )
    assert [m.to for m in outbox] == ["amina@ngo.example"]
    second = _confirmation_link(outbox[0])
    assert client.post(first).status_code == 302
    # once the address is confirmed, every link of it is used up
    assert client.get(second).status_code == 410


def test_a_password_reset_confirms_the_address(client, session, outbox):
    _register(client)
    outbox.clear()
    client.post("/password/forgot", data={"email": "amina@ngo.example"})
    reset = link_in(outbox[0])
    client.post(reset, data={"password": "another-long-password", "confirm": "another-long-password"})
    user = session.scalar(select(User).where(User.email == "amina@ngo.example"))
    session.expire_all()
    assert user.email_confirmed
    assert last_audit("user.email_confirm").after["proof"] == "password_reset"
    response = client.post("/login", data={"email": "amina@ngo.example", "password": "another-long-password"})
    assert response.status_code == 302


def test_an_invitation_to_the_portal_confirms_the_address(client, session, make_user, outbox):
    admin = make_user("admin")
    from portal.accounts.operations import invite_user

    invite_user("reviewer@ngo.example", "evaluator", by=admin)
    session.commit()
    link = link_in(outbox[-1])
    client.post(link, data={"full_name": "Rev Iewer", "password": PASSWORD, "confirm": PASSWORD})
    user = session.scalar(select(User).where(User.email == "reviewer@ngo.example"))
    assert user.email_confirmed


def test_register_refuses_a_short_password(client, session):
    response = _register(client, password="short", confirm="short")
    assert response.status_code == 200
    assert "Your password must be at least 12 characters long." in text_of(response)
    assert session.scalar(select(User).where(User.email == "amina@ngo.example")) is None


def test_register_refuses_different_passwords(client, session):
    response = _register(client, confirm="another-long-password")
    assert response.status_code == 200
    assert "The two passwords do not match." in text_of(response)
    assert session.scalar(select(User).where(User.email == "amina@ngo.example")) is None


def test_register_refuses_an_invalid_email(client):
    response = _register(client, email="not-an-address")
    assert "Enter a valid e-mail address, like name@example.org." in text_of(response)


def test_register_with_an_address_already_registered_tells_only_its_owner(client, make_user, session, outbox):
    owner = make_user(email="taken@ngo.example", full_name="Fatou Sow")
    response = _register(client, email="TAKEN@ngo.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-inbox"
    assert "We have sent a message to taken@ngo.example." in text_of(client.get("/register/check-inbox"))
    assert session.scalar(select(User).where(User.full_name == "Amina Diallo")) is None
    session.expire_all()
    assert owner.check_password(PASSWORD)  # the account is untouched
    assert [m.to for m in outbox] == ["taken@ngo.example"]
    text = outbox[0].text
    assert outbox[0].subject.startswith("Someone tried to register with your address")
    assert "which already has an account. Nothing was changed." in text
    assert "/login" in text and "/password/forgot" in text
    assert last_audit("user.register_existing").object_id == str(owner.id)


def test_register_when_signed_in_goes_home(client, make_user, login):
    login(client, make_user())
    assert client.get("/register").headers["Location"] == "/"


def test_factory_password_is_long_enough():
    assert len(PASSWORD) >= 12
