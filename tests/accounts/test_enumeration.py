"""No account enumeration (ASVS 2.2.x, 3.x): sign-in and password reset answer the same way, by the same code path
(one password verification), for an address with an account and one without."""

from __future__ import annotations

import pytest

from portal.accounts import models
from tests.accounts.helpers import text_of


def _body(response, email) -> str:
    return text_of(response).replace(email, "EMAIL")


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
