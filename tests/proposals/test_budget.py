"""The budget's arithmetic (exact decimals), the reading of amounts typed in several ways, the call's rules with the
message a user reads (at their boundaries), and the plain summary for the snapshot and the receipt."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from portal.core.amounts import AmountError, parse_decimal
from portal.proposals import budget as budgets
from portal.proposals.models import BudgetLine, CofinancingSource, ProposalPartner, ProposalStage

D = Decimal


def _line(proposal, category, quantity, unit_cost, partner=None, description="Item", position=0):
    line = BudgetLine(
        category=category,
        description=description,
        unit="unit",
        quantity=D(quantity),
        unit_cost=D(unit_cost),
        partner_id=partner.id if partner is not None else None,
        position=position,
    )
    proposal.budget_lines.append(line)
    return line


def _budget(session, proposal, direct=None, indirect=None, cofinancing=None):
    """Replace the proposal's budget by one direct line, one indirect line and one co-financing source."""
    proposal.budget_lines = []
    proposal.cofinancing = []
    if direct is not None:
        _line(proposal, "human_resources", 1, direct)
    if indirect is not None:
        _line(proposal, "indirect", 1, indirect, position=1)
    if cofinancing is not None:
        proposal.cofinancing.append(CofinancingSource(source="Own funds", amount=D(cofinancing)))
    session.commit()
    return budgets.budget_problems(proposal)


def _messages(problems):
    return [message for _anchor, message in problems]


@pytest.fixture
def free_call(make_call):
    """A call without a co-financing rule, so that tests of other rules see only theirs."""
    return make_call(min_cofinancing_pct=D(0), max_grant=D("250000.00"))


# -- arithmetic -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_cost", "total"),
    [
        ("3", "33.335", "100.01"),  # 100.005: halves go up, not to the even cent
        ("1.5", "10.01", "15.02"),  # 15.015
        ("0.5", "0.05", "0.03"),  # 0.025
        ("0.5", "0.03", "0.02"),  # 0.015
        ("12", "2500.00", "30000.00"),
        ("0.33", "0.01", "0.00"),  # 0.0033
    ],
)
def test_a_line_total_is_rounded_to_the_cent_halves_up(quantity, unit_cost, total):
    assert budgets.line_total(D(quantity), D(unit_cost)) == D(total)
    line = BudgetLine(quantity=D(quantity), unit_cost=D(unit_cost))
    assert line.total == D(total)  # the model's property agrees


def test_totals_per_partner_and_category_and_the_rates_are_exact():
    items = [
        (None, "human_resources", D("100000.00")),
        (None, "travel", D("20000.10")),
        (7, "equipment", D("30000.00")),
        (7, "indirect", D("10500.00")),
        (None, "indirect", D("0.01")),
    ]
    totals = budgets.compute_totals(items, [D("10000.00"), D("6050.11")])
    assert totals.direct == D("150000.10")
    assert totals.indirect == D("10500.01")
    assert totals.total == D("160500.11")
    assert totals.cofinancing == D("16050.11")
    assert totals.requested == D("144450.00")
    assert totals.by_partner == {None: D("120000.11"), 7: D("40500.00")}
    assert totals.by_category["travel"] == D("20000.10")
    assert totals.by_category["sub_granting"] == D("0.00")
    assert totals.by_partner_category[7] == {"equipment": D("30000.00"), "indirect": D("10500.00")}
    assert budgets.round_pct(totals.cofinancing_rate) == D("10.00")
    assert budgets.round_pct(totals.funding_rate) == D("90.00")
    assert budgets.round_pct(totals.indirect_rate) == D("7.00")
    for value in (totals.total, totals.requested, totals.funding_rate):
        assert isinstance(value, Decimal)


def test_rates_of_an_empty_budget_are_none():
    totals = budgets.compute_totals([], [])
    assert totals.total == D("0.00")
    assert totals.funding_rate is None and totals.cofinancing_rate is None and totals.indirect_rate is None


# -- reading amounts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("150000", "150000.00"),
        ("150 000", "150000.00"),
        ("150\u202f000,50", "150000.50"),  # French narrow no-break space, decimal comma
        ("150,000.50", "150000.50"),
        ("150000,50", "150000.50"),
        ("150000,5", "150000.50"),
        ("€ 150 000", "150000.00"),
        ("150000 EUR", "150000.00"),
        ("1.500.000,50", "1500000.50"),
        ("1,500", "1500.00"),
        ("12.5", "12.50"),
        ("  7  ", "7.00"),
    ],
)
def test_amounts_typed_in_several_ways_are_read(typed, value):
    assert parse_decimal(typed) == D(value)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12,5,0", "invalid"),
        ("1,50,0", "invalid"),
        ("150000,505", "invalid"),
        ("abc", "invalid"),
        ("1e5", "invalid"),
        ("12..5", "invalid"),
        ("NaN", "invalid"),
        ("12.345", "places"),
        ("1000000000000", "large"),
    ],
)
def test_what_is_not_an_amount_is_refused_with_its_reason(typed, reason):
    with pytest.raises(AmountError) as caught:
        parse_decimal(typed)
    assert caught.value.reason == reason


def test_nothing_typed_is_none():
    assert parse_decimal("") is None and parse_decimal("  ") is None and parse_decimal(None) is None


# -- the call's rules -----------------------------------------------------------------------------------------


def test_a_budget_without_lines_is_a_problem(rq, session, make_proposal, free_call):
    proposal = make_proposal(free_call)
    assert budgets.budget_problems(proposal) == [("budget-lines", "The budget has no lines.")]


def test_the_requested_amount_must_be_within_the_calls_range(rq, session, make_proposal, free_call):
    proposal = make_proposal(free_call)
    assert _messages(_budget(session, proposal, direct="260000.00")) == [
        "The requested amount €260,000.00 is above the call's maximum of €250,000.00."
    ]
    assert _budget(session, proposal, direct="250000.00") == []
    assert _budget(session, proposal, direct="50000.00") == []
    assert _messages(_budget(session, proposal, direct="49999.99")) == [
        "The requested amount €49,999.99 is below the call's minimum of €50,000.00."
    ]
    # Co-financing lowers the requested amount.
    assert _budget(session, proposal, direct="260000.00", cofinancing="10000.00") == []


def test_co_financing_must_reach_the_calls_minimum_rate(rq, session, make_call, make_proposal):
    call = make_call(min_cofinancing_pct=D("10.00"))
    proposal = make_proposal(call)
    assert _messages(_budget(session, proposal, direct="160000.00", cofinancing="10000.00")) == [
        "Co-financing is 6.25% of the total budget (€10,000.00 of €160,000.00); this call requires at least 10%."
    ]
    assert _budget(session, proposal, direct="160000.00", cofinancing="16000.00") == []  # exactly 10%: fine
    assert _messages(_budget(session, proposal, direct="160000.00", cofinancing="15984.00")) == [
        "Co-financing is 9.99% of the total budget (€15,984.00 of €160,000.00); this call requires at least 10%."
    ]
    # A cent short of the minimum is refused and never reads as "10.00%".
    assert _messages(_budget(session, proposal, direct="160000.00", cofinancing="15999.99")) == [
        "Co-financing is 9.99% of the total budget (€15,999.99 of €160,000.00); this call requires at least 10%."
    ]


def test_a_call_funding_up_to_100_percent_asks_no_co_financing(rq, session, make_proposal, free_call):
    proposal = make_proposal(free_call)
    assert _budget(session, proposal, direct="160000.00") == []


def test_indirect_costs_are_capped_as_a_share_of_direct_costs(rq, session, make_proposal, free_call):
    proposal = make_proposal(free_call)
    assert _messages(_budget(session, proposal, direct="148000.00", indirect="12000.00")) == [
        "Indirect costs are €12,000.00, 8.11% of direct costs; the maximum is 7% (€10,360.00)."
    ]
    assert _budget(session, proposal, direct="148000.00", indirect="10360.00") == []  # exactly 7%: fine
    assert _messages(_budget(session, proposal, direct="148000.00", indirect="10360.01")) == [
        "Indirect costs are €10,360.01, 7.01% of direct costs; the maximum is 7% (€10,360.00)."
    ]
    assert _messages(_budget(session, proposal, indirect="60000.00")) == [
        "Indirect costs are €60,000.00 but the budget has no direct costs; indirect costs may be at most 7% of "
        "direct costs."
    ]


def test_co_financing_above_the_total_is_a_problem(rq, session, make_proposal, free_call):
    proposal = make_proposal(free_call)
    assert _messages(_budget(session, proposal, direct="60000.00", cofinancing="70000.00")) == [
        "Co-financing (€70,000.00) is more than the total budget (€60,000.00)."
    ]


def test_lines_of_a_partner_who_may_not_have_a_budget_are_a_problem(rq, session, make_org, make_proposal, free_call):
    proposal = make_proposal(free_call)
    org = make_org(legal_name="Sahel Research", acronym="SR")
    co = ProposalPartner(proposal=proposal, organisation=org, status="accepted")
    session.add(co)
    session.commit()
    _line(proposal, "human_resources", 1, "100000.00")
    _line(proposal, "travel", 2, "30000.00", partner=co, position=1)
    session.commit()
    assert budgets.budget_problems(proposal) == []

    co.status = "declined"
    session.commit()
    assert _messages(budgets.budget_problems(proposal)) == [
        "Sahel Research (SR) has budget lines of €60,000.00 but is not an accepted co-applicant: move them to the "
        "lead applicant or another co-applicant."
    ]
    co.status = "accepted"
    co.role = "associated"
    session.commit()
    assert _messages(budgets.budget_problems(proposal)) == [
        "Sahel Research (SR) is an associated entity and receives no funds, but has budget lines of €60,000.00: "
        "move them to the lead applicant or a co-applicant."
    ]


def test_a_full_application_may_not_move_far_from_its_concept_note(rq, session, make_call, make_proposal):
    call = make_call(procedure="two_stage", min_cofinancing_pct=D(0), max_amount_change_pct=D("20.00"))
    note = make_proposal(call, stage=ProposalStage.CONCEPT_NOTE, requested_amount=D("120000.00"), status="invited")
    full = make_proposal(call, organisation=note.organisation, stage=ProposalStage.FULL_APPLICATION, parent=note)
    assert _messages(_budget(session, full, direct="150000.00")) == [
        "The requested amount €150,000.00 differs from the concept note's €120,000.00 by 25.00%; at most 20% is "
        "allowed."
    ]
    assert _budget(session, full, direct="144000.00") == []  # exactly 20% more
    assert _budget(session, full, direct="96000.00") == []  # exactly 20% less
    assert _messages(_budget(session, full, direct="144000.01")) == [
        "The requested amount €144,000.01 differs from the concept note's €120,000.00 by 20.01%; at most 20% is "
        "allowed."
    ]
    # The rule is the call's: a looser call allows more.
    call.max_amount_change_pct = D("30.00")
    session.commit()
    assert _budget(session, full, direct="150000.00") == []
    # A concept note itself is not compared with anything.
    assert _budget(session, note, direct="190000.00") == []


def test_several_problems_are_listed_together(rq, session, make_call, make_proposal):
    call = make_call(min_cofinancing_pct=D("10.00"), max_grant=D("250000.00"))
    proposal = make_proposal(call)
    messages = _messages(_budget(session, proposal, direct="250000.00", indirect="30000.00"))
    assert messages == [
        "The requested amount €280,000.00 is above the call's maximum of €250,000.00.",
        "Co-financing is 0.00% of the total budget (€0.00 of €280,000.00); this call requires at least 10%.",
        "Indirect costs are €30,000.00, 12.00% of direct costs; the maximum is 7% (€17,500.00).",
    ]


# -- the plain summary ----------------------------------------------------------------------------------------


def test_the_summary_is_plain_data_with_every_figure(rq, session, make_org, make_proposal, free_call):
    proposal = make_proposal(free_call)
    org, other = make_org(legal_name="Diaspora Link"), make_org()
    co = ProposalPartner(proposal=proposal, organisation=org, status="accepted")
    associated = ProposalPartner(proposal=proposal, organisation=other, role="associated", status="accepted")
    session.add_all([co, associated])
    session.commit()
    _line(proposal, "human_resources", "12", "5000.00", description="Coordinator")
    _line(proposal, "travel", "3", "33.33", partner=co, description="Flights", position=1)
    _line(proposal, "indirect", "1", "4000.00", position=2)
    proposal.cofinancing.append(CofinancingSource(source="Own funds", amount=D("10000.00"), secured=True))
    session.commit()

    summary = budgets.budget_summary(proposal)
    json.dumps(summary)  # plain data only
    assert summary["total"] == "64099.99"
    assert summary["direct_costs"] == "60099.99"
    assert summary["indirect_costs"] == "4000.00"
    assert summary["cofinancing_total"] == "10000.00"
    assert summary["requested_amount"] == "54099.99"
    assert summary["funding_rate"] == "84.40"
    assert summary["cofinancing_rate"] == "15.60"
    assert summary["indirect_rate"] == "6.66"
    partners = {p["key"]: p for p in summary["partners"]}
    assert set(partners) == {"lead", str(co.id)}  # the associated entity has no budget
    assert partners["lead"]["total"] == "64000.00"
    assert partners[str(co.id)]["total"] == "99.99"
    assert partners[str(co.id)]["by_category"]["travel"] == "99.99"
    assert {c["key"]: c["total"] for c in summary["categories"]}["human_resources"] == "60000.00"
    assert summary["lines"][1] == {
        "number": 2,
        "partner": str(co.id),
        "partner_name": co.organisation.name,
        "category": "travel",
        "description": "Flights",
        "unit": "unit",
        "quantity": "3.00",
        "unit_cost": "33.33",
        "total": "99.99",
    }
    assert summary["cofinancing"] == [{"source": "Own funds", "amount": "10000.00", "secured": True}]


def test_rates_shown_are_rounded_towards_the_calls_limits(rq, session, make_call, make_proposal):
    """A fraction of a cent short of 10% co-financing reads 9.99% (as the rule's message says), never 10.00%."""
    proposal = make_proposal(make_call(min_cofinancing_pct=D("10.00"), max_grant=D("250000.00")))
    problems = _budget(session, proposal, direct="108012.00", indirect="7560.84", cofinancing="11557.28")
    summary = budgets.budget_summary(proposal)
    assert summary["cofinancing_rate"] == "9.99"  # 9.99999...%
    assert summary["funding_rate"] == "90.01"  # 90.00000...1%
    assert summary["indirect_rate"] == "7.00"  # exactly 7%
    assert _messages(problems) == [
        "Co-financing is 9.99% of the total budget (€11,557.28 of €115,572.84); this call requires at least 10%."
    ]
    _budget(session, proposal, direct="100000.00", indirect="7000.01")
    assert budgets.budget_summary(proposal)["indirect_rate"] == "7.01"


def test_each_co_applicants_share_of_the_grant_follows_from_the_budget(session, complete_draft, make_org, applicant):
    from portal.proposals.budget import read_budget_form, save_budget
    from portal.proposals.models import ProposalPartner

    co = ProposalPartner(organisation=make_org(country="ML"), role="co_applicant", status="accepted")
    associated = ProposalPartner(organisation=make_org(country="FR"), role="associated", status="accepted")
    complete_draft.partners += [co, associated]
    session.flush()
    form = {
        "line-0-partner": "lead",
        "line-0-category": "human_resources",
        "line-0-description": "Coordinator",
        "line-0-quantity": "10",
        "line-0-unit_cost": "6000",
        "line-1-partner": str(co.id),
        "line-1-category": "travel",
        "line-1-description": "Visits",
        "line-1-quantity": "4",
        "line-1-unit_cost": "1000",
        "source-0-source": "Own funds",
        "source-0-amount": "6400",
    }
    save_budget(complete_draft, read_budget_form(form, complete_draft), by=applicant, expected_version=None)
    session.commit()
    # Total 64,000.00, requested 57,600.00 (90%): the co-applicant's 4,000.00 of costs give 3,600.00 of the grant.
    assert complete_draft.requested_amount == Decimal("57600.00")
    assert co.budget_share == Decimal("3600.00") and associated.budget_share is None
