from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.calls.models import Dialogue, JvapDomain


@pytest.fixture(autouse=True)
def _one_session(session):
    """Push the `session` fixture's app context before any factory runs, so that every object of the test lives
    in the one database session that the test, its factories and its requests share."""
    yield


@pytest.fixture
def rq(app, session):
    """A request context, for tests that call operations directly (messages are translated and formatted)."""
    with app.test_request_context():
        yield


@pytest.fixture
def manager(make_user):
    return make_user("manager", timezone="Europe/Brussels")


@pytest.fixture
def call_form(session):
    """Valid form data for /manage/calls/new; override what a test is about."""

    def make(**overrides):
        dialogue_ids = [str(i) for i in session.scalars(select(Dialogue.id).order_by(Dialogue.id)).all()[:2]]
        domain_ids = [str(i) for i in session.scalars(select(JvapDomain.id).order_by(JvapDomain.number)).all()[:3]]
        data = {
            "reference": "CFP-2030-01",
            "title": "Diaspora engagement for development",
            "description": "Initiatives that feed the Rabat Process.",
            "budget_envelope": "1000000",
            "min_grant": "50000",
            "max_grant": "200000",
            "dialogues": dialogue_ids,
            "domains": domain_ids,
            "countries": ["SN", "ML", "MA"],
            "opens_at": "2030-01-15T09:00",
            "closes_at": "2030-03-15T12:00",
            "timezone": "Europe/Brussels",
            "min_duration_months": "6",
            "max_duration_months": "24",
            "min_cofinancing_pct": "10",
            "max_indirect_cost_pct": "7",
            "max_amount_change_pct": "20",
            "summary_word_limit": "300",
            "min_co_applicants": "0",
            "procedure": "single",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return make
