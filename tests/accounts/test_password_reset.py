from __future__ import annotations

import time

from itsdangerous.timed import TimestampSigner

from portal.accounts import operations
from tests.accounts.helpers import audit_actions, link_in, text_of
from tests.factories import PASSWORD

NEW = "a-brand-new-password"


def _confirmation(email: str) -> str:
    return f"If an account exists for {email}, we have sent it a link to choose a new password."


def test_forgot_password_for_an_unknown_address_says_the_same_and_sends_nothing(client, outbox):
    response = client.post("/password/forgot", data={"email": "nobody@ngo.example"}, follow_redirects=True)
    assert _confirmation("nobody@ngo.example") in text_of(response)
    assert outbox == []


def test_reset_flow_end_to_end(client, make_user, outbox, session):
    user = make_user(email="lead@ngo.example")
    response = client.post("/password/forgot", data={"email": "Lead@ngo.example"}, follow_redirects=True)
    assert _confirmation("lead@ngo.example") in text_of(response)
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == "lead@ngo.example"
    assert "new password" in message.subject
    path = link_in(message)
    assert path.startswith("/password/reset/")

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    session.expire_all()
    assert user.check_password(NEW)
    assert not user.check_password(PASSWORD)
    assert audit_actions("users", user.id) == ["user.password_reset_requested", "user.password_reset"]

    # the old password no longer signs in, the new one does
    failed = client.post("/login", data={"email": "lead@ngo.example", "password": PASSWORD})
    assert "The e-mail address or password is not correct." in text_of(failed)
    assert client.post("/login", data={"email": "lead@ngo.example", "password": NEW}).status_code == 302
    client.post("/logout")

    # the link works only once
    again = client.get(path)
    assert again.status_code == 410
    page = text_of(again)
    assert "This password reset link has already been used or is no longer valid." in page
    assert 'href="/password/forgot"' in page
    replay = client.post(path, data={"password": "yet-another-password", "confirm": "yet-another-password"})
    assert replay.status_code == 410
    session.expire_all()
    assert user.check_password(NEW)


def test_reset_form_checks_the_new_password(client, make_user, outbox):
    make_user(email="lead@ngo.example")
    client.post("/password/forgot", data={"email": "lead@ngo.example"})
    path = link_in(outbox[0])
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert "Your password must be at least 12 characters long." in text_of(short)
    mismatch = client.post(path, data={"password": NEW, "confirm": NEW + "x"})
    assert "The two passwords do not match." in text_of(mismatch)


def test_expired_reset_link_is_refused(app, client, make_user, monkeypatch, session):
    user = make_user(email="lead@ngo.example")
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    with app.test_request_context():
        # a token signed just over max_age seconds ago
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - max_age - 5)
        token = operations.make_reset_token(user)
        monkeypatch.undo()
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410
    assert "This password reset link has expired." in text_of(response)
    post = client.post(f"/password/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert post.status_code == 410
    session.expire_all()
    assert user.check_password(PASSWORD)


def test_reset_link_dies_with_the_max_age_setting(app, client, make_user, outbox, monkeypatch):
    make_user(email="lead@ngo.example")
    client.post("/password/forgot", data={"email": "lead@ngo.example"})
    path = link_in(outbox[0])
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    assert "This password reset link has expired." in text_of(client.get(path))


def test_forged_reset_link_is_refused(client):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 410
    assert "This password reset link is not valid." in text_of(response)


def test_no_reset_mail_for_an_inactive_account(client, make_user, outbox):
    make_user(email="gone@ngo.example", active=False)
    response = client.post("/password/forgot", data={"email": "gone@ngo.example"}, follow_redirects=True)
    assert _confirmation("gone@ngo.example") in text_of(response)
    assert outbox == []
