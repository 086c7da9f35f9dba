"""Rate limits on sign-in, password reset, registration and two-factor codes: per client address and per account,
a 429 page in the person's language with Retry-After, and JSON under /api."""

from __future__ import annotations

import re

import pyotp
import pytest

from portal.accounts import two_factor
from portal.extensions import db
from tests.accounts.helpers import text_of
from tests.factories import PASSWORD


@pytest.fixture
def small_limits(app, monkeypatch):
    for name, value in {
        "LIMIT_SIGN_IN_PER_ADDRESS": "6 per 15 minutes",
        "LIMIT_SIGN_IN_PER_ACCOUNT": "3 per 15 minutes",
        "LIMIT_RESET_PER_ADDRESS": "4 per hour",
        "LIMIT_RESET_PER_ACCOUNT": "2 per hour",
        "LIMIT_REGISTER_PER_ADDRESS": "4 per hour",
        "LIMIT_REGISTER_PER_ACCOUNT": "2 per hour",
        "LIMIT_TWO_FACTOR_PER_ADDRESS": "10 per 15 minutes",
        "LIMIT_TWO_FACTOR_PER_ACCOUNT": "2 per 5 minutes",
    }.items():
        monkeypatch.setitem(app.config, name, value)


def _wrong(client, email, address="203.0.113.7"):
    return client.post(
        "/login", data={"email": email, "password": "not-the-password"}, environ_base={"REMOTE_ADDR": address}
    )


def test_failed_sign_ins_per_account_are_limited_with_a_clear_message(app, client, make_user, small_limits):
    user = make_user()
    for _i in range(3):
        assert _wrong(client, user.email).status_code == 200
    response = _wrong(client, user.email.upper(), address="198.51.100.1")  # another address, same account
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    page = text_of(response)
    assert "Too many attempts" in page
    wait = re.search(r"too many attempts\. For your security, wait (\d+) minutes? and try again\.", page)
    assert wait and 1 <= int(wait.group(1)) <= 15
    assert int(wait.group(1)) == max(1, round(int(response.headers["Retry-After"]) / 60))
    # even the right password waits: the account is what is protected
    right = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert right.status_code == 429


def test_successful_sign_ins_do_not_count(app, make_user, small_limits):
    user = make_user()
    for _i in range(5):
        client = app.test_client()
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_failed_sign_ins_per_address_are_limited_across_accounts(app, client, small_limits):
    for n in range(6):
        assert _wrong(client, f"guess{n}@ngo.example").status_code == 200
    assert _wrong(client, "guess-more@ngo.example").status_code == 429
    assert _wrong(client, "guess-more@ngo.example", address="192.0.2.50").status_code == 200


def test_the_429_page_speaks_the_persons_language(app, client, make_user, small_limits):
    user = make_user()
    for _i in range(3):
        _wrong(client, user.email)
    response = client.post("/login", data={"email": user.email, "password": "x"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 429
    assert "Trop de tentatives" in text_of(response)


def test_password_reset_requests_are_limited(app, client, make_user, small_limits, outbox):
    user = make_user()
    for _i in range(2):
        assert client.post("/password/forgot", data={"email": user.email}).status_code == 302
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert len(outbox) == 2
    # the same message and limit for an address without an account
    for _i in range(2):
        assert client.post("/password/forgot", data={"email": "nobody@ngo.example"}).status_code in (302, 429)
    assert client.post("/password/forgot", data={"email": "nobody@ngo.example"}).status_code == 429


def test_registrations_are_limited_per_address(app, client, small_limits):
    for n in range(4):
        client.post("/register", data={"email": f"new{n}@ngo.example", "full_name": "N", "password": "x"})
    response = client.post("/register", data={"email": "new9@ngo.example", "full_name": "N", "password": "x"})
    assert response.status_code == 429


def test_two_factor_codes_are_limited_per_account(app, make_user, small_limits):
    user = make_user()
    secret = two_factor.start_enrolment(user)
    two_factor.confirm_enrolment(user, pyotp.TOTP(secret).now())
    user.totp_last_step = None
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for _i in range(2):
        assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 200
    response = client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 429


def test_api_gets_a_json_429(app, monkeypatch):
    from flask_limiter.errors import RateLimitExceeded

    from portal.core.security import too_many_requests

    with app.test_request_context("/api/v1/grants"):
        response = too_many_requests(RateLimitExceeded.__new__(RateLimitExceeded))
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.committed
def test_behind_a_trusted_proxy_the_client_address_counts(other_app, make_user):
    proxied = other_app(TRUSTED_PROXY_COUNT=1, LIMIT_SIGN_IN_PER_ADDRESS="2 per 15 minutes")
    client = proxied.test_client()
    for _i in range(2):
        response = client.post("/login", data={"email": "", "password": ""}, headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 200
    blocked = client.post("/login", data={"email": "", "password": ""}, headers={"X-Forwarded-For": "203.0.113.9"})
    assert blocked.status_code == 429
    other = client.post("/login", data={"email": "", "password": ""}, headers={"X-Forwarded-For": "198.51.100.4"})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "memory://"),
        ({"REDIS_URL": "redis://cache:6379/0"}, "redis://cache:6379/0"),
        (
            {"REDIS_URL": "redis://cache:6379/0", "RATELIMIT_STORAGE_URI": "redis://limits:6379/2"},
            "redis://limits:6379/2",
        ),
    ],
)
def test_counters_live_in_redis_when_there_is_one(env, expected):
    """Every web server must see the same counts: the storage follows REDIS_URL (or its own setting)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")}
    done = subprocess.run(
        [sys.executable, "-c", "import config; print(config.DevelopmentConfig.RATELIMIT_STORAGE_URI)"],
        env={**clean, **env},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == expected
