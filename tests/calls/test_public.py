"""The public list of calls with its filters, and the public page of a call with every rule applicants need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.calls.models import (
    AttachmentRequirement,
    CallApplicantType,
    CallLeadCountry,
    CallStatus,
    Dialogue,
    JvapDomain,
)
from portal.core.db import utcnow
from portal.extensions import db
from tests.calls.helpers import count_statements

UTC = dt.UTC
NNBSP = "\u202f"


@pytest.fixture
def catalogue(make_call, session):
    """Five calls: open (Rabat, domain 2, Senegal), open (Khartoum, domain 3, Ethiopia), upcoming (Rabat, Mali),
    closed (Rabat, Senegal), in evaluation (Khartoum, Kenya), and a draft nobody outside sees."""
    now = utcnow()
    dialogues = {d.code: d for d in session.scalars(select(Dialogue))}
    domains = {d.number: d for d in session.scalars(select(JvapDomain))}

    def make(title, dialogue, domain, country, **kw):
        call = make_call(title=title, countries=(country,), **kw)
        call.dialogues = [dialogues[dialogue]]
        call.domains = [domains[domain]]
        session.commit()
        return call

    return {
        "open_rabat": make("Open Rabat call", "rabat", 2, "SN"),
        "open_khartoum": make("Open Khartoum call", "khartoum", 3, "ET"),
        "upcoming": make(
            "Upcoming Rabat call",
            "rabat",
            2,
            "ML",
            opens_at=now + dt.timedelta(days=3),
            closes_at=now + dt.timedelta(days=40),
        ),
        "closed": make(
            "Closed Rabat call",
            "rabat",
            1,
            "SN",
            opens_at=now - dt.timedelta(days=60),
            closes_at=now - dt.timedelta(days=1),
        ),
        "evaluation": make(
            "Evaluated Khartoum call",
            "khartoum",
            3,
            "KE",
            status=CallStatus.EVALUATION,
            opens_at=now - dt.timedelta(days=90),
            closes_at=now - dt.timedelta(days=30),
        ),
        "draft": make("Secret draft call", "rabat", 2, "SN", status=CallStatus.DRAFT),
    }


def _titles(page):
    return [
        t
        for t in ("Open Rabat", "Open Khartoum", "Upcoming Rabat", "Closed Rabat", "Evaluated Khartoum", "Secret draft")
        if f"{t} call" in page
    ]


@pytest.mark.parametrize(
    ("query", "expected", "count"),
    [
        ("", ["Open Rabat", "Open Khartoum", "Upcoming Rabat", "Closed Rabat", "Evaluated Khartoum"], "5 calls."),
        ("?phase=open", ["Open Rabat", "Open Khartoum"], "2 calls match these filters."),
        ("?phase=upcoming", ["Upcoming Rabat"], "1 call matches these filters."),
        ("?phase=closed", ["Closed Rabat", "Evaluated Khartoum"], "2 calls match these filters."),
        ("?dialogue=rabat", ["Open Rabat", "Upcoming Rabat", "Closed Rabat"], "3 calls match these filters."),
        ("?domain=3", ["Open Khartoum", "Evaluated Khartoum"], "2 calls match these filters."),
        ("?country=SN", ["Open Rabat", "Closed Rabat"], "2 calls match these filters."),
        ("?country=sn&phase=closed&dialogue=rabat", ["Closed Rabat"], "1 call matches these filters."),
        ("?phase=open&dialogue=rabat&domain=3", [], "0 calls match these filters."),
        (
            "?phase=&dialogue=&domain=&country=",
            ["Open Rabat", "Open Khartoum", "Upcoming Rabat", "Closed Rabat", "Evaluated Khartoum"],
            "5 calls.",
        ),
    ],
)
def test_filters_combine_and_the_page_says_how_many_match(client, catalogue, query, expected, count):
    response = client.get(f"/calls{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _titles(page) == expected
    assert count in page


def test_the_filters_are_kept_in_the_form(client, catalogue):
    page = client.get("/calls?phase=closed&dialogue=rabat&domain=1&country=SN").get_data(as_text=True)
    assert '<option value="closed" selected>' in page
    assert '<option value="rabat" selected>' in page
    assert '<option value="1" selected>' in page
    assert '<option value="SN" selected>Senegal</option>' in page
    assert 'method="get"' in page and "Show all calls" in page
    assert "No call matches these filters." not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?phase=soon", "“soon” is not a status a call can have; choose open, upcoming or closed."),
        ("?dialogue=atlantis", "There is no dialogue “atlantis”; choose one from the list."),
        ("?domain=9", "There is no JVAP domain “9”; choose one from the list."),
        ("?domain=99999999999999999999", "There is no JVAP domain “99999999999999999999”; choose one from the list."),
        ("?country=ZZ", "“ZZ” is not a country code; choose a country from the list."),
    ],
)
def test_a_bad_filter_says_what_is_wrong_and_is_ignored(client, catalogue, query, message):
    response = client.get(f"/calls{query}&country=SN" if "country" not in query else f"/calls{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page.replace("&#34;", '"')
    assert "Some filters were not understood and are ignored" in page


def test_the_list_runs_the_same_number_of_queries_whatever_the_number_of_calls(client, make_call):
    for _ in range(2):
        make_call()
    with count_statements() as few:
        assert client.get("/calls?phase=open&dialogue=rabat").status_code == 200
    for _ in range(6):
        make_call()
    with count_statements() as many:
        page = client.get("/calls?phase=open&dialogue=rabat").get_data(as_text=True)
    assert "8 calls match these filters." in page
    assert len(many) == len(few)


def test_the_public_page_shows_every_rule_applicants_need(client, login, make_call, make_user, session):
    call = make_call(
        title="Rules call",
        budget_envelope=Decimal("2000000.00"),
        min_grant=Decimal("60000.00"),
        max_grant=Decimal("250000.00"),
        min_duration_months=12,
        max_duration_months=24,
        min_cofinancing_pct=Decimal("15.00"),
        max_indirect_cost_pct=Decimal("7.00"),
        max_amount_change_pct=Decimal("20.00"),
        summary_word_limit=250,
        min_co_applicants=1,
        max_co_applicants=3,
        require_african_member=True,
        eu_lead_needs_african_co_applicant=True,
        procedure="two_stage",
        closes_at=dt.datetime(2031, 1, 10, 11, 0, tzinfo=UTC),
        full_application_closes_at=dt.datetime(2031, 5, 15, 10, 0, tzinfo=UTC),
        guidelines="Guidelines text for applicants.",
    )
    call.applicant_type_rows = [CallApplicantType(organisation_type="diaspora")]
    call.lead_country_rows = [CallLeadCountry(country_code="FR"), CallLeadCountry(country_code="SN")]
    call.attachment_requirements = [
        AttachmentRequirement(kind="statutes", required=True, stage="full_application", position=0),
        AttachmentRequirement(
            kind="support_letter", label="Letter from the municipality", required=False, stage="any", position=1
        ),
    ]
    db.session.commit()
    login(client, make_user("applicant", timezone="Africa/Dakar"))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    for text in (
        "€2,000,000.00",
        "€60,000.00 to €250,000.00",
        "12 months to 24 months",
        "The consortium brings at least 15% of the total budget; the facility funds at most 85%.",
        "At most 7% of the direct costs.",
        "Diaspora organisation",
        "France",
        "From 1 to 3 co-applicants.",
        "At least one organisation of the consortium must be based in an African Union member state.",
        "A lead applicant based in the European Union needs at least one co-applicant based in Africa.",
        "Two stages: a concept note, then a full application by invitation",
        "by at most 20%.",
        "At most 250 words.",
        "Concept-note deadline",
        f"Jan 10, 2031, 12:00:00{NNBSP}PM (Europe/Brussels)",
        f"Your time: Jan 10, 2031, 11:00:00{NNBSP}AM (Africa/Dakar)",
        "Full-application deadline",
        f"May 15, 2031, 12:00:00{NNBSP}PM (Europe/Brussels)",
        f"Your time: May 15, 2031, 10:00:00{NNBSP}AM (Africa/Dakar)",
        "Statutes",
        "Letter from the municipality",
        "(optional",
        "Guidelines text for applicants.",
        "Questions and answers",
        "Documents",
    ):
        assert text in page, text


def test_a_call_open_to_all_says_so(client, make_call):
    call = make_call(min_cofinancing_pct=Decimal("0"), max_co_applicants=0)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Not required: the facility may fund up to 100% of the action." in page
    assert "Every type of organisation." in page and "Any country." in page
    assert "No co-applicants: the lead applicant applies alone" in page
