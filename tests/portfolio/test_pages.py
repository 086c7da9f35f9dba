"""The country and organisation pages, the exports, and who may reach the portfolio."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from openpyxl import load_workbook

from tests.portfolio.conftest import SPEC

PORTFOLIO_URLS = (
    "/portfolio",
    "/portfolio/countries/SN",
    "/portfolio/organisations/{org}",
    "/portfolio/export.csv",
    "/portfolio/export.xlsx",
)


def _money(value: str) -> str:
    return format_currency(Decimal(value), "EUR", locale="en")


def test_country_page_lists_its_grants_amounts_and_organisations(world, staff_client):
    response = staff_client.get("/portfolio/countries/SN")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    in_senegal = [s for s in SPEC if "SN" in s.countries]
    for spec in in_senegal:
        assert world.grants[spec.key].agreement_number in html
        assert _money(spec.amount) in html
    for spec in SPEC:
        if "SN" not in spec.countries:
            assert world.grants[spec.key].agreement_number not in html
    # The implementing organisations of these grants (not the associated entity of g1 only: FR leads g2).
    for key in ("sn1", "sn2", "ml", "fr"):
        assert world.orgs[key].legal_name in html
    assert world.orgs["ke"].legal_name not in html
    # The share of Senegal in g1.
    assert "60 %" in html


def test_country_page_follows_the_filters_and_refuses_unknown_codes(world, staff_client):
    html = staff_client.get("/portfolio/countries/SN", query_string={"year": "2026"}).get_data(as_text=True)
    assert world.grants["g4"].agreement_number in html
    assert world.grants["g1"].agreement_number not in html
    assert "Show all grants" in html
    assert staff_client.get("/portfolio/countries/XX").status_code == 404
    assert staff_client.get("/portfolio/countries/SEN").status_code == 404
    lower = staff_client.get("/portfolio/countries/sn")
    assert lower.status_code == 302 and lower.headers["Location"].endswith("/portfolio/countries/SN")
    # A country without grants is a page that says so.
    assert "No grant matches." in staff_client.get("/portfolio/countries/ZA").get_data(as_text=True)


def test_country_page_is_rendered_once_while_the_database_is_unchanged(world, staff_client, session, monkeypatch):
    """Its figures and lists are kept per country, filters, pages and language under the database's write position
    (core/datacache.py, proven on PostgreSQL in tests/core/test_datacache.py); the tests' transaction always holds
    writes, so the position is simulated: unchanged, then moved by a write."""
    from portal.core import datacache
    from portal.portfolio import queries

    datacache.clear()
    position = {"now": "0/1000"}
    monkeypatch.setattr(datacache, "write_position", lambda: position["now"])
    computed = []
    real_summary = queries.summary
    monkeypatch.setattr(queries, "summary", lambda *a, **k: computed.append(1) or real_summary(*a, **k))
    grant = world.grants[next(s.key for s in SPEC if "SN" in s.countries)]
    first = staff_client.get("/portfolio/countries/SN").get_data(as_text=True)
    assert staff_client.get("/portfolio/countries/SN").get_data(as_text=True) == first
    assert len(computed) == 1
    staff_client.get("/portfolio/countries/SN", query_string={"year": "2026"})
    assert len(computed) == 2  # other filters: computed on their own

    grant.title = "Renamed while the page was shared"
    session.commit()
    position["now"] = "0/2000"
    assert "Renamed while the page was shared" in staff_client.get("/portfolio/countries/SN").get_data(as_text=True)
    assert len(computed) == 3
    datacache.clear()


def test_organisation_page_lists_its_grants_roles_and_partners(world, staff_client):
    fr = world.orgs["fr"]
    response = staff_client.get(f"/portfolio/organisations/{fr.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Lead of g2, associated entity of g1.
    assert world.grants["g2"].agreement_number in html and world.grants["g1"].agreement_number in html
    assert world.grants["g3"].agreement_number not in html
    assert "Lead beneficiary" in html and "Associated entity" in html
    # Partners: the organisations of g1 and g2 other than itself, with the grants shared.
    partners = html.split("<h2>Partners</h2>", 1)[1]
    for key in ("sn1", "ml", "sn2"):
        assert world.orgs[key].legal_name in partners
    assert world.orgs["ke"].legal_name not in partners
    assert fr.legal_name not in partners
    assert staff_client.get("/portfolio/organisations/999999").status_code == 404


def _csv_rows(response) -> list[dict]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_has_one_row_per_filtered_grant(world, staff_client):
    response = staff_client.get("/portfolio/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    assert len(rows) == len(SPEC)
    by_number = {r["Agreement number"]: r for r in rows}
    g1 = by_number[world.grants["g1"].agreement_number]
    assert g1["Call"] == world.calls["A"].reference
    assert g1["Title"] == "Diaspora investment for local development"
    assert g1["Lead organisation"] == "Association Jeunesse et Migration (AJM)"
    assert g1["Lead organisation's country"] == "SN"
    assert g1["Co-beneficiaries"] == "Institut Malien de Recherche (IMR)"
    assert g1["Countries of implementation (share %)"] == "ML (40%); SN (60%)"
    assert g1["Dialogues"] == "rabat"
    assert g1["JVAP domains"] == "1; 2"
    assert g1["Amount awarded (EUR)"] == "150000.00"
    assert g1["Co-financing (EUR)"] == "1000.00"
    assert g1["Amount paid (EUR)"] == "90000.00"
    assert g1["Status"] == "active"
    assert g1["Awarded on"] == "2025-06-01" and g1["Start date"] == "2025-07-01" and g1["End date"] == "2027-06-30"
    # Filtered: the CSV follows the dashboard's filters.
    rows = _csv_rows(staff_client.get("/portfolio/export.csv", query_string={"country": "NE"}))
    assert sorted(r["Agreement number"] for r in rows) == sorted(
        world.grants[s.key].agreement_number for s in SPEC if "NE" in s.countries
    )


def test_xlsx_export_has_typed_cells(world, staff_client):
    response = staff_client.get("/portfolio/export.xlsx", query_string={"call": world.calls["B"].reference})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "Agreement number"
    assert len(body) == sum(1 for s in SPEC if s.call == "B")
    g6 = next(r for r in body if r[0] == world.grants["g6"].agreement_number)
    record = dict(zip(header, g6, strict=True))
    assert record["Amount awarded (EUR)"] == 120000
    assert record["Amount paid (EUR)"] == 96000
    assert record["Co-beneficiaries"] == "Brussels Diaspora Forum (BDF)"
    assert record["Dialogues"] == "rabat; khartoum" or record["Dialogues"] == "khartoum; rabat"
    assert record["Start date"].date().isoformat() == "2026-07-01"


def test_exports_never_write_a_formula(world, staff_client, session):
    grant = world.grants["g1"]
    grant.title = '=HYPERLINK("http://evil.example","click")'
    session.commit()
    rows = _csv_rows(staff_client.get("/portfolio/export.csv"))
    title = next(r["Title"] for r in rows if r["Agreement number"] == grant.agreement_number)
    assert title == "'" + grant.title
    sheet = load_workbook(io.BytesIO(staff_client.get("/portfolio/export.xlsx").data)).active
    cell = next(row[2] for row in sheet.iter_rows(min_row=2) if row[0].value == grant.agreement_number)
    assert cell.data_type == "s" and cell.value == grant.title


def test_exports_with_bad_filters_go_back_to_the_dashboard(world, staff_client):
    response = staff_client.get("/portfolio/export.csv", query_string={"country": "XX"})
    assert response.status_code == 302
    assert "/portfolio?country=XX" in response.headers["Location"]
    html = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The export was not made: correct the filters first." in html
    assert "“XX” is not a country code" in html


@pytest.mark.parametrize("role", ["applicant", "evaluator"])
def test_applicants_and_evaluators_may_not_see_the_portfolio(world, app, login, make_user, role):
    # Even a member of an implementing organisation: they see their grants through the grant pages.
    user = make_user(role, organisation=world.orgs["sn1"] if role == "applicant" else None)
    client = login(app.test_client(), user)
    for url in PORTFOLIO_URLS:
        assert client.get(url.format(org=world.orgs["sn1"].id)).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    for url in PORTFOLIO_URLS:
        response = client.get(url.format(org=world.orgs["sn1"].id))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_admins_see_the_portfolio(world, app, login, make_user):
    client = login(app.test_client(), make_user("admin"))
    for url in PORTFOLIO_URLS:
        assert client.get(url.format(org=world.orgs["sn1"].id)).status_code == 200, url


def test_the_header_links_the_portfolio_and_search_for_staff_only(world, app, login, make_user, staff_client):
    html = staff_client.get("/calls").get_data(as_text=True)
    assert 'href="/portfolio"' in html and 'action="/search"' in html
    applicant = login(app.test_client(), make_user("applicant"))
    html = applicant.get("/calls").get_data(as_text=True)
    assert "/grants" in html  # the applicant's own menu is there
    assert 'href="/portfolio"' not in html and 'action="/search"' not in html


def test_the_dashboard_in_french(world, app, login, make_user):
    client = login(app.test_client(), make_user("manager", locale="fr"))
    response = client.get("/portfolio")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "Sénégal" in html  # country names in the reader's language (table and map)
    assert "705\u202f000,49\u00a0€" in html or "705 000,49 €" in html
