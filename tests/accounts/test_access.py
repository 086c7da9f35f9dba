"""Who may open the account pages: public ones for everyone, the account page only signed in, logout only by POST."""

from __future__ import annotations

import pytest

ROLES = ["anonymous", "applicant", "evaluator", "manager", "admin"]
SIGNED_IN = {"applicant": 302, "evaluator": 302, "manager": 302, "admin": 302}
MATRIX = [
    # signed-in people are sent home from the sign-in and registration pages
    ("GET", "/login", {"anonymous": 200, **SIGNED_IN}),
    ("GET", "/register", {"anonymous": 200, **SIGNED_IN}),
    ("GET", "/password/forgot", dict.fromkeys(ROLES, 200)),
    ("GET", "/password/reset/forged", dict.fromkeys(ROLES, 410)),
    ("GET", "/invitations/unknown", dict.fromkeys(ROLES, 410)),
    ("GET", "/register/check-inbox", dict.fromkeys(ROLES, 200)),
    ("GET", "/register/confirm/forged", dict.fromkeys(ROLES, 410)),
    ("POST", "/register/confirm/forged", dict.fromkeys(ROLES, 410)),
    ("GET", "/register/resend", dict.fromkeys(ROLES, 200)),
    ("GET", "/account", {"anonymous": 302, "applicant": 200, "evaluator": 200, "manager": 200, "admin": 200}),
    ("GET", "/logout", dict.fromkeys(ROLES, 405)),
    ("POST", "/logout", {"anonymous": 302, **SIGNED_IN}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access(client, make_user, login, role, method, url, expected):
    if role != "anonymous":
        login(client, make_user(role))
    response = client.open(url, method=method)
    assert response.status_code == expected[role]
    if method == "POST" and url == "/logout" and role == "anonymous":
        assert response.headers["Location"].startswith("/login")
