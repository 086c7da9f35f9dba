"""Fixtures of the evaluation tests: a call with its default concept-note grid, people in every role, and a
helper that records a submitted review with known scores."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.evaluation.models import AssignmentStatus
from portal.proposals.models import ProposalStatus

# The default concept-note grid: 1.1 ×2, 1.2 ×2, 1.3 ×1, 1.4 ×1 (Relevance, threshold 12), 2.1 ×2, 2.2 ×2;
# total out of 50, threshold 30.
ALL_FOURS = {"1.1": 4, "1.2": 4, "1.3": 4, "1.4": 4, "2.1": 4, "2.2": 4}  # 24 + 16 = 40
ALL_THREES = {"1.1": 3, "1.2": 3, "1.3": 3, "1.4": 3, "2.1": 3, "2.2": 3}  # 18 + 12 = 30


@pytest.fixture
def manager(make_user):
    return make_user("manager", full_name="Mona Manager")


@pytest.fixture
def admin(make_user):
    return make_user("admin", full_name="Ada Admin")


@pytest.fixture
def evaluator(make_evaluator):
    """An evaluator who has signed the declaration (so that they can be assigned)."""
    return make_evaluator(full_name="Eva Evaluator")


@pytest.fixture
def call(make_call):
    return make_call(budget_envelope=Decimal("300000.00"), max_grant=Decimal("200000.00"))


@pytest.fixture
def proposal(call, make_proposal):
    return make_proposal(
        call,
        status=ProposalStatus.SUBMITTED,
        title="Diaspora investment bridges",
        summary="A confidential plan to channel remittances into cooperatives in Kayes.",
    )


@pytest.fixture
def review(make_assignment, make_user):
    """review(proposal, scores_by_code) -> a submitted assignment by a new evaluator with those scores."""

    def make(proposal, scores: dict, evaluator=None):
        evaluator = evaluator or make_user("evaluator")
        return make_assignment(
            proposal,
            evaluator=evaluator,
            status=AssignmentStatus.SUBMITTED,
            scores={code: Decimal(v) for code, v in scores.items()},
        )

    return make


@pytest.fixture
def rq(app, session):
    """A request context, for tests that call operations directly and read their (translated) messages."""
    with app.test_request_context():
        yield


@pytest.fixture
def sign_in(login):
    """`login` (the root conftest gives every request a fresh `g`, so signing in as someone else takes effect)."""
    return login
