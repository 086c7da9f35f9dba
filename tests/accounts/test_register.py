from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from tests.accounts.helpers import last_audit, text_of
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


def test_register_creates_an_applicant_signs_in_and_asks_for_the_organisation(client, session):
    response = _register(client, email="Amina@NGO.example ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/organisations/new"
    user = session.scalar(select(User).where(User.email == "amina@ngo.example"))
    assert user is not None
    assert user.role == "applicant"
    assert user.full_name == "Amina Diallo"
    assert user.check_password("a-long-enough-password")
    entry = last_audit("user.register")
    assert entry.object_id == str(user.id)
    assert entry.after["role"] == "applicant"
    # signed in: the account page opens
    assert client.get("/account").status_code == 200


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


def test_register_refuses_an_address_already_registered(client, make_user, session):
    make_user(email="taken@ngo.example")
    response = _register(client, email="TAKEN@ngo.example")
    assert response.status_code == 200
    page = text_of(response)
    assert "An account with this e-mail address already exists. Sign in or reset your password." in page
    # what the person typed is kept (except passwords)
    assert 'value="Amina Diallo"' in page
    assert session.scalar(select(User).where(User.full_name == "Amina Diallo")) is None


def test_register_when_signed_in_goes_home(client, make_user, login):
    login(client, make_user())
    assert client.get("/register").headers["Location"] == "/"


def test_factory_password_is_long_enough():
    assert len(PASSWORD) >= 12
