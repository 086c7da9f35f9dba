"""The open-data files: valid against the official schemas, complete, free of personal data, public, streamed,
and read with a number of queries that does not grow with the portfolio."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import referencing
import referencing.jsonschema
from lxml import etree
from sqlalchemy import event

from portal.extensions import db
from portal.opendata import queries as od_queries
from portal.opendata.iati import organisation_type
from portal.opendata.queries import country_percentages
from portal.proposals.models import ProposalStatus
from tests.opendata.world import make_grant

# The official schemas, as published by their maintainers (copied with their licences from the project's shared
# standards folder, so that the tests run in any checkout).
STANDARDS = Path(__file__).resolve().parent / "standards"
IATI_XSD = STANDARDS / "iati-2.03" / "iati-activities-schema.xsd"
GIVING_DIR = STANDARDS / "360giving-1.4.3"
GRANT_SCHEMA_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"


@pytest.fixture(scope="module")
def iati_schema():
    return etree.XMLSchema(etree.parse(str(IATI_XSD)))


@pytest.fixture(scope="module")
def giving_validator():
    grant_schema = json.loads((GIVING_DIR / "360-giving-schema.json").read_text())
    package_schema = json.loads((GIVING_DIR / "360-giving-package-schema.json").read_text())
    resource = referencing.Resource(contents=grant_schema, specification=referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resources([(GRANT_SCHEMA_URL, resource), (grant_schema["$id"], resource)])
    return jsonschema.Draft202012Validator(
        package_schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _iati(client):
    response = client.get("/open-data/iati.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return response, etree.fromstring(response.data)


def _giving(client):
    response = client.get("/open-data/360giving.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response, response.get_json()


def test_iati_is_valid_and_complete(client, portfolio, iati_schema, app):
    _response, root = _iati(client)
    iati_schema.assertValid(root)
    assert root.get("version") == "2.03"
    activities = root.findall("iati-activity")
    assert len(activities) == 3
    ref = app.config["FACILITY_IATI_REF"]
    by_id = {a.findtext("iati-identifier"): a for a in activities}
    g1 = by_id[f"{ref}-CFP-OD-01-G01"]
    assert g1.find("reporting-org").get("ref") == ref
    roles = [(p.get("role"), p.findtext("narrative")) for p in g1.findall("participating-org")]
    assert roles == [
        ("1", app.config["FACILITY_FUNDER_NAME"]),
        ("2", app.config["FACILITY_ORG_NAME"]),
        ("3", app.config["FACILITY_NAME"]),
        ("4", "Association Sénégalaise pour la Mobilité"),
        ("4", "Institut Malien de Recherche"),
    ]  # the associated entity (no funds) is not an implementer
    implementers = {p.findtext("narrative"): p.get("type") for p in g1.xpath("participating-org[@role='4']")}
    assert implementers == {"Association Sénégalaise pour la Mobilité": "24", "Institut Malien de Recherche": "80"}
    assert g1.find("activity-status").get("code") == "2"
    dates = {d.get("type"): d.get("iso-date") for d in g1.findall("activity-date")}
    assert dates == {"1": "2026-03-01", "2": "2026-03-15", "3": "2027-08-31"}
    assert [(c.get("code"), c.get("percentage")) for c in g1.findall("recipient-country")] == [
        ("ML", "40.00"),
        ("SN", "60.00"),
    ]
    sectors = [(s.get("vocabulary"), s.get("code"), s.get("percentage")) for s in g1.findall("sector")]
    assert sectors == [("1", "15190", "100"), ("99", "JVAP-1", "50.00"), ("99", "JVAP-2", "50.00")]
    budget = g1.find("budget")
    assert budget.find("value").text == "150000.00"
    assert budget.find("period-start").get("iso-date") == "2026-03-01"
    transactions = [
        (t.find("transaction-type").get("code"), t.find("transaction-date").get("iso-date"), t.findtext("value"))
        for t in g1.findall("transaction")
    ]
    # the commitment on the award date, then the one paid tranche (the planned balance is not a transaction)
    assert transactions == [("2", "2026-02-01", "150000.00"), ("3", "2026-03-10", "120000.00")]

    g2 = by_id[f"{ref}-CFP-OD-01-G02"]
    assert g2.find("activity-status").get("code") == "4"  # closed
    shares = [Decimal(c.get("percentage")) for c in g2.findall("recipient-country")]
    assert sum(shares) == Decimal(100) and len(shares) == 3  # no shares recorded: split evenly, summing to 100
    assert len(g2.xpath("transaction[transaction-type/@code='3']")) == 2
    g3 = by_id[f"{ref}-CFP-OD-02-G01"]
    assert g3.find("activity-status").get("code") == "1"  # contracting: pipeline
    assert not g3.xpath("transaction[transaction-type/@code='3']")


def test_giving360_is_valid_and_complete(client, portfolio, giving_validator, app):
    response, data = _giving(client)
    errors = sorted(giving_validator.iter_errors(data), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    grants = {g["id"]: g for g in data["grants"]}
    prefix = app.config["OPEN_DATA_360G_PREFIX"]
    assert set(grants) == {f"{prefix}-CFP-OD-01-G01", f"{prefix}-CFP-OD-01-G02", f"{prefix}-CFP-OD-02-G01"}
    g1 = grants[f"{prefix}-CFP-OD-01-G01"]
    lead = portfolio.organisations["sn"]
    assert g1["amountAwarded"] == 150000
    assert g1["amountDisbursed"] == 120000
    assert g1["currency"] == "EUR"
    assert g1["awardDate"] == "2026-02-01"
    assert g1["recipientOrganization"] == [{"id": f"{prefix}-ORG-{lead.id}", "name": lead.legal_name}]
    assert g1["fundingOrganization"] == [
        {"id": app.config["FACILITY_FUNDER_REF"], "name": app.config["FACILITY_FUNDER_NAME"]}
    ]
    assert g1["plannedDates"] == [{"startDate": "2026-03-01", "endDate": "2027-08-31", "duration": 18}]
    assert [loc["countryCode"] for loc in g1["beneficiaryLocation"]] == ["ML", "SN"]
    assert g1["grantProgramme"] == [{"code": "CFP-OD-01", "title": "Civil society for the migration dialogues"}]
    assert g1["fromOpenCall"] == "Yes"
    g2 = grants[f"{prefix}-CFP-OD-01-G02"]
    assert g2["amountAwarded"] == 99999.99  # cents survive the trip through a JSON number
    assert b'"amountAwarded": 99999.99' in response.data
    assert [t["value"] for t in g2["disbursementTransaction"]] == [79999.99, 20000]


def test_no_personal_data_is_published(client, portfolio):
    iati_text = client.get("/open-data/iati.xml").get_data(as_text=True)
    giving_text = client.get("/open-data/360giving.json").get_data(as_text=True)
    for document in (iati_text, giving_text):
        for secret in portfolio.personal:
            assert secret and secret not in document, secret
        assert "@" not in document  # no e-mail address of any kind
        assert "Led by" not in document  # the proposal's free-text summary is not published


def test_public_streamed_and_linked(client, portfolio, login):
    for url in ("/open-data/iati.xml", "/open-data/360giving.json"):
        response = client.get(url)  # anonymous
        assert response.status_code == 200
        assert response.is_streamed
        assert "public" in response.headers["Cache-Control"]
        assert response.data  # (reads the stream to its end, which closes it)
    assert 'href="/open-data/"' in client.get("/").text
    page = client.get("/open-data/")
    assert 'href="/open-data/iati.xml"' in page.text and 'href="/open-data/360giving.json"' in page.text


def test_an_empty_portfolio_is_well_formed(client):
    root = etree.fromstring(client.get("/open-data/iati.xml").data)
    assert root.tag == "iati-activities" and not len(root)
    assert client.get("/open-data/360giving.json").get_json() == {"grants": []}


@contextlib.contextmanager
def count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_queries_do_not_grow_with_the_portfolio(client, portfolio, session, make_proposal, make_org, make_user):
    session.expire_all()
    with count_queries() as small:
        assert len(etree.fromstring(client.get("/open-data/iati.xml").data)) == 3
    call = portfolio.calls[0]
    for n in range(3, 9):
        org = make_org(country="SN", members=[make_user()])
        partner = make_org(country="NE")
        proposal = make_proposal(call, organisation=org, status=ProposalStatus.AWARDED)
        make_grant(
            call,
            proposal,
            org,
            n,
            "50000.00",
            "active",
            dt.date(2026, 1, 1),
            partners=[(partner, "co_beneficiary", "10000.00")],
            countries=[("SN", "50"), ("NE", "50")],
        )
    session.commit()
    session.expire_all()
    with count_queries() as large:
        root = etree.fromstring(client.get("/open-data/iati.xml").data)
    assert len(root) == 9
    assert len(large) == len(small)
    session.expire_all()
    with count_queries() as json_large:
        assert len(client.get("/open-data/360giving.json").get_json()["grants"]) == 9
    assert len(json_large) == len(small)


def test_batches_cover_every_grant_once(client, portfolio, monkeypatch, iati_schema):
    monkeypatch.setattr(od_queries, "BATCH_SIZE", 2)  # three grants: two batches
    _response, root = _iati(client)
    iati_schema.assertValid(root)
    identifiers = [a.findtext("iati-identifier") for a in root]
    assert len(identifiers) == 3 == len(set(identifiers))


def test_country_percentages_always_sum_to_100():
    class Row:
        def __init__(self, code, share):
            self.country_code, self.share_pct = code, share

    even = country_percentages([Row(c, None) for c in ("GH", "NG", "CI")])
    assert [p for _c, p in even] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    scaled = country_percentages([Row("SN", Decimal("30")), Row("ML", Decimal("30"))])
    assert [p for _c, p in scaled] == [Decimal("50.00"), Decimal("50.00")]
    partial = country_percentages([Row("SN", Decimal("70")), Row("ML", None)])
    assert sum(p for _c, p in partial) == Decimal(100)
    assert country_percentages([]) == []


def test_organisation_types_map_to_iati_codes():
    assert organisation_type("ngo", "SN", ["SN", "ML"]) == "24"  # NGO based where the grant is implemented
    assert organisation_type("ngo", "BE", ["SN"]) == "22"
    assert organisation_type("research", "ML", ["ML"]) == "80"
    assert organisation_type("local_authority", "FR", ["SN"]) == "11"
    assert organisation_type("international", "CH", ["SN"]) == "40"
    assert organisation_type("unknown", "SN", ["SN"]) == "90"
