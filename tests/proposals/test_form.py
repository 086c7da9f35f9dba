"""The sectioned proposal form: each section saved alone through its version, every rule's message, nothing lost
on a refused save, the JSON autosave, repeatable groups without JavaScript, the check page and the overview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.proposals.models import PartnerRole, PartnerStatus, Proposal, ProposalPartner
from portal.proposals.operations import ProposalError, save_section, validate_for_submission
from portal.proposals.sections import section_row, section_version
from tests.proposals.filling import budget_posts, fill_sections, form_posts

JSON = {"Accept": "application/json"}


def _reload(session, proposal_id) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal_id)


def _url(proposal, key) -> str:
    return f"/proposals/{proposal.id}/sections/{key}"


def _post(client, proposal, key, data, version=None, headers=None):
    body = {"version": str(section_version(proposal, key) if version is None else version), **data}
    return client.post(_url(proposal, key), data=body, headers=headers or {})


@pytest.fixture
def lead(client, login, applicant):
    return login(client, applicant)


# -- every section saves, and a complete form can be submitted ----------------------------------------------------


def test_every_section_page_saves_and_the_form_becomes_complete(lead, draft, session):
    posts = form_posts(draft)
    for key in (
        "identification",
        "summary",
        "relevance",
        "logframe",
        "countries",
        "target_groups",
        "risks",
        "sustainability",
        "declarations",
    ):
        assert lead.get(_url(draft, key)).status_code == 200, key
        response = _post(lead, _reload(session, draft.id), key, posts[key])
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:3000])
    proposal = _reload(session, draft.id)
    uid = section_row(proposal, "logframe").data["activities"][0]["uid"]
    page = lead.get(_url(proposal, "workplan")).get_data(as_text=True)
    assert f'value="{uid}:18"' in page and f'value="{uid}:19"' not in page  # 18 months
    assert _post(lead, proposal, "workplan", {"plan": [f"{uid}:1", f"{uid}:2"]}).status_code == 302
    budget = {"version": "0", **budget_posts(Decimal("120000.00"))}
    assert lead.post(f"/proposals/{draft.id}/budget", data=budget).status_code == 302
    proposal = _reload(session, draft.id)
    assert validate_for_submission(proposal) == []
    assert [c.share_pct for c in proposal.country_rows] == [Decimal("40.00"), Decimal("60.00")]
    assert section_row(proposal, "workplan").data == {"months": {uid: [1, 2]}}
    declarations = section_row(proposal, "declarations").data
    assert declarations["declared_by_id"] == proposal.created_by_id and declarations["declared_at"]
    page = lead.get(f"/proposals/{draft.id}/check").get_data(as_text=True)
    assert "Your proposal is complete" in page and f"/proposals/{draft.id}/submit" in page
    assert lead.post(f"/proposals/{draft.id}/submit").status_code == 302
    assert _reload(session, draft.id).status == "submitted"


# -- the rules, each with the message the user reads -------------------------------------------------------------


def _words(n: int) -> str:
    return " ".join(["word"] * n)


def test_summary_word_limit_at_the_boundary(lead, draft, session):
    assert _post(lead, draft, "summary", {"summary": _words(300)}).status_code == 302
    assert _reload(session, draft.id).summary == _words(300)
    proposal = _reload(session, draft.id)
    response = _post(lead, proposal, "summary", {"summary": _words(301)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The summary has 301 words; the limit is 300." in page
    assert _words(301) in page  # kept in the form
    assert _reload(session, draft.id).summary == _words(300)  # nothing saved


def test_summary_limit_is_the_calls(lead, make_call, make_proposal, applicant, session):
    call = make_call(summary_word_limit=20)
    proposal = make_proposal(call, organisation=applicant.organisations[0], created_by=applicant)
    page = lead.get(_url(proposal, "summary")).get_data(as_text=True)
    assert 'data-word-limit="20"' in page and "At most 20 words" in page
    assert "0 of 20 words" not in page  # the saved summary is counted
    response = _post(lead, proposal, "summary", {"summary": _words(21)})
    assert "The summary has 21 words; the limit is 20." in response.get_data(as_text=True)


def test_relevance_word_limits(lead, draft, session):
    ok = {"objectives": _words(500), "dialogues": "x", "domains": "y"}
    assert _post(lead, draft, "relevance", ok).status_code == 302
    response = _post(lead, _reload(session, draft.id), "relevance", {**ok, "dialogues": _words(401)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“Relevance to the dialogues” has 401 words; the limit is 400." in page
    assert section_row(_reload(session, draft.id), "relevance").data["dialogues"] == "x"


def test_identification_rules(lead, draft, session, make_call):
    posts = form_posts(draft)["identification"]
    response = _post(lead, draft, "identification", {**posts, "duration_months": "40", "start_month": "Sept"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The duration must be between 6 and 36 months under this call." in page
    assert "Enter the month as YYYY-MM, for example 2026-09." in page
    assert 'value="40"' in page and 'value="Sept"' in page
    response = _post(lead, draft, "identification", {**posts, "jvap_domain_id": "999999", "duration_months": "x"})
    page = response.get_data(as_text=True)
    assert "Choose one of the call" in page and "s JVAP domains." in page
    assert "Enter a whole number of months, for example 18." in page
    response = _post(lead, draft, "identification", {**posts, "duration_months": "36"})
    assert response.status_code == 302
    proposal = _reload(session, draft.id)
    assert proposal.duration_months == 36
    assert [str(d.id) for d in proposal.dialogues] == posts["dialogue_ids"]
    assert section_row(proposal, "identification").data == {"start_month": "2026-09"}


def test_a_refused_save_keeps_everything_and_links_the_summary_to_the_fields(lead, draft, session):
    posts = form_posts(draft)["target_groups"]
    response = _post(
        lead, draft, "target_groups", {**posts, "target_groups_number": "-5", "final_beneficiaries_number": "many"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#target_groups_number">' in page and '<a href="#final_beneficiaries_number">' in page
    assert "Enter a whole number of people from 0 upwards." in page
    assert "Enter a whole number of people, for example 250." in page
    assert "Diaspora associations." in page and 'value="many"' in page
    assert section_row(_reload(session, draft.id), "target_groups") is None  # the whole section was refused


def test_logframe_activity_must_link_to_an_existing_output(lead, draft, session):
    posts = {**form_posts(draft)["logframe"], "activities-0-output": "2.1"}
    page = _post(lead, draft, "logframe", posts).get_data(as_text=True)
    assert "Activity 1 is linked to output 2.1, which does not exist." in page
    assert section_row(_reload(session, draft.id), "logframe") is None


def test_workplan_refuses_months_beyond_the_duration(lead, draft, session):
    fill_sections(draft, draft.created_by, keys=["identification", "logframe"])
    proposal = _reload(session, draft.id)
    uid = section_row(proposal, "logframe").data["activities"][0]["uid"]
    response = _post(lead, proposal, "workplan", {"plan": [f"{uid}:2", f"{uid}:19"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Month 19 is beyond the duration of the project (18 months)." in page
    assert f'value="{uid}:19"' in page and f'value="{uid}:2" id=' in page  # kept, the 19th as a hidden value
    assert section_row(_reload(session, draft.id), "workplan") is None
    # Shortening the duration afterwards makes the saved plan invalid: the check says so.
    assert _post(lead, proposal, "workplan", {"plan": [f"{uid}:12"]}).status_code == 302
    proposal = _reload(session, draft.id)
    proposal.duration_months = 10
    assert (
        "workplan#plan-" + uid,
        "“Training sessions” is planned in month 12, beyond the duration of the project (10 months).",
    ) in validate_for_submission(proposal)


def test_country_shares_must_add_up_to_100(lead, draft, session):
    response = _post(lead, draft, "countries", {"countries": ["SN", "ML"], "share-SN": "60", "share-ML": "35"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The shares add up to 95%; they must add up to 100%." in page
    assert 'value="60"' in page and 'value="35"' in page
    assert "Total: 95%" in page
    response = _post(lead, draft, "countries", {"countries": ["SN", "ML"], "share-SN": "60,5", "share-ML": "39.5"})
    assert response.status_code == 302
    proposal = _reload(session, draft.id)
    assert {c.country_code: c.share_pct for c in proposal.country_rows} == {
        "ML": Decimal("39.50"),
        "SN": Decimal("60.50"),
    }


def test_country_rules(lead, draft, session):
    page = _post(lead, draft, "countries", {"countries": ["SN", "FR"], "share-SN": "100"}).get_data(as_text=True)
    assert "Choose countries from the list of the call&#39;s eligible countries." in page
    page = _post(lead, draft, "countries", {"countries": ["SN"], "share-SN": "lots", "share-NE": "10"}).get_data(
        as_text=True
    )
    assert "Enter the share as a number of percent, for example 25 or 12.5." in page
    assert "Tick the country, or clear its share." in page
    page = _post(lead, draft, "countries", {"countries": ["SN", "ML"], "share-SN": "0", "share-ML": "100"}).get_data(
        as_text=True
    )
    assert "Enter a share above 0 and at most 100, for example 25 or 12.5." in page
    # Incomplete shares can be saved in a draft; the check asks for the rest, and more than 100 is refused at once.
    page = _post(lead, draft, "countries", {"countries": ["SN", "ML"], "share-SN": "120"}).get_data(as_text=True)
    assert "The shares add up to 120%; they must add up to 100%." in page
    assert _post(lead, draft, "countries", {"countries": ["SN", "ML"], "share-SN": "70"}).status_code == 302
    assert ("countries#share-ML", "Enter the share of activity in Mali.") in validate_for_submission(
        _reload(session, draft.id)
    )
    # Search without JavaScript: every eligible country is listed, with its checkbox.
    page = lead.get(_url(draft, "countries")).get_data(as_text=True)
    for code in ("SN", "ML", "NE", "GH", "MA"):
        assert f'id="country-{code}"' in page
    assert 'type="search"' in page


def test_risk_levels_are_checked(lead, draft, session):
    posts = {**form_posts(draft)["risks"], "risks-0-likelihood": "extreme"}
    page = _post(lead, draft, "risks", posts).get_data(as_text=True)
    assert "Choose low, medium or high." in page


def test_declarations_record_who_declared_and_when(lead, draft, session, applicant):
    assert _post(lead, draft, "declarations", form_posts(draft)["declarations"]).status_code == 302
    data = section_row(_reload(session, draft.id), "declarations").data
    assert data["declared_by_id"] == applicant.id and data["declared_by"] == applicant.display_name
    page = lead.get(_url(draft, "declarations")).get_data(as_text=True)
    assert f"Declared by {applicant.display_name} on" in page
    # Unticking one declaration withdraws it.
    posts = {**form_posts(draft)["declarations"]}
    posts.pop("accurate")
    assert _post(lead, _reload(session, draft.id), "declarations", posts).status_code == 302
    proposal = _reload(session, draft.id)
    assert "declared_at" not in section_row(proposal, "declarations").data
    assert ("declarations#accurate", "Make every declaration: tick each box.") in validate_for_submission(proposal)


# -- two people, one section: told, never overwritten ---------------------------------------------------------------


def test_a_stale_section_save_is_refused_and_keeps_the_values(app, login, applicant, make_user, draft, session):
    colleague = make_user("applicant")
    from portal.organisations.models import Membership

    session.add(Membership(user=colleague, organisation=applicant.organisations[0]))
    session.commit()
    mine, theirs = login(app.test_client(), applicant), login(app.test_client(), colleague)
    opened = section_version(draft, "summary")  # both open the summary at the same version
    assert _post(theirs, draft, "summary", {"summary": "Colleague's words."}, version=opened).status_code == 302
    response = _post(mine, draft, "summary", {"summary": "My own words."}, version=opened)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved the section “Summary” since you opened it. Nothing was overwritten" in page
    assert "My own words." in page
    assert f'href="/proposals/{draft.id}/sections/summary"' in page and "Open the latest version" in page
    assert _reload(session, draft.id).summary == "Colleague's words."
    # Different sections at the same time: both succeed.
    risks_version, relevance_version = section_version(draft, "risks"), section_version(draft, "relevance")
    assert _post(mine, draft, "risks", form_posts(draft)["risks"], version=risks_version).status_code == 302
    relevance = form_posts(draft)["relevance"]
    assert _post(theirs, draft, "relevance", relevance, version=relevance_version).status_code == 302
    proposal = _reload(session, draft.id)
    assert section_row(proposal, "risks").updated_by_id == applicant.id
    assert section_row(proposal, "relevance").updated_by_id == colleague.id
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.section_saved")).all()
    assert {e.after["section"] for e in entries} >= {"summary", "risks", "relevance"}


def test_save_section_operation_refuses_a_stale_version(rq, session, applicant, draft):
    save_section(draft, "risks", {"risks": []}, by=applicant, expected_version=0)
    session.flush()
    with pytest.raises(ProposalError, match="Someone else saved the section “Risks and mitigation”"):
        save_section(draft, "risks", {"risks": []}, by=applicant, expected_version=0)


# -- the autosave's JSON answers -------------------------------------------------------------------------------------


def test_autosave_json_200_409_422(app, lead, draft, session):
    response = _post(lead, draft, "summary", {"summary": "First words."}, version=0, headers=JSON)
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == 1 and body["saved_at"] and body["message"].startswith("Saved at ")
    # The same form saved again with its new version: fine.
    response = _post(lead, draft, "summary", {"summary": "Second words."}, version=1, headers=JSON)
    assert response.status_code == 200 and response.get_json()["version"] == 2
    # A form still at version 1: stale, nothing written.
    response = _post(lead, draft, "summary", {"summary": "Stale words."}, version=1, headers=JSON)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "stale" and "Nothing was overwritten" in body["message"]
    assert body["latest_url"] == f"/proposals/{draft.id}/sections/summary"
    assert _reload(session, draft.id).summary == "Second words."
    # Invalid: the problems, tied to their fields.
    response = _post(lead, draft, "summary", {"summary": _words(301)}, version=2, headers=JSON)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "summary", "message": "The summary has 301 words; the limit is 300."}
    ]
    assert _reload(session, draft.id).summary == "Second words."


def test_autosave_gives_new_activities_their_ids(lead, draft, session):
    response = _post(lead, draft, "logframe", form_posts(draft)["logframe"], headers=JSON)
    assert response.status_code == 200
    uid = section_row(_reload(session, draft.id), "logframe").data["activities"][0]["uid"]
    assert response.get_json()["updates"] == {"activities-0-uid": uid}
    # The next autosave carries the id: the activity keeps it.
    posts = {**form_posts(draft)["logframe"], "activities-0-uid": uid, "activities-0-title": "Training, renamed"}
    assert _post(lead, _reload(session, draft.id), "logframe", posts, headers=JSON).get_json()["updates"] == {}
    assert section_row(_reload(session, draft.id), "logframe").data["activities"][0]["uid"] == uid


# -- repeatable groups without JavaScript ---------------------------------------------------------------------------


def test_add_and_remove_groups_without_javascript(lead, draft, session):
    posts = {**form_posts(draft)["logframe"], "action": "add:objectives"}
    response = _post(lead, draft, "logframe", posts)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="objectives-1-text"' in page and 'name="objectives-1-outputs-0-indicators-0-target"' in page
    assert "Diaspora associations invest in local enterprises." in page and "Attendance lists" in page  # kept
    assert "Not saved yet" in page
    assert section_row(_reload(session, draft.id), "logframe") is None
    # An output under the first objective, an indicator under its first output.
    for action, name in (
        ("add:objectives-0-outputs", "objectives-0-outputs-1-text"),
        ("add:objectives-0-outputs-0-indicators", "objectives-0-outputs-0-indicators-1-baseline"),
        ("add:activities", "activities-1-title"),
    ):
        page = _post(lead, draft, "logframe", {**form_posts(draft)["logframe"], "action": action}).get_data(
            as_text=True
        )
        assert f'name="{name}"' in page, action
    # The second objective typed in, then removed: the first stays.
    posts = {
        **form_posts(draft)["logframe"],
        "objectives-1-text": "A second objective",
        "action": "remove:objectives-1",
    }
    page = _post(lead, draft, "logframe", posts).get_data(as_text=True)
    assert "A second objective" not in page and "Diaspora associations invest" in page
    # Saved with two objectives: both kept, the blank groups left out.
    posts = {
        **form_posts(draft)["logframe"],
        "objectives-1-text": "A second objective",
        "objectives-1-outputs-0-text": "",
    }
    assert _post(lead, draft, "logframe", posts).status_code == 302
    data = section_row(_reload(session, draft.id), "logframe").data
    assert [o["text"] for o in data["objectives"]] == [
        "Diaspora associations invest in local enterprises.",
        "A second objective",
    ]
    assert data["objectives"][1]["outputs"] == []


def test_risks_are_a_repeatable_list(lead, draft, session):
    posts = {
        **form_posts(draft)["risks"],
        "risks-1-risk": "Currency changes",
        "risks-1-likelihood": "high",
        "risks-1-impact": "low",
        "risks-1-mitigation": "Budget in EUR.",
        "action": "add:risks",
    }
    page = _post(lead, draft, "risks", posts).get_data(as_text=True)
    assert 'name="risks-2-risk"' in page and "Currency changes" in page
    posts.pop("action")
    assert _post(lead, draft, "risks", posts).status_code == 302
    assert [r["risk"] for r in section_row(_reload(session, draft.id), "risks").data["risks"]] == [
        "Delays",
        "Currency changes",
    ]


# -- co-applicants edit the sections the lead gave them ------------------------------------------------------------


@pytest.fixture
def co_applicant(make_user, make_org, draft, session):
    user = make_user("applicant")
    org = make_org(members=[user], country="BE")
    session.add(
        ProposalPartner(
            proposal=draft,
            organisation=org,
            role=PartnerRole.CO_APPLICANT,
            status=PartnerStatus.ACCEPTED,
            editable_sections=["risks"],
        )
    )
    session.commit()
    return user


def test_a_co_applicant_edits_only_its_sections(client, login, co_applicant, draft, session):
    login(client, co_applicant)
    assert client.get(_url(draft, "risks")).status_code == 200
    assert _post(client, draft, "risks", form_posts(draft)["risks"]).status_code == 302
    assert section_row(_reload(session, draft.id), "risks").updated_by_id == co_applicant.id
    assert client.get(_url(draft, "summary")).status_code == 403
    assert _post(client, draft, "summary", {"summary": "Hijack"}).status_code == 403
    assert _post(client, draft, "summary", {"summary": "Hijack"}, headers=JSON).status_code == 403
    assert _reload(session, draft.id).summary != "Hijack"
    page = client.get(f"/proposals/{draft.id}/sections").get_data(as_text=True)
    assert f'href="/proposals/{draft.id}/sections/risks"' in page
    assert f'href="/proposals/{draft.id}/sections/summary"' not in page
    assert client.get(f"/proposals/{draft.id}/check").status_code == 200
    assert f"/proposals/{draft.id}/submit" not in client.get(f"/proposals/{draft.id}/check").get_data(as_text=True)
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 403


def test_only_the_lead_makes_the_declarations(rq, session, co_applicant, draft):
    draft.partners[0].editable_sections = ["risks", "declarations"]
    with pytest.raises(ProposalError, match="Only the lead applicant"):
        save_section(draft, "declarations", {"accurate": True}, by=co_applicant, expected_version=None)


def test_strangers_and_staff(client, login, make_user, make_org, draft):
    stranger = make_user("applicant")
    make_org(members=[stranger])
    login(client, stranger)
    for url in (_url(draft, "summary"), f"/proposals/{draft.id}/sections", f"/proposals/{draft.id}/check"):
        assert client.get(url).status_code == 404
    login(client, make_user("manager"))
    for url in (_url(draft, "summary"), f"/proposals/{draft.id}/sections", f"/proposals/{draft.id}/check"):
        assert client.get(url).status_code == 403
    assert client.get(_url(draft, "nonsense")).status_code == 404


# -- the check page, the overview and the old edit page ---------------------------------------------------------------


def test_check_page_lists_every_problem_with_a_link(lead, draft, session):
    fill_sections(draft, draft.created_by, keys=["identification", "summary"])
    page = lead.get(f"/proposals/{draft.id}/check").get_data(as_text=True)
    base = f"/proposals/{draft.id}/sections"
    assert f'href="{base}/relevance#objectives">Explain the relevance to the call&#39;s objectives.' in page
    assert f'href="{base}/logframe#overall_objective">State the overall objective.' in page
    assert f'href="{base}/countries#share-ML">Enter the share of activity in Mali.' in page
    assert f'href="{base}/risks#risks-0-risk">Name at least one risk' in page
    assert f'href="{base}/declarations#accurate">Make every declaration: tick each box.' in page
    assert f"/proposals/{draft.id}/submit" not in page
    # The submission is refused with the same list.
    page = lead.post(f"/proposals/{draft.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "State the overall objective." in page
    assert _reload(session, draft.id).status == "draft"


def test_overview_shows_each_sections_state_and_who_saved_it(lead, draft, session, applicant):
    fill_sections(draft, applicant, keys=["summary", "relevance"])
    proposal = _reload(session, draft.id)
    save_section(
        proposal,
        "risks",
        {"risks": [{"risk": "Delays", "likelihood": "", "impact": "", "mitigation": ""}]},
        by=applicant,
        expected_version=None,
    )
    proposal.duration_months = 40  # a saved value the call no longer allows
    session.commit()
    page = lead.get(f"/proposals/{draft.id}/sections").get_data(as_text=True)

    def row(key):
        start = page.index(f'/sections/{key}"')
        return page[start : page.index("</tr>", start)]

    assert "Complete" in row("summary") and applicant.display_name in row("summary")
    assert "In progress" in row("risks")
    assert "Not started" in row("logframe")
    assert "Has problems" in row("identification")
    assert "Deadline" in page and "(Europe/Brussels)" in page and "(Africa/Dakar)" in page and " left" in page


def _count_queries(app, func):
    statements = []

    def count(_conn, _cursor, statement, *_args, **_kwargs):
        if statement.lstrip().upper().startswith("SELECT"):  # not the test harness's savepoints
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        func()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_overview_queries_do_not_grow_with_the_sections_filled(app, lead, draft, session, applicant):
    url = f"/proposals/{draft.id}/sections"
    ids = draft.id, applicant.id
    session.expunge_all()  # each page starts from an empty session, as a request in production does
    few = _count_queries(app, lambda: lead.get(url))
    proposal, user = session.get(Proposal, ids[0]), session.get(type(applicant), ids[1])
    fill_sections(proposal, user)
    session.expunge_all()
    many = _count_queries(app, lambda: lead.get(url))
    assert many == few


def test_the_old_edit_page_leads_to_the_overview(lead, draft, session):
    response = lead.get(f"/proposals/{draft.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{draft.id}/sections")
    assert lead.post(f"/proposals/{draft.id}/edit", data={"title": "x"}).status_code == 303
    assert _reload(session, draft.id).title != "x"


def test_a_submitted_proposals_sections_are_read_only(lead, make_proposal, open_call, applicant, session):
    proposal = make_proposal(open_call, organisation=applicant.organisations[0], created_by=applicant, complete=True)
    assert lead.post(f"/proposals/{proposal.id}/submit").status_code == 302
    response = _post(lead, proposal, "summary", {"summary": "Too late"})
    assert response.status_code == 403 and "This proposal is read-only" in response.get_data(as_text=True)
    assert _post(lead, proposal, "summary", {"summary": "Too late"}, headers=JSON).status_code == 403
    assert lead.get(f"/proposals/{proposal.id}/sections").status_code == 302  # to the proposal's page
    assert _reload(session, proposal.id).summary != "Too late"


# -- stages and deadlines ----------------------------------------------------------------------------------------------


def test_a_concept_note_has_the_short_form(lead, make_call, make_proposal, applicant, session):
    now = dt.datetime.now(dt.UTC)
    call = make_call(
        procedure="two_stage",
        closes_at=now + dt.timedelta(days=5),
        full_application_closes_at=now + dt.timedelta(days=60),
    )
    note = make_proposal(call, organisation=applicant.organisations[0], created_by=applicant, stage="concept_note")
    page = lead.get(f"/proposals/{note.id}/sections").get_data(as_text=True)
    assert f"/proposals/{note.id}/sections/relevance" in page
    assert f"/proposals/{note.id}/sections/logframe" not in page and "Work plan" not in page
    assert lead.get(_url(note, "logframe")).status_code == 404
    problems = dict(validate_for_submission(note))
    assert "logframe#overall_objective" not in problems and "relevance#objectives" in problems
    # The full application of the same call is judged against its own, later deadline.
    full = make_proposal(call, organisation=applicant.organisations[0], created_by=applicant, complete=True)
    full.stage, full.parent = "full_application", note
    at = now + dt.timedelta(days=30)  # after the concept-note deadline, before the full application's
    assert not [a for a, _m in validate_for_submission(full, at) if a == "deadline"]
    assert [a for a, _m in validate_for_submission(full, now + dt.timedelta(days=61)) if a == "deadline"]
    assert [a for a, _m in validate_for_submission(note, at) if a == "deadline"]


def test_a_form_without_a_version_never_overwrites_a_saved_section(lead, draft, session):
    assert lead.post(_url(draft, "summary"), data={"summary": "First."}).status_code == 302  # nothing saved yet
    response = lead.post(_url(draft, "summary"), data={"summary": "Blind overwrite."})
    assert response.status_code == 409
    assert _reload(session, draft.id).summary == "First."


def test_json_problems_name_the_fields_of_every_kind(lead, draft, session):
    response = _post(
        lead,
        draft,
        "countries",
        {"countries": ["SN", "ML"], "share-SN": "60", "share-ML": "35"},
        headers=JSON,
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "shares-total", "message": "The shares add up to 95%; they must add up to 100%."}
    ]
    posts = {**form_posts(draft)["risks"], "risks-0-impact": "huge"}
    errors = _post(lead, draft, "risks", posts, headers=JSON).get_json()["errors"]
    assert errors == [{"field": "risks-0-impact", "message": "Choose low, medium or high."}]


def test_the_deadline_is_shown_in_both_zones_with_the_time_left(lead, make_call, make_proposal, applicant):
    closes = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=3, hours=5)
    call = make_call(closes_at=closes, timezone="Europe/Brussels")
    proposal = make_proposal(call, organisation=applicant.organisations[0], created_by=applicant)
    for url in (f"/proposals/{proposal.id}/sections", _url(proposal, "summary"), f"/proposals/{proposal.id}/check"):
        page = lead.get(url).get_data(as_text=True)
        assert f'data-deadline="{closes.isoformat()}"' in page
        assert "(Europe/Brussels)" in page and "Your time:" in page and "(Africa/Dakar)" in page
        assert "3 days left" in page  # without JavaScript, from the server
