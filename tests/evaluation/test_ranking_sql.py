"""The SQL ranking: final score from the consensus, thresholds per section, criterion and total, the stated
tie-breakers, the budget line, and a constant number of queries for 3 and for 30 proposals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import event

from portal.evaluation import moderation
from portal.evaluation import ranking as ranking_module
from portal.evaluation.queries import ranking
from portal.extensions import db
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES


def _proposal(call, make_proposal, session, amount="100000.00", days_ago=1):
    p = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, requested_amount=Decimal(amount))
    p.submitted_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    session.commit()
    return p


def test_criterion_threshold_fails_a_proposal_that_passes_sections_and_total(session, call, make_proposal, review):
    criterion = call.stages[0].criteria[2]  # 1.3, weight 1
    criterion.min_score = Decimal(3)
    session.commit()
    p = _proposal(call, make_proposal, session)
    review(p, {"1.1": 5, "1.2": 5, "1.3": 2, "1.4": 5, "2.1": 5, "2.2": 5})  # 47, relevance 27
    (row,) = ranking(call)
    assert row.passes_total and row.passes_sections
    assert [c.criterion.code for c in row.failing_criteria] == ["1.3"]
    assert not row.passes_criteria and not row.passes
    assert row.cumulative_amount is None


def test_total_threshold_and_section_threshold(session, call, make_proposal, review):
    low_total = _proposal(call, make_proposal, session)
    review(low_total, {"1.1": 3, "1.2": 3, "1.3": 3, "1.4": 3, "2.1": 2, "2.2": 2})  # relevance 18, total 26
    low_section = _proposal(call, make_proposal, session)
    review(low_section, {"1.1": 2, "1.2": 2, "1.3": 2, "1.4": 1, "2.1": 5, "2.2": 5})  # relevance 11, total 31
    rows = {r.proposal.id: r for r in ranking(call)}
    assert rows[low_total.id].passes_sections and not rows[low_total.id].passes_total
    assert rows[low_section.id].passes_total and not rows[low_section.id].sections[0].passes
    assert not rows[low_total.id].passes and not rows[low_section.id].passes


def test_consensus_decides_the_thresholds_and_the_order(session, rq, call, make_proposal, review, manager):
    stage = call.stages[0]
    moderated = _proposal(call, make_proposal, session)
    review(moderated, ALL_FOURS)  # 40
    review(moderated, ALL_FOURS)
    other = _proposal(call, make_proposal, session)
    review(other, ALL_THREES)  # 30
    review(other, ALL_THREES)
    assert [r.proposal.id for r in ranking(call)] == [moderated.id, other.id]
    # The consensus brings the first one down to 2s: total 20, below both thresholds, ranked last.
    scores = {c.id: (Decimal(2), "Consensus comment on this.") for c in stage.criteria}
    moderation.record_consensus(moderated, stage, scores, justification="Panel agreed the plan is weak.", by=manager)
    session.commit()
    rows = ranking(call)
    assert [r.proposal.id for r in rows] == [other.id, moderated.id]
    assert rows[1].final_total == Decimal(20) and rows[1].mean_total == Decimal("40.00") and not rows[1].passes


def test_tie_breakers_first_section_then_first_criterion_then_earlier_submission(session, call, make_proposal, review):
    # All four total 36 with relevance 24; 1.1 differs between the first two.
    higher_11 = _proposal(call, make_proposal, session, days_ago=1)
    review(higher_11, {"1.1": 5, "1.2": 3, "1.3": 4, "1.4": 4, "2.1": 3, "2.2": 3})  # 10+6+4+4=24, 12 → 36
    lower_11 = _proposal(call, make_proposal, session, days_ago=9)
    review(lower_11, {"1.1": 3, "1.2": 5, "1.3": 4, "1.4": 4, "2.1": 3, "2.2": 3})  # 6+10+4+4=24 → 36
    later = _proposal(call, make_proposal, session, days_ago=1)
    review(later, {"1.1": 4, "1.2": 4, "1.3": 4, "1.4": 4, "2.1": 3, "2.2": 3})  # 24 → 36, 1.1 = 4
    earlier = _proposal(call, make_proposal, session, days_ago=2)
    review(earlier, {"1.1": 4, "1.2": 4, "1.3": 4, "1.4": 4, "2.1": 3, "2.2": 3})
    lower_relevance = _proposal(call, make_proposal, session, days_ago=30)
    review(lower_relevance, {"1.1": 3, "1.2": 3, "1.3": 4, "1.4": 4, "2.1": 4, "2.2": 4})  # 20 + 16 = 36
    rows = ranking(call)
    assert {r.final_total for r in rows} == {Decimal("36.00")}
    assert [r.proposal.id for r in rows] == [higher_11.id, earlier.id, later.id, lower_11.id, lower_relevance.id]


def test_budget_line_counts_only_passing_proposals(session, call, make_proposal, review):
    # Envelope 300,000.
    first = _proposal(call, make_proposal, session, amount="200000.00")
    review(first, ALL_FOURS)
    failing = _proposal(call, make_proposal, session, amount="90000.00")
    review(failing, {"1.1": 1, "1.2": 1, "1.3": 1, "1.4": 1, "2.1": 5, "2.2": 5})
    second = _proposal(call, make_proposal, session, amount="100000.00")
    review(second, ALL_THREES)
    third = _proposal(call, make_proposal, session, amount="50000.00")
    review(third, {"1.1": 3, "1.2": 3, "1.3": 3, "1.4": 3, "2.1": 3, "2.2": 2})  # 28: below the total
    rows = {r.proposal.id: r for r in ranking(call)}
    assert rows[first.id].cumulative_amount == Decimal("200000.00") and rows[first.id].within_envelope
    assert rows[failing.id].cumulative_amount is None
    assert rows[second.id].cumulative_amount == Decimal("300000.00") and rows[second.id].within_envelope
    assert rows[third.id].cumulative_amount is None


def test_not_enough_reviews_is_flagged(session, call, make_proposal, review):
    p = _proposal(call, make_proposal, session)
    review(p, ALL_FOURS)
    (row,) = ranking(call)
    assert (row.reviews_submitted, row.reviews_required, row.reviews_complete) == (1, 2, False)


def _count_statements(fn) -> int:
    count = 0

    def listener(*args, **kwargs):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return count


def _call_with(n, make_call, make_proposal, review, manager):
    call = make_call()
    stage = call.stages[0]
    for i in range(n):
        p = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
        review(p, ALL_FOURS)
        review(p, ALL_THREES if i % 2 else {"1.1": 1, "1.2": 1, "1.3": 1, "1.4": 1, "2.1": 1, "2.2": 1})
        if i % 3 == 0:
            scores = {c.id: (Decimal(3), "Consensus comment here.") for c in stage.criteria}
            moderation.record_consensus(p, stage, scores, justification="Agreed by the moderators.", by=manager)
    db.session.commit()
    return call


def test_ranking_page_issues_the_same_number_of_queries_for_3_and_30_proposals(
    client, sign_in, session, rq, make_call, make_proposal, review, manager
):
    small = _call_with(3, make_call, make_proposal, review, manager)
    large = _call_with(30, make_call, make_proposal, review, manager)
    sign_in(client, manager)
    client.get(f"/manage/calls/{small.id}/ranking")  # warm up
    client.get(f"/manage/calls/{large.id}/ranking")  # (both rankings now shared between requests)

    def get(call):
        session.expire_all()
        response = client.get(f"/manage/calls/{call.id}/ranking")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('id="rank-') == (3 if call is small else 30)

    assert _count_statements(lambda: get(small)) == _count_statements(lambda: get(large))
    ranking_module._shared.clear()  # and computed afresh, as after a new review
    small_count = _count_statements(lambda: get(small))
    ranking_module._shared.clear()
    assert small_count == _count_statements(lambda: get(large))
