"""Who may open each evaluation page: (method, URL) x (anonymous, applicant, other applicant, evaluator,
other evaluator, manager, admin)."""

from __future__ import annotations

import pytest
from flask import g

from portal.core.access import ACCESS_ATTR
from portal.evaluation.models import AssignmentStatus

PEOPLE = ("anonymous", "applicant", "other_applicant", "evaluator", "other_evaluator", "manager", "admin")
MANAGERS_ONLY = dict(zip(PEOPLE, (302, 403, 403, 403, 403, 200, 200), strict=True))
OWN_EVALUATOR = dict(zip(PEOPLE, (302, 403, 403, 200, 404, 403, 403), strict=True))
EVALUATORS = dict(zip(PEOPLE, (302, 403, 403, 200, 200, 403, 403), strict=True))


@pytest.fixture
def world(call, proposal, evaluator, make_user, make_assignment, manager, admin):
    applicant = proposal.organisation.memberships[0].user
    pending = make_assignment(proposal, evaluator=evaluator)
    other_proposal_assignment = make_assignment(proposal, status=AssignmentStatus.IN_PROGRESS)
    return {
        "people": {
            "anonymous": None,
            "applicant": applicant,
            "other_applicant": make_user("applicant"),
            "evaluator": evaluator,
            "other_evaluator": other_proposal_assignment.evaluator,
            "manager": manager,
            "admin": admin,
        },
        "call": call,
        "proposal": proposal,
        "pending": pending,
        "in_progress": other_proposal_assignment,
    }


def _as(client, sign_in, user) -> None:
    """Become `user` (None: anonymous) for the next request."""
    with client.session_transaction() as sess:
        sess.clear()
    g.pop("_login_user", None)
    if user is not None:
        sign_in(client, user)


def _check(client, sign_in, world, method, url, expected):
    seen = {}
    for who in PEOPLE:
        _as(client, sign_in, world["people"][who])
        seen[who] = client.open(url, method=method).status_code
    assert seen == expected, url


def test_access_matrix(client, sign_in, world):
    call, proposal = world["call"], world["proposal"]
    pending, in_progress = world["pending"], world["in_progress"]
    _check(client, sign_in, world, "GET", "/evaluation", EVALUATORS)
    _check(client, sign_in, world, "GET", f"/evaluation/assignments/{pending.id}/declaration", OWN_EVALUATOR)
    # The other evaluator owns `in_progress`: its scoring page is theirs only.
    own_scoring = dict(OWN_EVALUATOR, evaluator=404, other_evaluator=200)
    _check(client, sign_in, world, "GET", f"/evaluation/assignments/{in_progress.id}", own_scoring)
    _check(client, sign_in, world, "GET", f"/manage/calls/{call.id}/assignments", MANAGERS_ONLY)
    _check(client, sign_in, world, "GET", f"/manage/calls/{call.id}/ranking", MANAGERS_ONLY)
    _check(client, sign_in, world, "GET", f"/manage/proposals/{proposal.id}/decision", MANAGERS_ONLY)
    # Removal: everyone but managers is refused before anything happens (managers tested in test_assign).
    for who, code in MANAGERS_ONLY.items():
        if who in ("manager", "admin"):
            continue
        _as(client, sign_in, world["people"][who])
        assert client.post(f"/manage/assignments/{pending.id}/remove").status_code == code, who


def test_every_route_has_an_access_rule(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("evaluation."):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, ACCESS_ATTR, None), rule.endpoint
