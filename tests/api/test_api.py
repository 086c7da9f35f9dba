"""The JSON API: token authentication and its errors, the grants list (filters, pagination), one grant, the
portfolio summary (each figure equal to a count made here independently), JSON errors for everything under /api,
and a number of queries that does not grow with the portfolio."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.api.models import ApiToken
from portal.api.operations import create_token, revoke_token
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.extensions import db
from portal.proposals.models import ProposalStatus
from tests.opendata.world import make_grant


@pytest.fixture
def token(portfolio, session):
    _row, secret = create_token(portfolio.manager, "Tests", 90, by=portfolio.manager)
    session.commit()
    return secret


def get(client, url, secret=None, **kw):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get(url, headers=headers, **kw)


def assert_error(response, status, code):
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


# -- authentication ---------------------------------------------------------------------------------------------


def test_missing_and_malformed_tokens_are_refused(client, portfolio):
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = client.get("/api/v1/grants", headers=headers)
        assert_error(response, 401, "missing_token")
        assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")


def test_unknown_revoked_and_expired_tokens_are_refused(client, portfolio, token, session):
    response = get(client, "/api/v1/grants", "gfp_not-a-real-token")
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    row, expired = create_token(portfolio.manager, "Old", 30, by=portfolio.manager)
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert_error(get(client, "/api/v1/grants", expired), 401, "expired_token")

    assert get(client, "/api/v1/grants", token).status_code == 200
    revoke_token(session.scalar(select(ApiToken).where(ApiToken.name == "Tests")), by=portfolio.manager)
    session.commit()
    assert_error(get(client, "/api/v1/grants", token), 401, "revoked_token")


def test_a_token_of_someone_no_longer_staff_is_forbidden(client, portfolio, token, session):
    portfolio.manager.role = "applicant"
    session.commit()
    assert_error(get(client, "/api/v1/portfolio/summary", token), 403, "forbidden")
    portfolio.manager.role = "manager"
    portfolio.manager.active = False
    session.commit()
    assert_error(get(client, "/api/v1/portfolio/summary", token), 401, "invalid_token")


def test_a_signed_in_session_is_not_enough(client, portfolio, login):
    login(client, portfolio.manager)
    assert_error(client.get("/api/v1/grants"), 401, "missing_token")


def test_last_used_is_recorded_cheaply(client, portfolio, token, session):
    row = session.scalar(select(ApiToken).where(ApiToken.name == "Tests"))
    assert row.last_used_at is None
    get(client, "/api/v1/grants", token)
    session.refresh(row)
    first = row.last_used_at
    assert first is not None
    get(client, "/api/v1/grants", token)  # within a few minutes: not written again
    session.refresh(row)
    assert row.last_used_at == first


# -- errors for everything under /api -----------------------------------------------------------------------------


def test_unknown_routes_and_wrong_methods_answer_in_json(client, portfolio, token):
    assert_error(get(client, "/api/v1/nothing-here", token), 404, "not_found")
    assert_error(client.get("/api/v2/grants"), 404, "not_found")
    response = client.post("/api/v1/grants", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert_error(client.delete("/api/v1/portfolio/summary"), 405, "method_not_allowed")
    # pages outside the API keep their HTML error pages
    assert client.get("/no-such-page").mimetype == "text/html"


def test_unknown_grant_is_a_json_404(client, portfolio, token):
    body = assert_error(get(client, "/api/v1/grants/CFP-NOPE-G99", token), 404, "not_found")
    assert "CFP-NOPE-G99" in body["error"]["message"]


def test_bad_filters_and_pagination_name_each_argument(client, portfolio, token):
    response = get(client, "/api/v1/grants?country=XX&status=lost&year=20x6&page=0&per_page=1000", token)
    body = assert_error(response, 400, "invalid_arguments")
    arguments = [d["argument"] for d in body["error"]["details"]]
    assert arguments == ["country", "status", "year", "page", "per_page"]
    messages = " ".join(d["message"] for d in body["error"]["details"])
    assert "“XX” is not a country code" in messages
    assert "“1000” is not a number from 1 to 100." in messages
    body = assert_error(get(client, "/api/v1/portfolio/summary?domain=9", token), 400, "invalid_arguments")
    assert body["error"]["details"][0]["argument"] == "domain"


def test_unknown_arguments_and_malformed_filters_are_named_not_ignored(client, portfolio, token):
    """Found by schemathesis (tests/fuzz): a misspelt argument, an over-long call reference or a malformed dialogue
    code used to be dropped silently, so that the answer covered every grant."""
    response = get(client, "/api/v1/grants?contry=SN&call=" + "C" * 41 + "&dialogue=-503567", token)
    body = assert_error(response, 400, "invalid_arguments")
    details = {d["argument"]: d["message"] for d in body["error"]["details"]}
    assert details["contry"] == "“contry” is not an argument of this address."
    assert details["call"] == "“" + "C" * 40 + "…” is not a call reference."
    assert details["dialogue"] == "“-503567” is not a dialogue."
    body = assert_error(get(client, "/api/v1/portfolio/summary?page=2", token), 400, "invalid_arguments")
    assert body["error"]["details"] == [{"argument": "page", "message": "“page” is not an argument of this address."}]
    number = portfolio.grants[0].agreement_number
    body = assert_error(get(client, f"/api/v1/grants/{number}?expand=all", token), 400, "invalid_arguments")
    assert body["error"]["details"][0]["argument"] == "expand"
    assert get(client, "/api/v1/grants?dialogue=rabat&page=1", token).status_code == 200


# -- grants ------------------------------------------------------------------------------------------------------


def test_grants_list_and_detail(client, portfolio, token):
    response = get(client, "/api/v1/grants", token)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["total"] == 3 and data["page"] == 1 and data["pages"] == 1
    assert [g["agreement_number"] for g in data["grants"]] == ["CFP-OD-01-G01", "CFP-OD-01-G02", "CFP-OD-02-G01"]
    g1 = data["grants"][0]
    assert g1["amount_awarded_eur"] == "150000.00"
    assert g1["amount_paid_eur"] == "120000.00"
    assert g1["lead_organisation"]["name"] == "Association Sénégalaise pour la Mobilité"
    assert [(o["role"], o["budget_share_eur"]) for o in g1["organisations"]] == [
        ("lead", None),
        ("co_beneficiary", "40000.00"),
        ("associated", None),
    ]
    assert g1["countries"] == [{"code": "ML", "share_pct": "40.00"}, {"code": "SN", "share_pct": "60.00"}]
    assert g1["dialogues"] == ["rabat"] and g1["jvap_domains"] == [1, 2]
    detail = get(client, "/api/v1/grants/CFP-OD-01-G01", token).get_json()
    assert detail["url"] == g1["url"]
    assert [(t["number"], t["paid_amount_eur"]) for t in detail["tranches"]] == [(1, "120000.00"), (2, None)]
    assert [r["period"] for r in detail["reports"]] == ["interim", "final"]


def test_a_page_of_grants_is_built_once_while_the_database_is_unchanged(client, portfolio, token, session, monkeypatch):
    """Shared under the database's write position (core/datacache.py, proven on PostgreSQL in
    tests/core/test_datacache.py); the tests' transaction always holds writes, so the position is simulated."""
    from portal.api import queries
    from portal.core import datacache

    datacache.clear()
    position = {"now": "0/1000"}
    monkeypatch.setattr(datacache, "write_position", lambda: position["now"])
    built = []
    real_grants_page = queries.grants_page
    monkeypatch.setattr(queries, "grants_page", lambda *a: built.append(a[1:]) or real_grants_page(*a))
    first = get(client, "/api/v1/grants", token).get_json()
    assert get(client, "/api/v1/grants", token).get_json() == first
    assert len(built) == 1
    assert get(client, "/api/v1/grants?per_page=2", token).get_json()["pages"] == 2
    assert len(built) == 2  # another page size: built on its own

    portfolio.grants[0].title = "Renamed while the list was shared"
    session.commit()
    position["now"] = "0/2000"
    titles = [g["title"] for g in get(client, "/api/v1/grants", token).get_json()["grants"]]
    assert "Renamed while the list was shared" in titles
    assert len(built) == 3
    datacache.clear()


@pytest.mark.parametrize("query", ["dialogue=", "country=SN,", "year=&year=2025", "domain=%20"])
def test_a_filter_without_a_value_is_refused_as_the_spec_says(client, portfolio, token, query):
    """Found by tests/fuzz/test_api_schemathesis.py: `?dialogue=` returned every grant where the spec's pattern
    refuses an empty value. The dashboard's form still sends empty filters for "all" (its own parser ignores them)."""
    for url in ("/api/v1/grants", "/api/v1/portfolio/summary"):
        response = get(client, f"{url}?{query}", token)
        name = query.split("=")[0]
        body = assert_error(response, 400, "invalid_arguments")
        assert {"argument": name, "message": f"“{name}” is given without a value."} in body["error"]["details"]


def test_filters_select_the_grants_as_on_the_dashboard(client, portfolio, token):
    def numbers(query):
        data = get(client, f"/api/v1/grants?{query}", token).get_json()
        assert data["total"] == len(data["grants"])
        return [g["agreement_number"] for g in data["grants"]]

    assert numbers("country=gh") == ["CFP-OD-01-G02"]
    assert numbers("country=SN&country=KE") == ["CFP-OD-01-G01", "CFP-OD-02-G01"]
    assert numbers("call=CFP-OD-02") == ["CFP-OD-02-G01"]
    assert numbers("dialogue=khartoum") == ["CFP-OD-01-G02", "CFP-OD-02-G01"]
    assert numbers("domain=2") == ["CFP-OD-01-G01", "CFP-OD-01-G02"]
    assert numbers("status=closed,contracting") == ["CFP-OD-01-G02", "CFP-OD-02-G01"]
    assert numbers("year=2025") == ["CFP-OD-01-G02"]
    assert numbers(f"organisation={portfolio.organisations['ml'].id}") == ["CFP-OD-01-G01"]
    assert numbers("country=SN&status=closed") == []


def test_pagination_links_keep_the_filters(client, portfolio, token):
    data = get(client, "/api/v1/grants?per_page=2&call=CFP-OD-01&call=CFP-OD-02", token).get_json()
    assert data["total"] == 3 and data["pages"] == 2 and len(data["grants"]) == 2
    assert data["links"]["prev"] is None
    next_url = data["links"]["next"]
    assert "page=2" in next_url and "per_page=2" in next_url and next_url.count("call=") == 2
    page2 = get(client, next_url.replace("http://localhost", ""), token).get_json()
    assert [g["agreement_number"] for g in page2["grants"]] == ["CFP-OD-02-G01"]
    assert page2["links"]["next"] is None and "page=1" in page2["links"]["prev"]
    beyond = get(client, "/api/v1/grants?page=7", token).get_json()
    assert beyond["grants"] == [] and beyond["total"] == 3


# -- summary -----------------------------------------------------------------------------------------------------


def expected_summary(grants, predicate=lambda g: True) -> dict:
    """The headline figures computed here in Python, independently of the API's SQL."""
    from portal.core.countries import AFRICAN_UNION, EUROPEAN_UNION

    chosen = [g for g in grants if predicate(g)]
    paid = sum((t.paid_amount for g in chosen for t in g.tranches if t.paid_amount), Decimal("0.00"))
    europe = EUROPEAN_UNION | {"IS", "LI", "NO", "CH", "GB"}

    def implementers(grant) -> set[str]:
        return {o.organisation.country for o in grant.organisations if o.role in ("lead", "co_beneficiary")}

    return {
        "grants": len(chosen),
        "countries": len({c for g in chosen for c in g.countries}),
        "implementing_organisations": len(
            {o.organisation_id for g in chosen for o in g.organisations if o.role in ("lead", "co_beneficiary")}
        ),
        "associated_entities": len(
            {o.organisation_id for g in chosen for o in g.organisations if o.role == "associated"}
        ),
        "partnerships_south_north": sum(
            1 for g in chosen if implementers(g) & AFRICAN_UNION and implementers(g) & europe
        ),
        "partnerships_south_south": sum(1 for g in chosen if len(implementers(g) & AFRICAN_UNION) >= 2),
        "amount_awarded_eur": str(sum((g.amount for g in chosen), Decimal("0.00"))),
        "cofinancing_eur": str(sum((g.cofinancing for g in chosen), Decimal("0.00"))),
        "amount_paid_eur": str(paid),
        "grants_by_status": {s: sum(1 for g in chosen if g.status == s) for s in {g.status for g in chosen}},
    }


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("", lambda g: True),
        ("country=SN", lambda g: "SN" in g.countries),
        ("dialogue=rabat", lambda g: any(d.code == "rabat" for d in g.dialogues)),
        ("domain=2&domain=3", lambda g: any(d.number in (2, 3) for d in g.domains)),
        ("status=active&status=closed", lambda g: g.status in ("active", "closed")),
        ("year=2026", lambda g: g.awarded_on.year == 2026),
        ("call=CFP-OD-01&country=NG", lambda g: g.call.reference == "CFP-OD-01" and "NG" in g.countries),
        ("call=CFP-NONE", lambda g: False),
    ],
)
def test_summary_equals_independent_counts(client, portfolio, token, session, query, predicate):
    data = get(client, f"/api/v1/portfolio/summary?{query}", token).get_json()
    for grant in portfolio.grants:
        session.refresh(grant)
    expected = expected_summary(portfolio.grants, predicate)
    figures = {k: v for k, v in data.items() if k != "filters"}
    assert figures == expected


def test_summary_figures_of_the_whole_portfolio(client, portfolio, token):
    data = get(client, "/api/v1/portfolio/summary", token).get_json()
    assert data["grants"] == 3
    assert data["countries"] == 6  # SN ML GH NG CI KE
    assert data["implementing_organisations"] == 6  # sn ml gh be ma ke (fr is associated)
    assert data["amount_awarded_eur"] == "309999.99"
    assert data["amount_paid_eur"] == "219999.99"
    assert data["filters"] == {}


# -- queries -----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_queries_do_not_grow_with_the_portfolio(client, portfolio, token, session, make_org, make_user, make_proposal):
    urls = ["/api/v1/grants", "/api/v1/grants/CFP-OD-01-G01", "/api/v1/portfolio/summary?country=SN"]
    get(client, "/api/v1/grants", token)  # last_used_at written now, not during the counts below

    def counts():
        result = []
        for url in urls:
            session.expire_all()
            with count_queries() as statements:
                assert get(client, url, token).status_code == 200
            result.append(len(statements))
        return result

    small = counts()
    call = portfolio.calls[0]
    for n in range(3, 10):
        org = make_org(country="NE", members=[make_user()])
        partners = [(make_org(country="BE"), "co_beneficiary", "1000.00"), (make_org(), "associated", None)]
        proposal = make_proposal(call, organisation=org, status=ProposalStatus.AWARDED)
        make_grant(
            call,
            proposal,
            org,
            n,
            "50000.00",
            "active",
            dt.date(2026, 1, 1),
            partners=partners,
            countries=[("NE", "100")],
        )
    session.commit()
    assert counts() == small
    assert small[0] <= 9  # token, count, page, organisations, countries, dialogues, domains, payments


def test_token_creation_and_revocation_are_audited(portfolio, session):
    row, secret = create_token(portfolio.manager, "Audited", None, by=portfolio.manager)
    revoke_token(row, by=portfolio.manager)
    session.commit()
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "api_tokens", AuditEntry.object_id == str(row.id))
    ).all()
    assert sorted(actions) == ["api_token.created", "api_token.revoked"]
    assert secret not in str(session.scalars(select(AuditEntry.after)).all())
    assert row.token_hash != secret and len(row.token_hash) == 64 and secret.startswith(row.prefix)


@pytest.mark.parametrize(
    ("query", "argument"),
    [("call=%00", "call"), ("dialogue=rab%00at", "dialogue"), ("year=²⁰²⁶", "year"), ("page=²", "page")],
)
def test_nul_characters_and_other_digits_are_named_not_a_server_error(client, portfolio, token, query, argument):
    """Found by schemathesis under PostgreSQL (a NUL in text) and by the form fuzzer ("²".isdigit() is true)."""
    body = assert_error(get(client, f"/api/v1/grants?{query}", token), 400, "invalid_arguments")
    assert [d["argument"] for d in body["error"]["details"]] == [argument]
