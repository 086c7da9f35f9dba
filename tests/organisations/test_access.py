"""Who may open which organisation page: anonymous, a member, another applicant, an evaluator, a manager, an admin."""

from __future__ import annotations

import pytest

ROLES = ["anonymous", "member", "other_applicant", "evaluator", "manager", "admin"]

# (method, url template, expected status per role)
MATRIX = [
    (
        "GET",
        "/organisations",
        {"anonymous": 302, "member": 200, "other_applicant": 200, "evaluator": 200, "manager": 200, "admin": 200},
    ),
    (
        "GET",
        "/organisations/new",
        {"anonymous": 302, "member": 200, "other_applicant": 200, "evaluator": 200, "manager": 200, "admin": 200},
    ),
    (
        "GET",
        "/organisations/{id}",
        {"anonymous": 302, "member": 200, "other_applicant": 404, "evaluator": 404, "manager": 200, "admin": 200},
    ),
    (
        "GET",
        "/organisations/{id}/edit",
        {"anonymous": 302, "member": 200, "other_applicant": 404, "evaluator": 404, "manager": 403, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{id}/edit",
        {"anonymous": 302, "member": 200, "other_applicant": 404, "evaluator": 404, "manager": 403, "admin": 403},
    ),
    (
        "GET",
        "/organisations/{id}/members/invite",
        {"anonymous": 302, "member": 200, "other_applicant": 404, "evaluator": 404, "manager": 403, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{id}/members/invite",
        {"anonymous": 302, "member": 200, "other_applicant": 404, "evaluator": 404, "manager": 403, "admin": 403},
    ),
    (
        "GET",
        "/organisations/999999",
        {"anonymous": 302, "member": 404, "other_applicant": 404, "evaluator": 404, "manager": 404, "admin": 404},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_access(client, make_user, make_org, login, role, method, url, expected):
    member = make_user("applicant")
    org = make_org(members=[member])
    if role == "member":
        login(client, member)
    elif role != "anonymous":
        login(client, make_user("applicant" if role == "other_applicant" else role))
    # an invalid POST: members get the form back with messages (200); nothing changes
    response = client.open(url.format(id=org.id), method=method, data={"legal_name": "", "email": ""})
    assert response.status_code == expected[role]
