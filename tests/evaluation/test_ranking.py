"""The ranking: the arithmetic on known scores, thresholds, order, the envelope, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import g
from sqlalchemy import event

from portal.evaluation import ranking as ranking_module
from portal.evaluation.queries import ranking
from portal.extensions import db
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES

# Relevance 2+2 ×2 and 2+1 → 4+4+2+1 = 11 (below 12); design 5, 5 ×2 → 20; total 31 (above 30).
WEAK_RELEVANCE = {"1.1": 2, "1.2": 2, "1.3": 2, "1.4": 1, "2.1": 5, "2.2": 5}
# Relevance 12 exactly; design 20; total 32.
RELEVANCE_12 = {"1.1": 2, "1.2": 2, "1.3": 2, "1.4": 2, "2.1": 5, "2.2": 5}


def test_two_evaluators_40_and_30_give_mean_35_and_pass(session, call, proposal, review):
    review(proposal, ALL_FOURS)
    review(proposal, ALL_THREES)
    (row,) = ranking(call)
    assert row.proposal.id == proposal.id
    assert sorted(e.total for e in row.evaluator_totals) == [Decimal(30), Decimal(40)]
    assert row.mean_total == Decimal("35.00")
    assert [(s.section.code, s.mean, s.passes) for s in row.sections] == [
        ("1", Decimal("21.00"), True),
        ("2", Decimal("14.00"), True),
    ]
    assert row.passes_total and row.passes
    assert (row.reviews_submitted, row.reviews_required, row.reviews_complete) == (2, 2, True)
    assert row.rank == 1
    assert row.cumulative_amount == proposal.requested_amount and row.within_envelope


def test_relevance_below_threshold_fails_even_with_a_passing_total(session, call, proposal, review):
    review(proposal, WEAK_RELEVANCE)
    review(proposal, RELEVANCE_12)
    (row,) = ranking(call)
    assert row.mean_total == Decimal("31.50")
    assert row.sections[0].mean == Decimal("11.50")
    assert row.passes_total is True
    assert row.sections[0].passes is False
    assert row.passes is False
    assert row.cumulative_amount is None and not row.within_envelope


def test_mean_is_quantized_to_the_hundredth(session, call, proposal, review):
    review(proposal, ALL_FOURS)  # 40
    review(proposal, ALL_THREES)  # 30
    review(proposal, {"1.1": 5, "1.2": 5, "1.3": 5, "1.4": 5, "2.1": 5, "2.2": 4})  # 48
    (row,) = ranking(call)
    assert row.mean_total == Decimal("39.33")  # 118 / 3
    assert row.reviews_submitted == 3


def test_order_tie_breakers_and_envelope(session, call, make_proposal, review, make_assignment):
    now = dt.datetime.now(dt.UTC)

    def submitted(amount, days_ago):
        p = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, requested_amount=Decimal(amount))
        p.submitted_at = now - dt.timedelta(days=days_ago)
        session.commit()
        return p

    # Same total 36, different relevance: 1.x all 4 → 24 + design 12 = 36, vs relevance 20 + design 16 = 36.
    high_relevance = submitted("150000.00", 1)
    review(high_relevance, {"1.1": 4, "1.2": 4, "1.3": 4, "1.4": 4, "2.1": 3, "2.2": 3})
    low_relevance = submitted("100000.00", 5)
    review(low_relevance, {"1.1": 3, "1.2": 3, "1.3": 4, "1.4": 4, "2.1": 4, "2.2": 4})
    # Identical scores: the earlier submission goes first.
    later = submitted("120000.00", 1)
    review(later, ALL_THREES)
    earlier = submitted("90000.00", 3)
    review(earlier, ALL_THREES)
    best = submitted("60000.00", 0)
    review(best, ALL_FOURS)
    failing = submitted("50000.00", 0)
    review(failing, WEAK_RELEVANCE)
    not_submitted = submitted("50000.00", 0)
    make_assignment(not_submitted, status="in_progress", scores={"1.1": 5})

    rows = ranking(call)
    order = [r.proposal.id for r in rows]
    assert order == [best.id, high_relevance.id, low_relevance.id, failing.id, earlier.id, later.id]
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5, 6]
    assert not_submitted.id not in order
    # Envelope 300,000: 60k + 150k = 210k fits; +100k = 310k does not. The failing one is not counted.
    by_id = {r.proposal.id: r for r in rows}
    assert by_id[best.id].cumulative_amount == Decimal("60000.00") and by_id[best.id].within_envelope
    assert by_id[high_relevance.id].cumulative_amount == Decimal("210000.00")
    assert by_id[high_relevance.id].within_envelope
    assert by_id[low_relevance.id].cumulative_amount == Decimal("310000.00")
    assert not by_id[low_relevance.id].within_envelope
    assert by_id[failing.id].cumulative_amount is None
    assert by_id[earlier.id].cumulative_amount == Decimal("400000.00")


def test_ranking_page(client, sign_in, session, call, proposal, review, manager, make_user):
    review(proposal, ALL_FOURS, evaluator=make_user("evaluator", full_name="Ines Evaluator"))
    review(proposal, ALL_THREES, evaluator=make_user("evaluator", full_name="Omar Evaluator"))
    proposal.status = ProposalStatus.UNDER_REVIEW
    session.commit()
    sign_in(client, manager)
    html = client.get(f"/manage/calls/{call.id}/ranking").get_data(as_text=True)
    assert proposal.reference in html and proposal.organisation.name in html and proposal.title in html
    assert "Ines Evaluator: 40" in html and "Omar Evaluator: 30" in html
    assert "<strong>35.00</strong>" in html
    assert "Pass" in html and "Passes every threshold" in html
    assert "2 / 2" in html
    assert "then by the earlier submission" in html and "Relevance of the action" in html
    assert f"/manage/proposals/{proposal.id}/decision" in html
    assert "Within envelope" in html


def test_ranking_page_access(client, sign_in, call, evaluator, make_user):
    url = f"/manage/calls/{call.id}/ranking"
    assert client.get(url).status_code == 302
    for user in (evaluator, make_user("applicant")):
        sign_in(client, user)
        assert client.get(url).status_code == 403
    sign_in(client, make_user("admin"))
    assert client.get(url).status_code == 200
    assert client.get("/manage/calls/999999/ranking").status_code == 404


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def _statements(fn) -> int:
    counter = _Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def _call_with(n, make_call, make_proposal, review):
    call = make_call()
    for i in range(n):
        p = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
        review(p, ALL_FOURS)
        review(p, ALL_THREES if i % 2 else ALL_FOURS)
    return call


def test_ranking_query_count_does_not_grow_with_proposals(session, make_call, make_proposal, review):
    small = _call_with(2, make_call, make_proposal, review)
    large = _call_with(6, make_call, make_proposal, review)

    def run(call):
        session.expire_all()
        rows = ranking(call)
        # Touch everything the page shows.
        for row in rows:
            _ = (row.proposal.organisation.name, row.proposal.decision, row.proposal.grant)
            _ = [(e.evaluator.display_name, e.total) for e in row.evaluator_totals]
            _ = [(s.section.max_score, s.passes) for s in row.sections]
        return rows

    assert len(run(small)) == 2 and len(run(large)) == 6
    assert _statements(lambda: run(small)) == _statements(lambda: run(large))


def test_ranking_page_query_count_does_not_grow_with_proposals(
    client, sign_in, session, make_call, make_proposal, review, manager
):
    small = _call_with(2, make_call, make_proposal, review)
    large = _call_with(6, make_call, make_proposal, review)
    sign_in(client, manager)

    def get(call, shared_ranking: bool):
        session.expire_all()
        if not shared_ranking:
            ranking_module._shared.clear()  # computed afresh, as after a new review
        assert client.get(f"/manage/calls/{call.id}/ranking").status_code == 200

    for computed in (False, True):  # the first time, then from the ranking shared between requests
        get(small, computed), get(large, computed)  # warm up (user loading, caches)
        assert _statements(lambda: get(small, computed)) == _statements(lambda: get(large, computed))  # noqa: B023


def test_ranking_page_shows_where_the_envelope_runs_out_and_speaks_french(
    client, sign_in, session, call, make_proposal, review, manager
):
    first = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, requested_amount=Decimal("200000.00"))
    review(first, ALL_FOURS)
    second = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, requested_amount=Decimal("150000.00"))
    review(second, ALL_THREES)
    sign_in(client, manager)
    html = client.get(f"/manage/calls/{call.id}/ranking").get_data(as_text=True)
    line = "The budget envelope of €300,000.00 runs out here: the passing proposals below do not fit in it."
    assert line in html
    assert html.index(f'id="rank-{first.id}"') < html.index(line) < html.index(f'id="rank-{second.id}"')
    assert "Beyond envelope" in html

    client.post("/language/fr", data={"next": "/"})
    g.pop("_flask_babel", None)  # the test's app context (and Flask-Babel's cached locale) outlives each request
    french = client.get(f"/manage/calls/{call.id}/ranking")
    assert french.status_code == 200
    assert "40,00" in french.get_data(as_text=True)


def test_ranking_rows_are_shared_while_the_database_is_unchanged_and_rendered_again_after_a_write(
    client, sign_in, session, call, make_proposal, review, manager, monkeypatch
):
    """The page's rows are kept per page and language under the database's write position (core/datacache.py, whose
    soundness tests/core/test_datacache.py proves on PostgreSQL). The tests' transaction always holds writes, so the
    position is simulated here: unchanged, then moved by a write."""
    from portal.core import datacache
    from portal.evaluation import routes as evaluation_routes

    datacache.clear()
    proposal = make_proposal(call, status=ProposalStatus.UNDER_REVIEW, title="Mobility of researchers")
    review(proposal, ALL_FOURS)
    sign_in(client, manager)
    position = {"now": "0/1000"}
    monkeypatch.setattr(datacache, "write_position", lambda: position["now"])
    rendered = []
    real_ranking_page = evaluation_routes.ranking_page
    monkeypatch.setattr(
        evaluation_routes, "ranking_page", lambda *a, **k: rendered.append(a[2:]) or real_ranking_page(*a, **k)
    )
    url = f"/manage/calls/{call.id}/ranking"
    assert "Mobility of researchers" in client.get(url).get_data(as_text=True)
    assert "Mobility of researchers" in client.get(url).get_data(as_text=True)
    assert len(rendered) == 1  # the second request showed the rows rendered by the first
    client.get(url + "?page=1")
    assert len(rendered) == 2  # another page (or language) is rendered on its own

    session.get(type(proposal), proposal.id).title = "Mobility of young researchers"
    session.commit()
    position["now"] = "0/2000"  # what the write did to the write position
    assert "Mobility of young researchers" in client.get(url).get_data(as_text=True)
    assert len(rendered) == 3
    datacache.clear()
