"""The committee: awards in rank order within the envelope, the reserve list, rejections, each with a reason; the
manager's adjustments; reserve to award when money frees up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import committee
from portal.evaluation.models import Decision
from portal.grants.models import Grant
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES

PASSING_36 = {"1.1": 4, "1.2": 4, "1.3": 4, "1.4": 4, "2.1": 3, "2.2": 3}
FAILING = {"1.1": 1, "1.2": 1, "1.3": 1, "1.4": 1, "2.1": 5, "2.2": 5}
COMMON = "Decided by the evaluation committee on 3 December."


@pytest.fixture
def ranked(call, make_proposal, review, session):
    """Envelope 300,000: A 150k (40), B 120k (36), C 100k (30), D 50k (failing)."""
    made = []
    for amount, scores in (
        ("150000.00", ALL_FOURS),
        ("120000.00", PASSING_36),
        ("100000.00", ALL_THREES),
        ("50000.00", FAILING),
    ):
        p = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, requested_amount=Decimal(amount))
        review(p, scores)
        review(p, scores)
        made.append(p)
    return made


def _actions(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_proposal_awards_within_the_envelope_then_reserve_then_reject(session, rq, call, ranked):
    lines = committee.committee_lines(call, call.stages[0])
    assert [line.row.proposal.id for line in lines] == [p.id for p in ranked]
    assert [line.proposed for line in lines] == ["award", "award", "reserve", "reject"]
    assert lines[1].cumulative == Decimal("270000.00")


def test_confirm_with_a_common_reason(session, rq, call, ranked, manager, outbox):
    a, b, c, d = ranked
    decisions = committee.decide_committee(
        call, call.stages[0], outcomes={}, reasons={}, common_reason=COMMON, by=manager
    )
    session.commit()
    assert [dec.outcome for dec in decisions] == ["award", "award", "reserve", "reject"]
    assert [p.status for p in ranked] == ["awarded", "awarded", "reserve", "rejected"]
    assert a.grant.amount == Decimal("150000.00") and b.grant.amount == Decimal("120000.00")
    assert c.grant is None and c.decision.outcome == "reserve" and c.decision.reason == COMMON
    assert c.decision.final_score == Decimal("30.00")
    assert _actions(session, "committee.confirmed")[0].after["decisions"] == {
        a.reference: "award",
        b.reference: "award",
        c.reference: "reserve",
        d.reference: "reject",
    }
    reserve_mail = next(m for m in outbox if c.reference in m.subject)
    assert "is on the reserve list" in reserve_mail.subject and "reserve list" in reserve_mail.text
    assert COMMON in reserve_mail.text


def test_manager_adjusts_outcomes_with_own_reasons(session, rq, call, ranked, manager):
    _a, b, c, _d = ranked
    committee.decide_committee(
        call,
        call.stages[0],
        outcomes={b.id: "reserve", c.id: "reject"},
        reasons={c.id: "Overlaps with an awarded action in Mali."},
        common_reason=COMMON,
        by=manager,
    )
    session.commit()
    assert [p.status for p in ranked] == ["awarded", "reserve", "rejected", "rejected"]
    assert c.decision.reason == "Overlaps with an awarded action in Mali." and b.decision.reason == COMMON


def test_refusals_name_the_proposals(session, rq, call, ranked, manager):
    a, _b, c, d = ranked
    with pytest.raises(committee.CommitteeError) as caught:
        committee.decide_committee(
            call, call.stages[0], outcomes={d.id: "award"}, reasons={}, common_reason="short", by=manager
        )
    problems = {pid: str(m) for pid, m in caught.value.problems.items()}
    assert problems[d.id] == f"{d.reference} is below a threshold: it can only be rejected."
    assert problems[a.id] == f"{a.reference}: give a reason of at least 10 characters, or a common reason."
    with pytest.raises(committee.CommitteeError) as caught:
        committee.decide_committee(
            call, call.stages[0], outcomes={c.id: "award"}, reasons={}, common_reason=COMMON, by=manager
        )
    assert "more than the budget envelope" in str(caught.value.problems[0])
    session.rollback()
    assert session.scalar(select(Decision.id).limit(1)) is None


def test_reserve_is_awarded_when_money_frees_up(session, rq, call, ranked, manager, outbox):
    _a, _b, c, d = ranked
    committee.decide_committee(call, call.stages[0], outcomes={}, reasons={}, common_reason=COMMON, by=manager)
    session.commit()
    outbox.clear()
    with pytest.raises(committee.EvaluationError, match="at least 10 characters"):
        committee.award_from_reserve(c, reason="money", by=manager)
    with pytest.raises(committee.EvaluationError, match="reserve list"):
        committee.award_from_reserve(d, reason="Funds freed by a withdrawal.", by=manager)
    committee.award_from_reserve(c, reason="Funds freed by a withdrawal.", by=manager)
    session.commit()
    assert c.status == "awarded" and c.decision.outcome == "award"
    assert session.scalar(select(Grant).where(Grant.proposal_id == c.id)).amount == Decimal("100000.00")
    (entry,) = _actions(session, "decision.reserve_awarded")
    assert entry.before["outcome"] == "reserve" and entry.after["outcome"] == "award"
    assert any("is awarded a grant" in m.subject for m in outbox)


def test_committee_page_proposes_and_confirms(client, sign_in, session, call, ranked, manager):
    a, b, c, d = ranked
    sign_in(client, manager)
    url = f"/manage/calls/{call.id}/committee?stage_id={call.stages[0].id}"
    html = client.get(url).get_data(as_text=True)
    assert f'name="outcome_{a.id}" value="award" checked' in html
    assert f'name="outcome_{c.id}" value="reserve" checked' in html
    assert f'name="outcome_{d.id}" value="reject" checked' in html
    data = {f"outcome_{p.id}": o for p, o in zip(ranked, ("award", "award", "reserve", "reject"), strict=True)}
    data[f"reason_{b.id}"] = "Strong consortium and clear budget."
    bad = client.post(url, data={**data, "common_reason": ""})
    text = bad.get_data(as_text=True)
    assert f"{a.reference}: give a reason of at least 10 characters, or a common reason." in text
    assert "Strong consortium and clear budget." in text  # what was typed is kept
    done = client.post(url, data={**data, "common_reason": COMMON})
    assert done.status_code == 302
    session.expire_all()
    assert [p.status for p in ranked] == ["awarded", "awarded", "reserve", "rejected"]
    html = client.get(url).get_data(as_text=True)
    assert "Award from the reserve list" in html
    awarded = client.post(f"/manage/proposals/{c.id}/reserve-award", data={"reason": "Funds freed by a withdrawal."})
    assert awarded.status_code == 302
    session.expire_all()
    assert c.status == "awarded"


def test_committee_page_is_for_managers_only(client, sign_in, session, call, ranked, evaluator, make_user):
    url = f"/manage/calls/{call.id}/committee"
    for user in (evaluator, make_user("applicant"), ranked[0].created_by):
        sign_in(client, user)
        assert client.get(url).status_code == 403
        assert (
            client.post(f"/manage/proposals/{ranked[0].id}/reserve-award", data={"reason": "x" * 20}).status_code == 403
        )


def test_recommend_first_then_confirm(client, sign_in, session, call, ranked, manager, outbox):
    a, b, _c, _d = ranked
    sign_in(client, manager)
    url = f"/manage/calls/{call.id}/committee?stage_id={call.stages[0].id}"
    response = client.post(url, data={"common_reason": COMMON, "recommend": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert [p.status for p in ranked] == ["recommended", "recommended", "under_review", "under_review"]
    assert outbox == [] and a.decision is None
    assert _actions(session, "committee.recommended")[0].after["recommended"] == [a.reference, b.reference]
    html = client.get(url).get_data(as_text=True)
    assert f'name="outcome_{a.id}" value="award" checked' in html  # still to confirm
    done = client.post(url, data={"common_reason": COMMON, "confirm": "1"})
    assert done.status_code == 302
    session.expire_all()
    assert [p.status for p in ranked] == ["awarded", "awarded", "reserve", "rejected"]


def test_reserve_email_in_french(session, rq, call, ranked, manager, outbox):
    c = ranked[2]
    contact = c.organisation.memberships[0].user
    contact.locale = "fr"
    session.commit()
    committee.decide_committee(call, call.stages[0], outcomes={}, reasons={}, common_reason=COMMON, by=manager)
    session.commit()  # mail goes out once the decisions are committed
    message = next(m for m in outbox if m.to == contact.email)
    assert message.subject == f"Votre proposition {c.reference} est inscrite sur la liste de réserve"
    assert "liste de réserve\u202f: elle pourra encore recevoir une subvention" in message.text


def test_committee_page_says_what_must_happen_before_confirming(
    client, sign_in, session, call, ranked, manager, make_proposal, review
):
    split = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
    review(split, {"1.1": 5, "1.2": 5, "1.3": 5, "1.4": 5, "2.1": 5, "2.2": 5})
    review(split, ALL_THREES)
    sign_in(client, manager)
    html = client.get(f"/manage/calls/{call.id}/committee").get_data(as_text=True)
    assert "Before the decisions can be confirmed:" in html
    assert f"{split.reference}: the evaluators" in html and "record a consensus first." in html
    assert f"/manage/proposals/{split.id}/moderation" in html
