"""Who may open the administration pages."""

from __future__ import annotations

import pytest

ROLES = ["anonymous", "applicant", "evaluator", "manager", "admin"]
MATRIX = [
    ("GET", "/admin/users", {"anonymous": 302, "applicant": 403, "evaluator": 403, "manager": 403, "admin": 200}),
    (
        "GET",
        "/admin/invitations/new",
        {"anonymous": 302, "applicant": 403, "evaluator": 403, "manager": 403, "admin": 200},
    ),
    (
        "POST",
        "/admin/invitations/new",
        {"anonymous": 302, "applicant": 403, "evaluator": 403, "manager": 403, "admin": 200},
    ),
    ("GET", "/admin/audit", {"anonymous": 302, "applicant": 403, "evaluator": 403, "manager": 200, "admin": 200}),
    ("POST", "/admin/audit", {"anonymous": 405, "applicant": 405, "evaluator": 405, "manager": 405, "admin": 405}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access(client, make_user, login, outbox, role, method, url, expected):
    if role != "anonymous":
        login(client, make_user(role))
    response = client.open(url, method=method, data={"email": ""})
    assert response.status_code == expected[role]
    assert outbox == []
