"""The call form holds every rule of a call; each broken rule has a message with the exact figures, and what was
typed is kept."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from portal.calls.labels import AU_REGIONS
from portal.calls.models import CallStatus
from portal.core import countries
from portal.proposals.models import ProposalStatus
from tests.calls.helpers import audit_entries, call_by_reference

UTC = dt.UTC
NNBSP = "\u202f"


def _requirements(*rows):
    """Form data for requirement rows: (kind, label, required "1"/"0", stage)."""
    data = {}
    for i, (kind, label, required, stage) in enumerate(rows):
        data[f"requirements-{i}-kind"] = kind
        data[f"requirements-{i}-label"] = label
        data[f"requirements-{i}-required"] = required
        data[f"requirements-{i}-stage"] = stage
    return data


def test_every_rule_of_a_call_is_saved(client, login, manager, call_form, session):
    login(client, manager)
    data = call_form(
        guidelines="Read the full guidelines before applying.",
        min_duration_months="12",
        max_duration_months="30",
        min_cofinancing_pct="0",
        max_indirect_cost_pct="7,5",
        max_amount_change_pct="15",
        summary_word_limit="250",
        min_co_applicants="1",
        max_co_applicants="4",
        require_african_member="y",
        eu_lead_needs_african_co_applicant="y",
        applicant_types=["ngo", "diaspora"],
        lead_countries=["SN", "FR", "BE"],
        themes=["diaspora", "remittances"],
        procedure="two_stage",
        closes_at="2030-03-15T12:00",
        full_application_closes_at="2030-06-30T12:00",
        questions_close_at="2030-03-01T17:00",
        **_requirements(
            ("statutes", "", "1", "full_application"),
            ("support_letter", "Letter from a local authority", "0", "concept_note"),
            ("other", "Organigramme", "1", "any"),
        ),
    )
    response = client.post("/manage/calls/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    call = call_by_reference(session)
    assert call.guidelines == "Read the full guidelines before applying."
    assert (call.min_duration_months, call.max_duration_months) == (12, 30)
    assert call.min_cofinancing_pct == Decimal("0.00")
    assert call.max_indirect_cost_pct == Decimal("7.50")
    assert call.max_amount_change_pct == Decimal("15.00")
    assert call.summary_word_limit == 250
    assert (call.min_co_applicants, call.max_co_applicants) == (1, 4)
    assert call.require_african_member and call.eu_lead_needs_african_co_applicant
    assert call.applicant_types == ["diaspora", "ngo"]
    assert call.lead_countries == ["BE", "FR", "SN"]
    assert call.themes == ["diaspora", "remittances"]
    assert call.is_two_stage
    assert call.full_application_closes_at == dt.datetime(2030, 6, 30, 10, 0, tzinfo=UTC)  # summer time
    assert call.questions_close_at == dt.datetime(2030, 3, 1, 16, 0, tzinfo=UTC)
    assert [(r.kind, r.label, r.required, r.stage, r.position) for r in call.attachment_requirements] == [
        ("statutes", "", True, "full_application", 0),
        ("support_letter", "Letter from a local authority", False, "concept_note", 1),
        ("other", "Organigramme", True, "any", 2),
    ]
    after = audit_entries(session, "call.created")[-1].after
    assert after["lead_countries"] == ["BE", "FR", "SN"] and after["max_indirect_cost_pct"] == "7.50"
    assert after["requirements"][1] == {
        "kind": "support_letter",
        "label": "Letter from a local authority",
        "required": False,
        "stage": "concept_note",
    }

    # The edit form shows it all back, with three empty requirement rows after the three in use.
    page = client.get(f"/manage/calls/{call.id}/edit").get_data(as_text=True)
    assert 'value="2030-06-30T12:00"' in page and 'value="2030-03-01T17:00"' in page
    assert 'value="7.50"' in page and 'value="Organigramme"' in page
    assert 'name="requirements-5-kind"' in page and 'name="requirements-6-kind"' not in page
    assert re.search(r'id="lead_countries-FR"[^>]*checked', page)
    assert not re.search(r'id="lead_countries-DE"[^>]*checked', page)


def test_requirement_rows_keep_their_ids_and_an_emptied_row_is_removed(client, login, manager, call_form, session):
    login(client, manager)
    rows = (("statutes", "", "1", "any"), ("cv", "CV of the team leader", "1", "any"))
    client.post("/manage/calls/new", data=call_form(**_requirements(*rows)))
    call = call_by_reference(session)
    first_id = call.attachment_requirements[0].id
    data = call_form(
        version=str(call.version_id),
        **_requirements(("statutes", "Statutes (signed)", "0", "any"), ("", "", "1", "any")),
    )
    assert client.post(f"/manage/calls/{call.id}/edit", data=data).status_code == 302
    call = call_by_reference(session)
    assert [(r.id, r.label, r.required) for r in call.attachment_requirements] == [
        (first_id, "Statutes (signed)", False)
    ]
    entry = audit_entries(session, "call.updated")[-1]
    assert len(entry.before["requirements"]) == 2 and len(entry.after["requirements"]) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"min_duration_months": "24", "max_duration_months": "12"},
            "The minimum duration (24 months) is above the maximum duration (12 months).",
        ),
        ({"min_duration_months": "0"}, "The minimum duration must be at least 1 month."),
        ({"max_duration_months": "twelve"}, "Enter a whole number, for example 12."),
        ({"max_duration_months": "121"}, "The maximum duration may be at most 120 months."),
        (
            {"min_cofinancing_pct": "100"},
            "The minimum co-financing rate (100%) must be at least 0% and below 100%; "
            "0 lets the facility fund up to 100% of the action.",
        ),
        ({"max_indirect_cost_pct": "107.5"}, "The maximum indirect-cost rate (107.5%) must be between 0% and 100%."),
        ({"max_indirect_cost_pct": "seven"}, "Enter a percentage, for example 7 or 7.5."),
        ({"max_indirect_cost_pct": "7.125"}, "Enter a percentage with at most two decimals."),
        # found by tests/fuzz: a finite Decimal too large to round to cents was a server error
        ({"max_indirect_cost_pct": "1e309"}, "Enter a percentage, for example 7 or 7.5."),
        ({"min_cofinancing_pct": "-99999999999999999999999999"}, "Enter a percentage, for example 7 or 7.5."),
        ({"min_cofinancing_pct": ""}, "Enter the minimum co-financing rate (0 if none is required)."),
        (
            {"max_amount_change_pct": "150"},
            "The maximum change of the requested amount (150%) must be between 0% and 100%.",
        ),
        ({"summary_word_limit": "0"}, "The word limit of the summary (0) must be between 1 and 5,000."),
        (
            {"min_co_applicants": "3", "max_co_applicants": "2"},
            "The maximum number of co-applicants (2) is below the minimum (3).",
        ),
        ({"min_co_applicants": "-1"}, "The minimum number of co-applicants cannot be negative."),
        (
            {"max_co_applicants": "0", "eu_lead_needs_african_co_applicant": "y"},
            "An EU-based lead cannot be asked for an African co-applicant when the call admits no co-applicants "
            "(maximum 0).",
        ),
        ({"procedure": "two_stage"}, "A two-stage call needs the deadline of the full applications."),
        (
            {"procedure": "two_stage", "full_application_closes_at": "2030-03-10T12:00"},
            f"The full-application deadline (Mar 10, 2030, 12:00:00{NNBSP}PM (Europe/Brussels)) must come after the "
            f"concept-note deadline (Mar 15, 2030, 12:00:00{NNBSP}PM (Europe/Brussels)).",
        ),
        (
            {"full_application_closes_at": "2030-06-30T12:00"},
            "A single-stage call has one deadline: leave the full-application deadline empty, or choose the "
            "two-stage procedure.",
        ),
        (
            {"questions_close_at": "2030-03-16T12:00"},
            f"Questions must close (Mar 16, 2030, 12:00:00{NNBSP}PM (Europe/Brussels)) no later than the deadline "
            f"(Mar 15, 2030, 12:00:00{NNBSP}PM (Europe/Brussels)).",
        ),
        ({"procedure": "three_stage"}, "Choose a procedure from the list."),
        ({"lead_countries": ["SN", "XX"]}, "Choose countries from the list."),
        ({"applicant_types": ["ngo", "church"]}, "Choose types of organisation from the list."),
        ({"themes": ["weather"]}, "Choose priorities from the list."),
        (
            {"max_grant": "250000", "budget_envelope": "200000", "min_grant": "50000"},
            "The maximum grant (€250,000.00) is above the budget envelope (€200,000.00).",
        ),
        (
            _requirements(("other", "", "1", "any")),
            "Row 1: say which document you ask for (a label is needed for “Other”).",
        ),
        (
            _requirements(("cv", "", "1", "any"), ("statutes", "", "1", "concept_note")),
            "Row 2: a single-stage call has no concept note; ask for the document at the full application or at "
            "every stage.",
        ),
        (_requirements(("passport", "", "1", "any")), "Row 1: choose a document from the list."),
    ],
)
def test_rules_have_messages_with_the_figures_and_keep_what_was_typed(
    client, login, manager, call_form, session, overrides, message
):
    login(client, manager)
    response = client.post("/manage/calls/new", data=call_form(title="My typed title", **overrides))
    page = response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")
    assert response.status_code == 422
    assert message in page
    assert 'value="My typed title"' in page
    assert call_by_reference(session) is None


def test_a_refused_requirement_row_keeps_what_was_typed_and_is_marked(client, login, manager, call_form):
    login(client, manager)
    data = call_form(**_requirements(("cv", "Team CVs", "0", "any"), ("other", "", "1", "any")))
    page = client.post("/manage/calls/new", data=data).get_data(as_text=True)
    assert 'value="Team CVs"' in page
    assert re.search(r'<option selected value="0">Optional', page) or re.search(
        r'<option value="0" selected>Optional', page
    )
    assert '<tr class="field-error">' in page


def test_countries_are_ticks_grouped_by_region_without_inline_script(client, login, manager):
    login(client, manager)
    page = client.get("/manage/calls/new").get_data(as_text=True)
    assert "<select multiple" not in page and "Ctrl" not in page
    for heading in ("Northern Africa", "Western Africa", "Central Africa", "Eastern Africa", "Southern Africa"):
        assert heading in page
    assert "European Union" in page and "Other countries" in page
    assert 'id="countries-SN" name="countries" value="SN" data-union="au"' in page
    assert 'id="lead_countries-FR" name="lead_countries" value="FR" data-union="eu"' in page
    # The helpers are hidden until the script (a file, not inline) shows them.
    assert "data-picker-tools hidden" in page
    assert "/static/js/country_picker.js" in page
    assert not re.search(r"\son[a-z]+=", page)


def test_the_five_au_regions_hold_the_55_members():
    codes = [code for _key, _label, members in AU_REGIONS for code in members]
    assert len(codes) == 55 and frozenset(codes) == countries.AFRICAN_UNION


def test_the_country_script_is_served(client):
    response = client.get("/static/js/country_picker.js")
    assert response.status_code == 200
    assert b"data-picker-select" in response.data


def test_a_published_call_without_submissions_takes_every_change(
    client, login, manager, make_call, make_proposal, call_form, session
):
    call = make_call(reference="CFP-OPEN2")
    make_proposal(call)  # a draft does not freeze the rules
    login(client, manager)
    data = call_form(reference="CFP-OPEN2", max_indirect_cost_pct="5", closes_at="2031-01-15T12:00")
    assert client.post(f"/manage/calls/{call.id}/edit", data=data).status_code == 302
    session.expire_all()
    assert call.max_indirect_cost_pct == Decimal("5.00")


def test_submitted_under_an_evaluation_call_nothing_changes(client, login, manager, make_call, call_form, session):
    call = make_call(reference="CFP-EVAL", status=CallStatus.EVALUATION)
    login(client, manager)
    response = client.post(f"/manage/calls/{call.id}/edit", data=call_form(reference="CFP-EVAL"), follow_redirects=True)
    assert "This call is in evaluation or later; its terms can no longer change." in response.get_data(as_text=True)


def test_submitted_proposal_count_ignores_drafts(make_call, make_proposal, session):
    from portal.calls import queries

    call = make_call()
    make_proposal(call)
    make_proposal(call, status=ProposalStatus.WITHDRAWN)
    assert queries.submitted_proposal_count(call) == 1


def test_a_new_call_starts_from_the_usual_figures(client, login, manager):
    login(client, manager)
    page = client.get("/manage/calls/new").get_data(as_text=True)
    assert re.search(r'id="max_indirect_cost_pct"[^>]*value="7.00"', page)
    assert re.search(r'id="min_cofinancing_pct"[^>]*value="10.00"', page)
    assert re.search(r'id="max_duration_months"[^>]*value="36"', page)
    assert re.search(r'id="summary_word_limit"[^>]*value="300"', page)
    assert re.search(r'id="procedure-0"[^>]*checked', page) or re.search(r'checked[^>]*id="procedure-0"', page)


def test_a_cleared_figure_is_asked_for_again(client, login, manager, call_form, session):
    login(client, manager)
    response = client.post("/manage/calls/new", data=call_form(max_indirect_cost_pct="", summary_word_limit=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the maximum indirect-cost rate." in page and "Enter the word limit of the summary." in page
