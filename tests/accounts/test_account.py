from __future__ import annotations

from tests.accounts.helpers import last_audit, text_of
from tests.factories import PASSWORD

NEW = "another-long-password"


def _profile(**overrides):
    data = {"profile-full_name": "Amina Diallo", "profile-locale": "fr", "profile-timezone": "Africa/Dakar"}
    data.update(overrides)
    return {**data, "profile-submit": "Save"}


def test_account_page_shows_the_details(client, make_user, login):
    user = make_user(email="lead@ngo.example", full_name="Amina")
    login(client, user)
    response = client.get("/account")
    assert response.status_code == 200
    page = text_of(response)
    assert "lead@ngo.example" in page
    assert 'value="Africa/Dakar"' in page
    assert 'value="Europe/Brussels"' in page


def test_account_update_saves_and_audits(client, make_user, login, session):
    user = make_user(full_name="Amina")
    login(client, user)
    response = client.post("/account", data=_profile())
    assert response.status_code == 302
    session.expire_all()
    assert (user.full_name, user.locale, user.timezone) == ("Amina Diallo", "fr", "Africa/Dakar")
    entry = last_audit("user.update")
    assert entry.before == {"full_name": "Amina", "locale": "en", "timezone": "UTC"}
    assert entry.after == {"full_name": "Amina Diallo", "locale": "fr", "timezone": "Africa/Dakar"}
    # the page now speaks French
    assert 'lang="fr"' in client.get("/account").get_data(as_text=True)


def test_account_update_refuses_an_unknown_time_zone(client, make_user, login, session):
    user = make_user(full_name="Amina")
    login(client, user)
    response = client.post("/account", data=_profile(**{"profile-timezone": "Mars/Olympus"}))
    assert response.status_code == 200
    assert "Not a valid choice" in text_of(response)
    session.expire_all()
    assert user.timezone == "UTC"


def test_account_update_requires_a_name(client, make_user, login):
    login(client, make_user())
    response = client.post("/account", data=_profile(**{"profile-full_name": ""}))
    assert "Enter your full name." in text_of(response)


def _password(current=PASSWORD, new=NEW, confirm=None):
    return {
        "password-current_password": current,
        "password-password": new,
        "password-confirm": confirm or new,
        "password-submit": "Change",
    }


def test_change_password_requires_the_current_one(client, make_user, login, session):
    user = make_user()
    login(client, user)
    response = client.post("/account", data=_password(current="not-my-password"))
    assert response.status_code == 200
    assert "Your current password is not correct." in text_of(response)
    session.expire_all()
    assert user.check_password(PASSWORD)


def test_change_password_checks_the_new_one(client, make_user, login):
    login(client, make_user())
    assert "Your password must be at least 12 characters long." in text_of(
        client.post("/account", data=_password(new="short"))
    )
    assert "The two passwords do not match." in text_of(client.post("/account", data=_password(confirm="x" * 14)))


def test_change_password_works_and_audits(client, make_user, login, session):
    user = make_user(full_name="Amina")
    login(client, user)
    response = client.post("/account", data=_password())
    assert response.status_code == 302
    session.expire_all()
    assert user.check_password(NEW)
    assert user.full_name == "Amina"  # the other form was left alone
    assert last_audit("user.password_change").object_id == str(user.id)


def test_account_requires_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
