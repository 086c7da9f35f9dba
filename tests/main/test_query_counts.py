"""No N+1: the number of SQL queries of each page the benchmark measures (scripts/bench) is the same on a small
facility and on a larger one.

Each test builds a small world (3 of everything the page lists), counts the queries of one request, grows the
same world to 25 (more proposals, partners, budget lines, reviews, grants with organisations, countries, payments
and reports) and counts again. The session's identity map is emptied before each request, as a new request would
find it. A page whose count grows is marked xfail(strict=True) with the reason, so that it shows in the report until
someone fixes it (and then the strict xfail fails, to be removed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.api.operations import create_token
from portal.calls.models import Dialogue, JvapDomain
from portal.core import querycount
from portal.evaluation.models import AssignmentStatus
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, GrantReport, Tranche
from portal.proposals.models import BudgetLine, ProposalCountry, ProposalPartner, ProposalStatus

SMALL, LARGE = 3, 25
SCORES = {"1.1": 4, "1.2": 3, "1.3": 4, "1.4": 5, "2.1": 3, "2.2": 4}


@dataclass
class World:
    """Ids only: the session is emptied before each counted request."""

    applicant_id: int = 0
    org_id: int = 0
    evaluator_id: int = 0
    manager_id: int = 0
    call_id: int = 0
    grant_call_id: int = 0
    proposal_id: int = 0  # the applicant's first proposal, which gains partners and budget lines
    assignment_id: int = 0  # the evaluator's assignment of that proposal, in progress
    size: int = 0
    last_proposal_number: str = ""
    last_proposal_reference: str = ""
    grant_numbers: list[str] = field(default_factory=list)


@pytest.fixture
def world(session, make_user, make_org, make_call, make_proposal, make_assignment):
    """world.grow(n): the world with n proposals, partners, budget lines, reviews and grants (it only adds)."""
    from portal.accounts.models import User
    from portal.calls.models import Call
    from portal.evaluation.models import Assignment
    from portal.organisations.models import Organisation
    from portal.proposals.models import Proposal

    applicant = make_user("applicant")
    org = make_org(members=[applicant])
    evaluator = make_user("evaluator")
    manager = make_user("manager")
    call = make_call(budget_envelope=Decimal("5000000.00"), max_grant=Decimal("200000.00"))
    grant_call = make_call(reference="CFP-QC-GRANTS", status="decided")
    first = make_proposal(call, organisation=org, created_by=applicant, status=ProposalStatus.SUBMITTED)
    first_assignment = make_assignment(first, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS, scores={})
    w = World(
        applicant_id=applicant.id,
        org_id=org.id,
        evaluator_id=evaluator.id,
        manager_id=manager.id,
        call_id=call.id,
        grant_call_id=grant_call.id,
        proposal_id=first.id,
        assignment_id=first_assignment.id,
        size=1,
    )
    dialogues = list(session.scalars(select(Dialogue).order_by(Dialogue.id)))
    domains = list(session.scalars(select(JvapDomain).order_by(JvapDomain.number)))
    countries = ["SN", "ML", "NE", "GH", "MA", "FR", "BE"]

    def add_one(i: int) -> None:
        applicant_ = session.get(User, w.applicant_id)
        org_ = session.get(Organisation, w.org_id)
        evaluator_ = session.get(User, w.evaluator_id)
        call_ = session.get(Call, w.call_id)
        grant_call_ = session.get(Call, w.grant_call_id)
        first_ = session.get(Proposal, w.proposal_id)
        # The applicant's dashboard: one more proposal of the organisation.
        proposal = make_proposal(call_, organisation=org_, created_by=applicant_, status=ProposalStatus.SUBMITTED)
        w.last_proposal_number = proposal.title.removeprefix("Proposal ")
        w.last_proposal_reference = proposal.reference
        # The proposal page: one more partner, budget line and country on the first proposal.
        partner_org = make_org(country=countries[i % len(countries)])
        first_.partners.append(
            ProposalPartner(
                organisation=partner_org, role="co_applicant", status="accepted", budget_share=Decimal(1000)
            )
        )
        first_.budget_lines.append(
            BudgetLine(
                category="travel",
                description=f"Flights {i}",
                unit="trip",
                quantity=Decimal(2),
                unit_cost=Decimal("450.00"),
                position=i,
            )
        )
        code = countries[i % len(countries)]
        if all(c.country_code != code for c in first_.country_rows):
            first_.country_rows.append(ProposalCountry(country_code=code))
        db.session.commit()
        # The evaluator's queue: one more assignment; the ranking: two submitted reviews of the new proposal.
        make_assignment(proposal, evaluator=evaluator_, status=AssignmentStatus.SUBMITTED, scores=SCORES)
        make_assignment(proposal, status=AssignmentStatus.SUBMITTED, scores=SCORES)
        # The portfolio, the API and the open data: one more grant with its organisations, countries, payments,
        # reports, dialogues and domains.
        awarded = make_proposal(grant_call_, status=ProposalStatus.AWARDED)
        lead = awarded.organisation
        grant = Grant(
            agreement_number=f"CFP-QC-G{i:03d}",
            call=grant_call_,
            proposal=awarded,
            lead_organisation=lead,
            title=f"Grant {i}",
            amount=Decimal("100000.00"),
            cofinancing=Decimal("5000.00"),
            awarded_on=dt.date(2026, 1, 1) + dt.timedelta(days=i),
            start_date=dt.date(2026, 3, 1),
            end_date=dt.date(2027, 8, 31),
            status="active",
        )
        grant.organisations = [
            GrantOrganisation(organisation=lead, role="lead", budget_share=Decimal("80000.00")),
            GrantOrganisation(organisation=partner_org, role="co_beneficiary", budget_share=Decimal("20000.00")),
        ]
        grant.country_rows = [
            GrantCountry(country_code="SN", share_pct=Decimal("60.00")),
            GrantCountry(country_code=countries[1 + i % (len(countries) - 1)], share_pct=Decimal("40.00")),
        ]
        grant.dialogues = [dialogues[i % len(dialogues)]]
        grant.domains = [domains[i % len(domains)], domains[(i + 2) % len(domains)]]
        grant.tranches = [
            Tranche(
                number=1,
                kind="pre_financing",
                planned_date=dt.date(2026, 3, 1),
                planned_amount=Decimal("80000.00"),
                paid_date=dt.date(2026, 3, 10),
                paid_amount=Decimal("80000.00"),
            ),
            Tranche(number=2, kind="balance", planned_date=dt.date(2027, 10, 1), planned_amount=Decimal("20000.00")),
        ]
        grant.reports = [GrantReport(period="interim", type="narrative", due_date=dt.date(2026, 12, 31))]
        db.session.add(grant)
        db.session.commit()
        w.grant_numbers.append(grant.agreement_number)

    def grow(n: int) -> World:
        while w.size < n:
            add_one(w.size)
            w.size += 1
        assert session.get(Assignment, w.assignment_id) is not None
        return w

    w.grow = grow
    return w


@pytest.fixture
def count_get(client, login, session):
    """count_get(user_id, url, headers=None) -> (response, number of queries of the request, body included)."""
    from portal.accounts.models import User

    def get(user_id: int | None, url: str, headers: dict | None = None):
        if user_id is not None:
            login(client, session.get(User, user_id))
        session.expunge_all()  # a new request finds an empty session
        with querycount.counting() as queries:
            response = client.get(url, headers=headers or {})
            response.get_data()  # a streamed export runs its queries while the body is sent
        assert response.status_code == 200, (url, response.status_code)
        return response, queries.count

    return get


def _counts(world, fetch) -> tuple[int, int]:
    world.grow(SMALL)
    small = fetch()
    world.grow(LARGE)
    large = fetch()
    return small, large


def _assert_constant(world, fetch) -> None:
    small, large = _counts(world, fetch)
    assert small == large, f"{small} queries with {SMALL} rows, {large} with {LARGE}: the page does N+1 queries"


def test_counting_counts_each_statement(session):
    session.execute(select(0))  # the test's session opens its savepoint first
    with querycount.counting(keep_statements=True) as queries:
        session.execute(select(1))
        session.execute(select(2))
    assert queries.count == 2
    assert len(queries.statements) == 2
    assert "SELECT" in queries.statements[0][0].upper()
    with querycount.counting() as none:
        pass
    assert none.count == 0


def test_the_header_is_added_only_when_switched_on(app, client, login, world, monkeypatch):
    from portal.accounts.models import User

    world.grow(SMALL)
    login(client, db.session.get(User, world.applicant_id))
    monkeypatch.setitem(app.config, "COUNT_QUERIES", False)
    assert querycount.HEADER not in client.get("/proposals").headers
    monkeypatch.setitem(app.config, "COUNT_QUERIES", True)
    db.session.expunge_all()
    with querycount.counting() as queries:
        response = client.get("/proposals")
    assert int(response.headers[querycount.HEADER]) == queries.count > 0
    # A streamed export sends its headers before most of its queries: no header rather than a wrong number.
    assert querycount.HEADER not in client.get("/open-data/iati.xml").headers


def _page(world, count_get, user_id, url, shows):
    """The query count of `url`, after checking that the page shows the newest row (`shows(world)`)."""

    def fetch():
        response, count = count_get(user_id, url)
        assert shows(world) in response.get_data(as_text=True)
        return count

    _assert_constant(world, fetch)


def test_applicant_dashboard(world, count_get):
    _page(world, count_get, world.applicant_id, "/proposals", lambda w: f"Proposal {w.last_proposal_number}")


def test_proposal_page(world, count_get):
    url = f"/proposals/{world.proposal_id}"
    _page(world, count_get, world.applicant_id, url, lambda w: f"Flights {w.size - 1}")


def test_evaluator_queue(world, count_get):
    _page(world, count_get, world.evaluator_id, "/evaluation", lambda w: w.last_proposal_reference)


def test_scoring_page(world, count_get):
    url = f"/evaluation/assignments/{world.assignment_id}"
    _page(world, count_get, world.evaluator_id, url, lambda w: "1.1")


def test_ranking_page(world, count_get):
    url = f"/manage/calls/{world.call_id}/ranking"
    _page(world, count_get, world.manager_id, url, lambda w: w.last_proposal_reference)


def test_ranking_page_paged(world, count_get, monkeypatch):
    """A later page of the ranking: the whole ranking is computed in SQL, only the page's rows are loaded."""
    from portal.evaluation import ranking_page

    monkeypatch.setattr(ranking_page, "PER_PAGE", 1)
    url = f"/manage/calls/{world.call_id}/ranking?page=2"
    _page(world, count_get, world.manager_id, url, lambda w: "Ranks 2 to 2 of")


def test_evaluator_queue_paged(world, count_get, monkeypatch):
    from portal.evaluation import queries

    monkeypatch.setattr(queries, "QUEUE_PER_PAGE", 2)
    _page(world, count_get, world.evaluator_id, "/evaluation?page=2", lambda w: "Assignments 3 to")


def test_portfolio_dashboard(world, count_get):
    _page(world, count_get, world.manager_id, "/portfolio", lambda w: "CFP-QC-GRANTS")


def test_portfolio_dashboard_with_filters(world, count_get):
    url = "/portfolio?country=SN&status=active&domain=1&domain=3&year=2026&call=CFP-QC-GRANTS"
    _page(world, count_get, world.manager_id, url, lambda w: "CFP-QC-GRANTS")


def test_country_page(world, count_get):
    _page(world, count_get, world.manager_id, "/portfolio/countries/SN", lambda w: w.grant_numbers[-1])


def test_grants_api(world, count_get, session):
    from portal.accounts.models import User

    manager = session.get(User, world.manager_id)
    _row, secret = create_token(manager, "Query counts", 90, by=manager)
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    # The first use of a token records it (an UPDATE, then no more for a while): count the requests after it.
    count_get(None, "/api/v1/grants", headers=headers)

    def fetch():
        response, count = count_get(None, "/api/v1/grants", headers=headers)
        assert response.get_json()["total"] == len(world.grant_numbers)
        return count

    _assert_constant(world, fetch)


@pytest.mark.parametrize("url", ["/open-data/iati.xml", "/open-data/360giving.json"])
def test_open_data_exports(world, count_get, client, url):
    def fetch():
        response, count = count_get(None, url)
        assert world.grant_numbers[-1] in response.get_data(as_text=True)
        return count

    _assert_constant(world, fetch)
