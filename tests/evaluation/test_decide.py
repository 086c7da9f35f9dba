"""Decisions: when they are refused, the reject path and the award path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import operations
from portal.evaluation.models import Decision
from portal.grants.models import Grant
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES


@pytest.fixture
def reviewed(session, proposal, review):
    """The proposal under review with two submitted reviews: 40 and 30, mean 35."""
    review(proposal, ALL_FOURS)
    review(proposal, ALL_THREES)
    proposal.status = ProposalStatus.UNDER_REVIEW
    session.commit()
    return proposal


def _url(proposal):
    return f"/manage/proposals/{proposal.id}/decision"


def _actions(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_default_award_dates():
    assert operations.default_award_dates(18, dt.date(2026, 1, 15)) == (dt.date(2026, 2, 1), dt.date(2027, 7, 31))
    assert operations.default_award_dates(12, dt.date(2026, 12, 5)) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert operations.default_award_dates(1, dt.date(2027, 1, 31)) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))


def test_decision_page_shows_scores_and_defaults(client, sign_in, reviewed, manager):
    sign_in(client, manager)
    html = client.get(_url(reviewed)).get_data(as_text=True)
    assert "Mean total" in html and "<strong>35.00</strong> / 50" in html
    assert "21.00 / 30" in html  # relevance mean
    start, end = operations.default_award_dates(reviewed.duration_months)
    assert 'value="120000.00"' in html
    assert f'value="{start.isoformat()}"' in html and f'value="{end.isoformat()}"' in html
    assert "Record the decision" in html


def test_reject_path(client, sign_in, session, reviewed, manager, outbox):
    sign_in(client, manager)
    response = client.post(
        _url(reviewed), data={"outcome": "reject", "reason": "Below the funding line after ranking."}
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/manage/calls/{reviewed.call_id}/ranking")
    session.expire_all()
    assert reviewed.status == ProposalStatus.REJECTED
    decision = session.scalar(select(Decision).where(Decision.proposal_id == reviewed.id))
    assert decision.outcome == "reject" and decision.final_score == Decimal("35.00")
    assert decision.decided_by_id == manager.id
    assert session.scalar(select(Grant).where(Grant.proposal_id == reviewed.id)) is None
    (recorded,) = _actions(session, "decision.recorded")
    assert recorded.after["outcome"] == "reject" and recorded.after["final_score"] == "35.00"
    (transition,) = _actions(session, "proposal.rejected")
    assert transition.after == {"status": "rejected", "reason": "Below the funding line after ranking."}
    contact = reviewed.organisation.memberships[0].user
    assert [m.to for m in outbox] == [contact.email]
    assert reviewed.reference in outbox[0].subject
    assert "has not been selected for funding" in outbox[0].text
    assert "Below the funding line after ranking." in outbox[0].text
    page = client.get(response.location).get_data(as_text=True)
    assert f"{reviewed.reference} is rejected; the applicant has been told." in page

    # A second decision is refused.
    response = client.post(_url(reviewed), data={"outcome": "award", "reason": "Changed our minds entirely."})
    assert f"A decision has already been recorded for {reviewed.reference}." in response.get_data(as_text=True)


def test_award_path(client, sign_in, session, reviewed, manager, outbox):
    sign_in(client, manager)
    response = client.post(
        _url(reviewed),
        data={
            "outcome": "award",
            "reason": "Ranked first, within the envelope.",
            "amount": "110000.00",
            "start_date": "2027-01-01",
            "end_date": "2028-06-30",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    grant = session.scalar(select(Grant).where(Grant.proposal_id == reviewed.id))
    assert response.location.endswith(f"/grants/{grant.id}")
    assert grant.amount == Decimal("110000.00")
    assert (grant.start_date, grant.end_date) == (dt.date(2027, 1, 1), dt.date(2028, 6, 30))
    assert reviewed.status == ProposalStatus.AWARDED
    assert reviewed.decision.outcome == "award" and reviewed.decision.final_score == Decimal("35.00")
    (recorded,) = _actions(session, "decision.recorded")
    assert recorded.after["grant_id"] == grant.id and recorded.after["amount"] == "110000.00"
    contact = reviewed.organisation.memberships[0].user
    mails = [m for m in outbox if m.to == contact.email and reviewed.reference in m.subject]
    assert len(mails) == 1
    assert "is awarded a grant" in mails[0].text and "€110,000.00" in mails[0].text
    assert grant.agreement_number in mails[0].text


def test_award_form_rules(client, sign_in, session, reviewed, manager, outbox):
    sign_in(client, manager)

    def post(**data):
        base = {"outcome": "award", "reason": "Ranked first, within the envelope.", "amount": "100000.00"}
        base.update({"start_date": "2027-01-01", "end_date": "2027-12-31"})
        base.update(data)
        return client.post(_url(reviewed), data=base).get_data(as_text=True)

    assert "The amount may not exceed the call&#39;s maximum grant of €200,000.00." in post(amount="200000.01")
    assert "The amount must be greater than zero." in post(amount="0")
    assert "Enter the amount to award." in post(amount="")
    assert "Enter the start date." in post(start_date="")
    assert "The end date must be after the start date." in post(end_date="2026-12-31")
    assert "Give the reason for the decision in at least 10 characters." in post(reason="Too short")
    assert "Choose whether to award or reject the proposal." in post(outcome="")
    session.expire_all()
    assert reviewed.status == ProposalStatus.UNDER_REVIEW and reviewed.decision is None
    assert outbox == []


def test_decision_refused_with_too_few_reviews(client, sign_in, session, proposal, review, manager):
    review(proposal, ALL_FOURS)
    proposal.status = ProposalStatus.UNDER_REVIEW
    session.commit()
    sign_in(client, manager)
    message = f"{proposal.reference} has 1 submitted review; 2 are needed before a decision."
    assert message in client.get(_url(proposal)).get_data(as_text=True)
    response = client.post(_url(proposal), data={"outcome": "reject", "reason": "Not good enough for us."})
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert proposal.status == ProposalStatus.UNDER_REVIEW and proposal.decision is None


def test_decision_refused_when_not_under_review(rq, session, proposal, review, manager):
    review(proposal, ALL_FOURS)
    review(proposal, ALL_THREES)  # reviews exist, but the proposal is still only "submitted"
    with pytest.raises(operations.EvaluationError) as exc:
        operations.decide_proposal(proposal, outcome="reject", reason="Not good enough for us.", by=manager)
    assert (
        str(exc.value.message) == f"Only a proposal under review can be decided; {proposal.reference} is “Submitted”."
    )


def test_decision_page_access(client, sign_in, reviewed, evaluator, make_user):
    url = _url(reviewed)
    assert client.get(url).status_code == 302
    for user in (evaluator, make_user("applicant")):
        sign_in(client, user)
        assert client.get(url).status_code == 403
        assert client.post(url, data={"outcome": "reject", "reason": "Not good enough for us."}).status_code == 403
    sign_in(client, make_user("admin"))
    assert client.get(url).status_code == 200
    assert client.get("/manage/proposals/999999/decision").status_code == 404
