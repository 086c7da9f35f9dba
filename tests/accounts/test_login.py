from __future__ import annotations

import pytest

from tests.accounts.helpers import audit_actions, last_audit, text_of
from tests.factories import PASSWORD

GENERIC = "The e-mail address or password is not correct."


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)
    assert 'name="password"' in response.get_data(as_text=True)


def test_login_success_goes_home_updates_last_login_and_audits(client, make_user, session):
    user = make_user(email="lead@ngo.example")
    assert user.last_login_at is None
    response = client.post("/login", data={"email": "Lead@ngo.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    session.expire_all()
    assert user.last_login_at is not None
    entry = last_audit("user.login")
    assert entry.object_id == str(user.id)
    assert entry.actor_id == user.id
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("lead@ngo.example", "wrong-password-123"), ("nobody@ngo.example", PASSWORD)],
    ids=["wrong password", "unknown e-mail"],
)
def test_login_failure_gives_one_generic_message(client, make_user, email, password):
    make_user(email="lead@ngo.example")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 200
    page = text_of(response)
    assert GENERIC in page
    assert f'value="{email}"' in page
    assert client.get("/account").status_code == 302
    assert "user.login" not in audit_actions()


def test_login_refuses_an_inactive_account(client, make_user):
    make_user(email="gone@ngo.example", active=False)
    response = client.post("/login", data={"email": "gone@ngo.example", "password": PASSWORD})
    assert response.status_code == 200
    assert "This account has been deactivated." in text_of(response)
    assert client.get("/account").status_code == 302


def test_login_requires_both_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    page = text_of(response)
    assert "Enter your e-mail address." in page
    assert "Enter your password." in page


def test_login_honours_a_local_next(client, make_user):
    make_user(email="lead@ngo.example")
    response = client.post(
        "/login", data={"email": "lead@ngo.example", "password": PASSWORD, "next": "/organisations?x=1"}
    )
    assert response.headers["Location"] == "/organisations?x=1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "javascript:x"]
)
def test_login_ignores_a_next_that_leaves_the_site(client, make_user, target):
    make_user(email="lead@ngo.example")
    response = client.post("/login", data={"email": "lead@ngo.example", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == "/"


def test_protected_page_sends_to_login_and_back(client, make_user):
    make_user(email="lead@ngo.example")
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    form = client.get(response.headers["Location"])
    assert 'value="/account"' in form.get_data(as_text=True)
    back = client.post("/login", data={"email": "lead@ngo.example", "password": PASSWORD, "next": "/account"})
    assert back.headers["Location"] == "/account"


def test_logout_requires_post(client, make_user, login):
    user = make_user()
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_logout_signs_out_and_audits(client, make_user, login):
    user = make_user()
    login(client, user)
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    assert last_audit("user.logout").object_id == str(user.id)


def test_login_page_when_signed_in_goes_home(client, make_user, login):
    login(client, make_user())
    assert client.get("/login").headers["Location"] == "/"
