"""award_grant fills the grant's terms: co-financing, award date, dialogues and domains, shares per country and per
organisation (from the budget when there is one), the default payment schedule and reporting milestones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from portal.calls.models import Dialogue
from portal.core.db import utcnow
from portal.evaluation.models import Decision
from portal.extensions import db
from portal.grants import schedule
from portal.grants.operations import award_grant
from portal.proposals.models import BudgetLine, ProposalCountry, ProposalStatus
from tests.grants.conftest import AMOUNT, END, START


def _award(c, **kw):
    args = {"amount": AMOUNT, "start_date": START, "end_date": END, "by": c.manager} | kw
    return award_grant(c.proposal, **args)


def test_cofinancing_dialogues_domains_and_award_date(session, consortium):
    consortium.proposal.total_budget = Decimal("180000.00")
    consortium.proposal.requested_amount = Decimal("150000.00")
    session.flush()
    grant = _award(consortium, awarded_on=dt.date(2026, 11, 20))
    assert grant.cofinancing == Decimal("30000.00")
    assert grant.awarded_on == dt.date(2026, 11, 20)
    # The proposal names no dialogue: the call's are taken; the domain is the proposal's.
    assert [d.id for d in grant.dialogues] == [d.id for d in consortium.call.dialogues]
    assert len(grant.dialogues) == 2
    assert [d.number for d in grant.domains] == [1]


def test_the_proposal_dialogues_win_and_cofinancing_is_zero_without_a_budget(session, consortium):
    c2c = session.scalar(db.select(Dialogue).where(Dialogue.code == "c2cmmd"))
    consortium.proposal.dialogues = [c2c]
    consortium.proposal.total_budget = None
    session.flush()
    grant = _award(consortium)
    assert [d.code for d in grant.dialogues] == ["c2cmmd"]
    assert grant.cofinancing == Decimal("0.00")


def test_award_date_is_the_decision_day_in_the_call_time_zone(session, consortium):
    # 23:30 UTC on 30 June is already 1 July in Brussels.
    session.add(
        Decision(
            proposal=consortium.proposal,
            outcome="award",
            reason="Ranked first, well above both thresholds.",
            decided_by_id=consortium.manager.id,
            decided_at=dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC),
        )
    )
    session.flush()
    assert _award(consortium).awarded_on == dt.date(2026, 7, 1)


def test_award_date_defaults_to_today_without_a_decision(session, consortium):
    assert _award(consortium).awarded_on == utcnow().astimezone(ZoneInfo("Europe/Brussels")).date()


def test_country_shares_come_from_the_proposal_when_it_gives_them_all(session, consortium):
    consortium.proposal.country_rows = [
        ProposalCountry(country_code="SN", share_pct=Decimal("50")),
        ProposalCountry(country_code="ML", share_pct=Decimal("30")),
        ProposalCountry(country_code="NE", share_pct=Decimal("20")),
    ]
    session.flush()
    grant = _award(consortium)
    assert {r.country_code: r.share_pct for r in grant.country_rows} == {
        "SN": Decimal("50.00"),
        "ML": Decimal("30.00"),
        "NE": Decimal("20.00"),
    }


def test_incomplete_country_shares_fall_back_to_equal_shares(session, consortium):
    consortium.proposal.country_rows = [
        ProposalCountry(country_code="SN", share_pct=Decimal("50")),
        ProposalCountry(country_code="ML"),
    ]
    session.flush()
    grant = _award(consortium)
    assert {r.country_code: r.share_pct for r in grant.country_rows} == {"ML": Decimal("50.00"), "SN": Decimal("50.00")}


def test_partner_shares_follow_the_budget_per_partner(session, consortium):
    """Lead lines 90,000, co-applicant lines 60,000: of a 120,000 grant the co-applicant gets 60/150 = 48,000,
    whatever the consortium page said (40,000)."""
    co = next(p for p in consortium.proposal.partners if p.role == "co_applicant")
    consortium.proposal.budget_lines = [
        BudgetLine(category="human_resources", description="Staff", quantity=Decimal(1), unit_cost=Decimal("90000")),
        BudgetLine(
            partner=co, category="travel", description="Missions", quantity=Decimal(3), unit_cost=Decimal("20000")
        ),
    ]
    session.flush()
    grant = _award(consortium, amount=Decimal("120000.00"))
    shares = {r.organisation_id: (r.role, r.budget_share) for r in grant.organisations}
    assert shares[consortium.co_org.id] == ("co_beneficiary", Decimal("48000.00"))
    assert shares[consortium.lead.id] == ("lead", Decimal("72000.00"))
    assert shares[consortium.assoc_org.id] == ("associated", None)


def test_budget_shares_round_down_so_the_lead_never_goes_negative(session, consortium):
    co = next(p for p in consortium.proposal.partners if p.role == "co_applicant")
    consortium.proposal.budget_lines = [
        BudgetLine(partner=co, category="travel", description="All", quantity=Decimal(3), unit_cost=Decimal("1")),
    ]
    session.flush()
    grant = _award(consortium, amount=Decimal("100.01"), start_date=START, end_date=dt.date(2027, 6, 30))
    shares = {r.organisation_id: r.budget_share for r in grant.organisations if r.budget_share is not None}
    assert shares == {consortium.co_org.id: Decimal("100.01"), consortium.lead.id: Decimal("0.00")}


def test_a_large_action_gets_yearly_tranches_and_yearly_reports(session, consortium):
    """150,000 over 18 months: interim reports after the first year, final ones 60 days after the end; 90 % of
    pre-financing spread over the two years by their months (12 and 6), the balance after the final reports."""
    grant = _award(consortium)
    reports = [(r.period, r.type, r.due_date, r.status) for r in grant.reports]
    assert reports == [
        ("interim", "narrative", dt.date(2028, 2, 29), "due"),
        ("interim", "financial", dt.date(2028, 2, 29), "due"),
        ("final", "narrative", dt.date(2028, 8, 29), "due"),
        ("final", "financial", dt.date(2028, 8, 29), "due"),
    ]
    tranches = [(t.number, t.kind, t.planned_date, t.planned_amount) for t in grant.tranches]
    assert tranches == [
        (1, "pre_financing", dt.date(2027, 1, 1), Decimal("90000.00")),
        (2, "further_pre_financing", dt.date(2028, 3, 30), Decimal("45000.00")),
        (3, "balance", dt.date(2028, 9, 28), Decimal("15000.00")),
    ]
    assert grant.tranches[1].requires_report.period == "interim"
    assert grant.tranches[2].requires_report.period == "final"
    assert sum(t.planned_amount for t in grant.tranches) == grant.amount


def test_a_short_action_gets_eighty_percent_then_the_balance(session, consortium):
    grant = _award(consortium, start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31))
    assert [(r.period, r.due_date) for r in grant.reports] == [
        ("final", dt.date(2028, 2, 29)),
        ("final", dt.date(2028, 2, 29)),
    ]
    assert [(t.kind, t.planned_date, t.planned_amount) for t in grant.tranches] == [
        ("pre_financing", dt.date(2027, 1, 1), Decimal("120000.00")),
        ("balance", dt.date(2028, 3, 30), Decimal("30000.00")),
    ]


def test_a_small_amount_over_two_years_is_a_small_action(session, consortium, make_proposal):
    proposal = make_proposal(consortium.call, status=ProposalStatus.UNDER_REVIEW)
    grant = award_grant(
        proposal, amount=Decimal("99999.99"), start_date=START, end_date=dt.date(2028, 12, 31), by=consortium.manager
    )
    assert [t.kind for t in grant.tranches] == ["pre_financing", "balance"]
    assert grant.tranches[0].planned_amount == Decimal("79999.99")
    # Yearly reporting still applies: an interim pair after the first year; the second ends with the final pair.
    assert [r.period for r in grant.reports] == ["interim", "interim", "final", "final"]


def test_three_years_never_exceed_ninety_percent_of_pre_financing():
    start, end = dt.date(2025, 9, 1), dt.date(2028, 2, 29)
    reports = schedule.default_reports(start, end)
    tranches = schedule.default_tranches(Decimal("333333.33"), start, end, reports)
    pre = sum(t.planned_amount for t in tranches if t.kind != "balance")
    assert pre <= Decimal("333333.33") * Decimal("0.9")
    assert sum(t.planned_amount for t in tranches) == Decimal("333333.33")
    assert [t.kind for t in tranches] == ["pre_financing", "further_pre_financing", "further_pre_financing", "balance"]
    # 30 months: 12, 12 and 6.
    assert [t.planned_amount for t in tranches[:3]] == [Decimal("119999.99"), Decimal("119999.99"), Decimal("60000.01")]


def test_add_months_clamps_to_the_end_of_the_month():
    assert schedule.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert schedule.add_months(dt.date(2027, 11, 15), 14) == dt.date(2029, 1, 15)
    assert schedule.months_between(dt.date(2027, 1, 1), dt.date(2027, 12, 31)) == 12
    assert schedule.months_between(dt.date(2027, 1, 15), dt.date(2027, 1, 20)) == 1
