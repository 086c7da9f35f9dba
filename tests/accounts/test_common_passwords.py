"""Common passwords, and passwords made of the person's own address or name, are refused wherever a password is
chosen: registration, password change, password reset and accepting an invitation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.operations import make_reset_token
from portal.accounts.passwords import common_passwords, password_problem
from tests.accounts.helpers import text_of
from tests.factories import PASSWORD

COMMON = "password1234"  # twelve characters, long enough, and in every list of leaked passwords
COMMON_MESSAGE = "This password is one of the most commonly used ones and is easy to guess. Choose another."


def test_the_list_is_the_packaged_one():
    assert len(common_passwords()) > 25_000
    assert {"123456", "password", "qwertyuiop", COMMON} <= common_passwords()


@pytest.mark.parametrize("password", [COMMON, "PASSWORD1234", " password1234 ", "1QAZ2WSX3EDC"])
def test_common_passwords_are_refused_whatever_their_case(password):
    assert password_problem(password) == COMMON_MESSAGE


def test_a_good_password_passes():
    assert password_problem(PASSWORD, email="amina@ngo.example", full_name="Amina Diallo") is None


def test_a_password_made_of_the_address_or_name_is_refused():
    message = "Your password must not be based on your e-mail address or your name. Choose another."
    assert password_problem("amina.diallo@ngo.example", email="amina.diallo@ngo.example") == message
    assert password_problem("AminaDiallo2024", email="x@ngo.example", full_name="Amina Diallo") == message


def test_registration_refuses_a_common_password_and_keeps_the_input(client, session):
    response = client.post(
        "/register",
        data={"email": "amina@ngo.example", "full_name": "Amina Diallo", "password": COMMON, "confirm": COMMON},
    )
    assert response.status_code == 200
    page = text_of(response)
    assert COMMON_MESSAGE in page
    assert 'value="Amina Diallo"' in page and 'value="amina@ngo.example"' in page
    assert session.scalar(select(User).where(User.email == "amina@ngo.example")) is None


def test_password_change_refuses_a_common_password(app, make_user, login):
    user = make_user()
    client = login(app.test_client(), user)
    response = client.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": COMMON,
            "password-confirm": COMMON,
            "password-submit": "Change",
        },
    )
    assert response.status_code == 200
    assert COMMON_MESSAGE in text_of(response)
    assert user.check_password(PASSWORD)


def test_password_reset_refuses_a_common_password(app, client, make_user):
    user = make_user()
    with app.test_request_context():
        token = make_reset_token(user)
    response = client.post(f"/password/reset/{token}", data={"password": COMMON, "confirm": COMMON})
    assert response.status_code == 200
    assert COMMON_MESSAGE in text_of(response)
    assert user.check_password(PASSWORD)
