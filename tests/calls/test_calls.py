"""Calls for proposals: creation rules and messages, time zones, publishing, editing, public pages, access."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from portal.calls.models import Call, CallStatus
from portal.calls.operations import CallError, create_call, local_to_utc, publish_call
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.evaluation.models import EvaluationStage
from portal.extensions import db
from portal.proposals.models import ProposalStatus

UTC = dt.UTC


def _call(session, reference="CFP-2030-01") -> Call:
    session.expire_all()
    return session.scalar(select(Call).where(Call.reference == reference))


def _audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


# -- creation ---------------------------------------------------------------------------------------------------


def test_manager_creates_a_draft_call_with_the_default_grid(client, login, manager, call_form, session):
    login(client, manager)
    response = client.post("/manage/calls/new", data=call_form())
    call = _call(session)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/calls/{call.id}")
    assert call.status == CallStatus.DRAFT
    assert call.budget_envelope == Decimal("1000000.00")
    assert call.min_grant == Decimal("50000.00") and call.max_grant == Decimal("200000.00")
    assert sorted(call.countries) == ["MA", "ML", "SN"]
    assert len(call.dialogues) == 2 and len(call.domains) == 3
    assert call.created_by_id == manager.id
    stage = call.concept_note_stage
    assert stage is not None and len(stage.criteria) == 6
    assert stage.max_total == 50 and stage.total_threshold == 30
    relevance = stage.sections[0]
    assert relevance.threshold == 12 and relevance.max_score == 30
    entries = _audit(session, "call.created")
    assert len(entries) == 1 and entries[0].actor_id == manager.id
    assert entries[0].after["reference"] == "CFP-2030-01"
    assert entries[0].after["countries"] == ["MA", "ML", "SN"]


def test_noon_brussels_in_winter_is_eleven_utc(client, login, manager, call_form, session):
    login(client, manager)
    client.post("/manage/calls/new", data=call_form(opens_at="2030-01-15T09:00", closes_at="2030-02-15T12:00"))
    call = _call(session)
    assert call.closes_at == dt.datetime(2030, 2, 15, 11, 0, tzinfo=UTC)
    assert call.opens_at == dt.datetime(2030, 1, 15, 8, 0, tzinfo=UTC)
    assert call.timezone == "Europe/Brussels"


def test_noon_brussels_in_summer_is_ten_utc_and_other_zones_work():
    assert local_to_utc(dt.datetime(2030, 7, 1, 12, 0), "Europe/Brussels") == dt.datetime(2030, 7, 1, 10, tzinfo=UTC)
    assert local_to_utc(dt.datetime(2030, 7, 1, 12, 0), "Africa/Nairobi") == dt.datetime(2030, 7, 1, 9, tzinfo=UTC)
    assert local_to_utc(dt.datetime(2030, 7, 1, 12, 0), "UTC") == dt.datetime(2030, 7, 1, 12, tzinfo=UTC)


def test_a_time_skipped_by_daylight_saving_is_refused(client, login, manager, call_form, session):
    login(client, manager)
    # On 31 March 2030 Brussels clocks jump from 02:00 to 03:00.
    response = client.post("/manage/calls/new", data=call_form(closes_at="2030-03-31T02:30"))
    assert response.status_code == 422
    assert (
        "2030-03-31 02:30 does not exist in Europe/Brussels: the clocks skip that hour for daylight saving time."
        in response.get_data(as_text=True)
    )
    assert _call(session) is None


def test_a_repeated_time_is_read_as_its_first_occurrence():
    # On 27 October 2030 Brussels clocks go back from 03:00 to 02:00: 02:30 happens twice (00:30 and 01:30 UTC).
    assert local_to_utc(dt.datetime(2030, 10, 27, 2, 30), "Europe/Brussels") == dt.datetime(
        2030, 10, 27, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"min_grant": "250000"},
            "The minimum grant (€250,000.00) is above the maximum grant (€200,000.00).",
        ),
        (
            {"max_grant": "1500000"},
            "The maximum grant (€1,500,000.00) is above the budget envelope (€1,000,000.00).",
        ),
        ({"min_grant": "0"}, "The minimum grant must be more than €0.00."),
        ({"budget_envelope": "lots"}, "Enter an amount in euros, for example 150000 or 150000.50."),
        ({"max_grant": "200000.555"}, "Enter an amount with at most two decimals (cents)."),
        ({"countries": None}, "Choose at least one eligible country."),
        ({"dialogues": None}, "Choose at least one dialogue."),
        ({"domains": None}, "Choose at least one JVAP domain."),
        ({"reference": ""}, "Enter a reference."),
        (
            {"opens_at": "2030-03-15T12:00", "closes_at": "2030-03-15T12:00"},
            "The deadline (Mar 15, 2030, 12:00:00\u202fPM (Europe/Brussels)) must come after the opening "
            "(Mar 15, 2030, 12:00:00\u202fPM (Europe/Brussels)).",
        ),
        ({"closes_at": "15/03/2030"}, "Enter a date and time, for example 2025-05-15 12:00."),
    ],
)
def test_creation_rules_have_clear_messages_and_keep_the_typed_values(
    client, login, manager, call_form, session, overrides, message
):
    login(client, manager)
    response = client.post("/manage/calls/new", data=call_form(title="My typed title", **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="My typed title"' in page
    assert _call(session) is None


def test_amounts_can_be_typed_with_separators(client, login, manager, call_form, session):
    login(client, manager)
    client.post(
        "/manage/calls/new", data=call_form(budget_envelope="1 000 000", min_grant="50,000.00", max_grant="€200000,50")
    )
    call = _call(session)
    assert call.budget_envelope == Decimal("1000000.00")
    assert call.min_grant == Decimal("50000.00")
    assert call.max_grant == Decimal("200000.50")


def test_a_taken_reference_is_refused(client, login, manager, call_form, make_call, session):
    make_call(reference="CFP-2030-01")
    login(client, manager)
    response = client.post("/manage/calls/new", data=call_form())
    assert response.status_code == 422
    assert "The reference CFP-2030-01 is already used by another call." in response.get_data(as_text=True)


def test_create_call_operation_collects_every_problem(rq, session, manager):
    with pytest.raises(CallError) as caught:
        create_call(
            {
                "reference": "X-1",
                "title": "T",
                "budget_envelope": Decimal(100),
                "min_grant": Decimal(200),
                "max_grant": Decimal(300),
                "dialogue_ids": [],
                "domain_ids": [],
                "countries": ["SN"],
                "opens_local": dt.datetime(2030, 1, 1, 9),
                "closes_local": dt.datetime(2030, 2, 1, 9),
                "timezone": "Europe/Brussels",
            },
            by=manager,
        )
    fields = [f for f, _m in caught.value.errors]
    assert set(fields) == {"max_grant", "dialogues", "domains"}
    assert "The maximum grant (€300.00) is above the budget envelope (€100.00)." in caught.value.messages


# -- publishing -------------------------------------------------------------------------------------------------


def test_publish_moves_a_draft_to_published(client, login, manager, make_call, session):
    call = make_call(status=CallStatus.DRAFT)
    login(client, manager)
    response = client.post(f"/manage/calls/{call.id}/publish")
    assert response.status_code == 302
    session.expire_all()
    assert call.status == CallStatus.PUBLISHED and call.published_at is not None
    assert [e.object_id for e in _audit(session, "call.published")] == [str(call.id)]


def test_publish_refuses_a_call_whose_deadline_has_passed(client, login, manager, make_call, session):
    now = utcnow()
    call = make_call(
        status=CallStatus.DRAFT, opens_at=now - dt.timedelta(days=20), closes_at=now - dt.timedelta(seconds=1)
    )
    login(client, manager)
    page = client.post(f"/manage/calls/{call.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "has already passed. Move it to a later date before publishing." in page
    session.expire_all()
    assert call.status == CallStatus.DRAFT


def test_publish_refuses_a_call_without_criteria(rq, session, make_call, manager):
    call = make_call(status=CallStatus.DRAFT)
    session.delete(call.stages[0])
    session.flush()
    session.expire_all()
    with pytest.raises(CallError, match="no evaluation grid"):
        publish_call(call, by=manager)


def test_only_managers_publish(client, login, make_user, make_call, session):
    call = make_call(status=CallStatus.DRAFT)
    assert client.post(f"/manage/calls/{call.id}/publish").status_code == 302  # to the sign-in page
    login(client, make_user("applicant"))
    assert client.post(f"/manage/calls/{call.id}/publish").status_code == 403
    session.expire_all()
    assert call.status == CallStatus.DRAFT


# -- editing ----------------------------------------------------------------------------------------------------


def test_edit_a_draft_records_before_and_after(client, login, manager, call_form, session):
    login(client, manager)
    client.post("/manage/calls/new", data=call_form())
    call = _call(session)
    page = client.get(f"/manage/calls/{call.id}/edit").get_data(as_text=True)
    assert 'value="2030-03-15T12:00"' in page  # the deadline shown back in the call's zone
    data = call_form(title="New title", max_grant="150000", version=str(call.version_id))
    response = client.post(f"/manage/calls/{call.id}/edit", data=data)
    assert response.status_code == 302
    call = _call(session)
    assert call.title == "New title" and call.max_grant == Decimal("150000.00")
    entry = _audit(session, "call.updated")[-1]
    assert entry.before == {"max_grant": "200000.00", "title": "Diaspora engagement for development"}
    assert entry.after == {"max_grant": "150000.00", "title": "New title"}


def test_edit_is_frozen_once_a_proposal_was_submitted(
    client, login, manager, make_call, make_proposal, call_form, session
):
    call = make_call(reference="CFP-LOCK")
    make_proposal(call, status=ProposalStatus.SUBMITTED)
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}/edit").get_data(as_text=True)
    frozen = (
        "1 proposal has already been submitted under this call&#39;s rules: they can no longer change, "
        "except to extend a deadline."
    )
    assert frozen in page
    assert 'name="title"' not in page and 'name="closes_at"' in page  # rules read-only; the deadline form only
    response = client.post(f"/manage/calls/{call.id}/edit", data=call_form(reference="CFP-LOCK", title="Changed"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert frozen in page and "Title: This rule can no longer change." in page
    session.expire_all()
    assert call.title != "Changed"


def test_a_published_call_without_submissions_can_still_be_edited(
    client, login, manager, make_call, make_proposal, call_form, session
):
    call = make_call(reference="CFP-OPEN")
    make_proposal(call)  # a draft does not lock the call
    login(client, manager)
    response = client.post(
        f"/manage/calls/{call.id}/edit",
        data=call_form(reference="CFP-OPEN", title="Clarified title", closes_at="2031-01-15T12:00"),
    )
    assert response.status_code == 302
    session.expire_all()
    assert call.title == "Clarified title"


def test_a_stale_call_edit_is_refused(client, login, manager, call_form, session):
    login(client, manager)
    client.post("/manage/calls/new", data=call_form())
    call = _call(session)
    old_version = call.version_id
    client.post(f"/manage/calls/{call.id}/edit", data=call_form(title="First", version=str(old_version)))
    response = client.post(f"/manage/calls/{call.id}/edit", data=call_form(title="Second", version=str(old_version)))
    assert response.status_code == 422
    assert "Someone else saved this call since you opened it." in response.get_data(as_text=True)
    assert _call(session).title == "First"


# -- public pages -----------------------------------------------------------------------------------------------


def test_public_list_hides_drafts_and_puts_open_calls_first(client, make_call):
    now = utcnow()
    make_call(title="Closed call", opens_at=now - dt.timedelta(days=30), closes_at=now - dt.timedelta(days=1))
    make_call(title="Upcoming call", opens_at=now + dt.timedelta(days=3), closes_at=now + dt.timedelta(days=30))
    make_call(title="Open call")
    make_call(title="Secret draft", status=CallStatus.DRAFT)
    page = client.get("/calls").get_data(as_text=True)
    assert "Secret draft" not in page
    assert page.index("Open call") < page.index("Upcoming call") < page.index("Closed call")
    assert 'badge-open">Open' in page and 'badge-upcoming">Upcoming' in page and 'badge-closed">Closed' in page
    assert "€1,000,000.00" in page and "€50,000.00 to €200,000.00" in page


def test_deadline_is_shown_in_the_call_zone_and_the_readers(client, login, make_user, make_call):
    make_call(title="Zoned", closes_at=dt.datetime(2031, 1, 10, 11, 0, tzinfo=UTC))
    login(client, make_user("applicant", timezone="Africa/Dakar"))
    page = client.get("/calls").get_data(as_text=True)
    assert "Jan 10, 2031, 12:00:00\u202fPM (Europe/Brussels)" in page
    assert "Your time: Jan 10, 2031, 11:00:00\u202fAM (Africa/Dakar)" in page


def test_public_view_of_a_draft_is_for_staff_only(client, login, make_user, make_call, manager):
    call = make_call(status=CallStatus.DRAFT)
    assert client.get(f"/calls/{call.id}").status_code == 404
    login(client, make_user("applicant"))
    assert client.get(f"/calls/{call.id}").status_code == 404
    login(client, make_user("evaluator"))
    assert client.get(f"/calls/{call.id}").status_code == 404
    login(client, manager)
    assert client.get(f"/calls/{call.id}").status_code == 200


def test_public_view_shows_the_grid_and_how_to_apply(client, login, make_user, make_call):
    call = make_call(title="Visible call")
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Relevance to the objectives and priorities of the call" in page
    assert "A proposal must score at least 12 out of 30 in “Relevance of the action”." in page
    assert "It must score at least 30 out of 50 in total." in page
    assert "Senegal" in page and "Rabat Process" in page
    assert "Sign in to apply" in page
    login(client, make_user("applicant"))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert f'href="/calls/{call.id}/apply"' in page


def test_public_view_of_a_closed_call_says_so(client, make_call):
    now = utcnow()
    call = make_call(opens_at=now - dt.timedelta(days=9), closes_at=now - dt.timedelta(minutes=1))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "This call is closed" in page
    assert "/apply" not in page


# -- management pages -------------------------------------------------------------------------------------------


@contextmanager
def count_statements():
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_manage_list_query_count_does_not_grow_with_calls(client, login, manager, make_call, make_proposal):
    login(client, manager)

    def add_calls(n):
        for _ in range(n):
            call = make_call()
            make_proposal(call)
            make_proposal(call, status=ProposalStatus.SUBMITTED)

    add_calls(2)
    with count_statements() as with_two:
        page = client.get("/manage/calls").get_data(as_text=True)
    assert "Draft: 1" in page and "Submitted: 1" in page
    add_calls(4)
    with count_statements() as with_six:
        assert client.get("/manage/calls").status_code == 200
    assert len(with_six) == len(with_two)


def test_manage_view_lists_proposals_and_links(client, login, manager, make_call, make_proposal):
    call = make_call(status=CallStatus.DRAFT)
    proposal = make_proposal(call, title="Mobility pathways", status=ProposalStatus.SUBMITTED)
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
    assert "Mobility pathways" in page and proposal.organisation.legal_name in page
    assert f'href="/proposals/{proposal.id}"' in page
    assert f"/manage/calls/{call.id}/assignments" in page and f"/manage/calls/{call.id}/ranking" in page
    assert f'action="/manage/calls/{call.id}/publish"' in page


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/manage/calls"),
        ("get", "/manage/calls/new"),
        ("post", "/manage/calls/new"),
        ("get", "/manage/calls/{id}"),
        ("get", "/manage/calls/{id}/edit"),
        ("post", "/manage/calls/{id}/edit"),
        ("post", "/manage/calls/{id}/publish"),
    ],
)
def test_management_pages_access(client, login, make_user, make_call, method, url):
    call = make_call(status=CallStatus.DRAFT)
    url = url.format(id=call.id)
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for role in ("applicant", "evaluator"):
        login(client, make_user(role))
        assert getattr(client, method)(url).status_code == 403
    for role in ("manager", "admin"):
        login(client, make_user(role))
        assert getattr(client, method)(url).status_code in (200, 302, 422)


def test_public_pages_are_public(client, make_call):
    call = make_call()
    assert client.get("/calls").status_code == 200
    assert client.get(f"/calls/{call.id}").status_code == 200
    assert client.get("/calls/999999").status_code == 404


def test_call_stage_is_created_in_the_database(client, login, manager, call_form, session):
    login(client, manager)
    client.post("/manage/calls/new", data=call_form())
    call = _call(session)
    stages = session.scalars(select(EvaluationStage).where(EvaluationStage.call_id == call.id)).all()
    assert len(stages) == 1 and stages[0].kind == "concept_note"
