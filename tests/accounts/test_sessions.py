"""Sessions follow the password: changing it ends the account's other sessions, not the one that changed it."""

from __future__ import annotations

from tests.factories import PASSWORD

NEW = "a-brand-new-long-password"


def _sign_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user(email="two-devices@ngo.example")
    laptop = _sign_in(app, user.email)
    phone = _sign_in(app, user.email)
    assert phone.get("/account").status_code == 200

    response = laptop.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": NEW,
            "password-confirm": NEW,
            "password-submit": "Change password",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # the session that changed it goes on
    response = phone.get("/account")  # the other one must sign in again
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sign_in_starts_a_new_session(app, make_user):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
