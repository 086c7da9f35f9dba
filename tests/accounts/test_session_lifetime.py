"""Sessions end after a time without activity and a time after sign-in, end when an administrator changes the
account's role, and are cookies with the right flags."""

from __future__ import annotations

import time

from config import ProductionConfig
from portal.accounts.sessions import AUTH_AT, SEEN_AT
from portal.extensions import db
from tests.accounts.helpers import text_of
from tests.factories import PASSWORD


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _shift(client, key, seconds):
    with client.session_transaction() as sess:
        sess[key] -= seconds


def test_sign_in_records_when(app, make_user):
    client = _signed_in(app, make_user())
    with client.session_transaction() as sess:
        assert abs(sess[AUTH_AT] - time.time()) < 5
        assert abs(sess[SEEN_AT] - time.time()) < 5


def test_idle_session_ends_with_a_message(app, make_user):
    client = _signed_in(app, make_user())
    _shift(client, SEEN_AT, 31 * 60)
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account"
    page = client.get(response.headers["Location"])
    assert "Your session ended after 30 minutes without activity. Please sign in again." in text_of(page)
    assert client.get("/account").status_code == 302  # really over


def test_activity_keeps_the_session_alive(app, make_user):
    client = _signed_in(app, make_user())
    _shift(client, SEEN_AT, 29 * 60)
    assert client.get("/account").status_code == 200
    with client.session_transaction() as sess:
        assert time.time() - sess[SEEN_AT] < 5  # the request counted as activity


def test_session_ends_twelve_hours_after_sign_in_even_when_active(app, make_user):
    client = _signed_in(app, make_user())
    _shift(client, AUTH_AT, 12 * 3600 + 1)
    response = client.get("/account", follow_redirects=True)
    assert "Your session ended because you signed in more than 12 hours ago. Please sign in again." in text_of(response)


def test_time_outs_come_from_config(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    client = _signed_in(app, make_user())
    _shift(client, SEEN_AT, 6 * 60)
    assert client.get("/account").status_code == 302


def test_a_session_without_sign_in_time_is_not_accepted(app, make_user):
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert client.get("/account").status_code == 302


def test_role_change_ends_the_sessions_of_the_account(app, make_user):
    user = make_user("evaluator")
    client = _signed_in(app, user)
    assert client.get("/account").status_code == 200
    user.role = "applicant"  # whatever changes it (an administrator), sessions opened with the old role end
    db.session.commit()
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivation_ends_the_sessions_of_the_account(app, make_user):
    user = make_user()
    client = _signed_in(app, user)
    user.active = False
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_sign_out_empties_the_session(app, make_user):
    client = _signed_in(app, make_user())
    client.post("/logout")
    with client.session_transaction() as sess:
        assert "_user_id" not in sess and AUTH_AT not in sess


def test_session_cookie_flags(app, make_user):
    user = make_user()
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development and tests run on plain HTTP


def test_production_cookies_are_secure_and_hsts_is_on():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.HSTS_SECONDS >= 365 * 24 * 3600


def test_sign_out_keeps_the_language(app, make_user):
    client = _signed_in(app, make_user(locale="fr"))
    response = client.post("/logout", follow_redirects=True)
    assert "Vous êtes déconnecté" in text_of(response)
