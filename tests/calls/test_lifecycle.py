"""A call's life: draft -> published -> evaluation -> decided -> archived, and its rules frozen once a proposal
was submitted, except that deadlines may be extended (recorded, shown and e-mailed to drafting applicants)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.calls.models import CallStatus, DeadlineChange
from portal.calls.operations import CallError, change_status, extend_deadlines
from portal.core.db import utcnow
from portal.extensions import db
from portal.proposals.models import PartnerStatus, ProposalPartner, ProposalStatus
from tests.calls.helpers import audit_entries

UTC = dt.UTC
NNBSP = "\u202f"
CLOSES = dt.datetime(2031, 1, 10, 11, 0, tzinfo=UTC)  # 12:00 in Brussels


@pytest.fixture
def frozen_call(make_call, make_proposal):
    call = make_call(reference="CFP-FROZEN", closes_at=CLOSES)
    make_proposal(call, status=ProposalStatus.SUBMITTED)
    return call


def _extend(client, call, closes, reason="", version=None):
    return client.post(
        f"/manage/calls/{call.id}/deadlines",
        data={"closes_at": closes, "reason": reason, "version": str(version or call.version_id)},
    )


def test_extending_a_frozen_deadline_is_recorded_shown_and_emailed(
    client, login, manager, frozen_call, make_user, make_org, make_proposal, session, outbox
):
    call = frozen_call
    french = make_user("applicant", email="awa@ngo.example", locale="fr", timezone="Africa/Dakar")
    draft = make_proposal(call, organisation=make_org(members=[french]))
    partner_user = make_user("applicant", email="partner@ngo.example")
    invited_user = make_user("applicant", email="invited@ngo.example")
    accepted_org, invited_org = make_org(members=[partner_user]), make_org(members=[invited_user])
    db.session.add_all(
        [
            ProposalPartner(proposal=draft, organisation=accepted_org, status=PartnerStatus.ACCEPTED),
            ProposalPartner(proposal=draft, organisation=invited_org, status=PartnerStatus.INVITED),
        ]
    )
    db.session.commit()
    login(client, manager)
    response = _extend(client, call, "2031-01-20T12:00", reason="Many applicants asked for more time.")
    assert response.status_code == 302
    session.expire_all()
    assert call.closes_at == dt.datetime(2031, 1, 20, 11, 0, tzinfo=UTC)
    change = session.query(DeadlineChange).filter_by(call_id=call.id).one()
    assert (change.field, change.old_value, change.new_value) == ("closes_at", CLOSES, call.closes_at)
    entry = audit_entries(session, "call.deadline_changed")[-1]
    assert entry.actor_id == manager.id and entry.before == {"closes_at": "2031-01-10T11:00:00+00:00"}
    assert entry.after["reason"] == "Many applicants asked for more time."

    # Everyone drafting under the call is told, in their own language; the submitter and the invited-only are not.
    recipients = sorted(m.to for m in outbox)
    assert recipients == ["awa@ngo.example", "partner@ngo.example"]
    to_awa = next(m for m in outbox if m.to == "awa@ngo.example")
    assert "CFP-FROZEN" in to_awa.subject
    assert "Africa/Dakar" in to_awa.text  # the new deadline in the recipient's own zone as well
    to_partner = next(m for m in outbox if m.to == "partner@ngo.example")
    assert to_partner.subject == "Deadline extended: CFP-FROZEN"
    assert (
        f"extended from Jan 10, 2031, 12:00:00{NNBSP}PM (Europe/Brussels) to Jan 20, 2031, 12:00:00{NNBSP}PM "
        "(Europe/Brussels)"
    ) in to_partner.text
    assert "Reason: Many applicants asked for more time." in to_partner.text
    assert f"/calls/{call.id}" in to_partner.text

    # The public page says so, in the reader's zone for when it happened.
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Deadline extended on " in page
    assert (
        f"from Jan 10, 2031, 12:00:00{NNBSP}PM (Europe/Brussels) to Jan 20, 2031, 12:00:00{NNBSP}PM (Europe/Brussels)"
        in page
    )
    assert "Many applicants asked for more time." in page


def test_a_frozen_deadline_cannot_be_brought_forward(client, login, manager, frozen_call, session, outbox):
    login(client, manager)
    response = _extend(client, frozen_call, "2031-01-05T12:00")
    assert response.status_code == 422
    assert (
        f"Proposals have already been submitted under this call: its deadline (Jan 10, 2031, 12:00:00{NNBSP}PM "
        f"(Europe/Brussels)) can be extended but not brought forward to Jan 5, 2031, 12:00:00{NNBSP}PM "
        "(Europe/Brussels)."
    ) in response.get_data(as_text=True)
    session.expire_all()
    assert frozen_call.closes_at == CLOSES and outbox == []
    assert session.query(DeadlineChange).count() == 0


def test_a_deadline_cannot_move_into_the_past(client, login, manager, make_call, make_proposal, session):
    now = utcnow()
    call = make_call(opens_at=now - dt.timedelta(days=30), closes_at=now + dt.timedelta(hours=1))
    make_proposal(call, status=ProposalStatus.SUBMITTED)
    login(client, manager)
    response = _extend(client, call, "2020-01-01T12:00")
    assert response.status_code == 422
    assert "The new deadline (Jan 1, 2020, 12:00:00" in response.get_data(as_text=True)
    assert "has already passed; choose a later time." in response.get_data(as_text=True)


def test_the_same_deadline_is_not_a_change(client, login, manager, frozen_call):
    login(client, manager)
    response = _extend(client, frozen_call, "2031-01-10T12:00")
    assert response.status_code == 422
    assert "Choose a new deadline: the dates given are the current ones." in response.get_data(as_text=True)


def test_extending_through_the_full_form_is_allowed_but_nothing_else(
    client, login, manager, frozen_call, call_form, session
):
    call = frozen_call
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}/edit").get_data(as_text=True)
    assert "Rules (read-only)" in page and "Extend the deadline" in page
    # The operation compares every rule: moving only the deadline later goes through.
    from portal.calls.operations import update_call

    with client.application.test_request_context():
        data = {
            "reference": call.reference,
            "title": call.title,
            "description": call.description,
            "budget_envelope": call.budget_envelope,
            "min_grant": call.min_grant,
            "max_grant": call.max_grant,
            "dialogue_ids": [d.id for d in call.dialogues],
            "domain_ids": [d.id for d in call.domains],
            "countries": call.countries,
            "opens_at": call.opens_at,
            "closes_at": CLOSES + dt.timedelta(days=3),
            "timezone": call.timezone,
        }
        update_call(call, data, by=manager)
        assert call.closes_at == CLOSES + dt.timedelta(days=3)
        with pytest.raises(CallError) as caught:
            update_call(call, {**data, "max_grant": call.max_grant - 1}, by=manager)
        assert ("max_grant", "This rule can no longer change.") in caught.value.errors
    db.session.rollback()


def test_a_published_call_without_submissions_records_its_deadline_moves(
    client, login, manager, make_call, make_proposal, call_form, session, outbox
):
    call = make_call(reference="CFP-MOVE", closes_at=CLOSES)
    make_proposal(call)
    login(client, manager)
    data = call_form(reference="CFP-MOVE", closes_at="2031-01-08T12:00", version=str(call.version_id))
    data["opens_at"] = "2020-01-01T09:00"
    assert client.post(f"/manage/calls/{call.id}/edit", data=data).status_code == 302
    change = session.query(DeadlineChange).filter_by(call_id=call.id).one()
    assert change.new_value < change.old_value
    assert len(outbox) == 1 and outbox[0].subject == "Deadline changed: CFP-MOVE"
    assert "Deadline brought forward on" in client.get(f"/calls/{call.id}").get_data(as_text=True)


# -- statuses -----------------------------------------------------------------------------------------------------


def _status(client, call, to):
    return client.post(f"/manage/calls/{call.id}/status", data={"to": to}, follow_redirects=True)


def test_a_call_moves_through_its_statuses_with_audit(client, login, manager, make_call, session):
    now = utcnow()
    call = make_call(opens_at=now - dt.timedelta(days=20), closes_at=now - dt.timedelta(minutes=1))
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
    assert "Start the evaluation" in page and 'name="to" value="evaluation"' in page
    for target, button in (("evaluation", "Mark as decided"), ("decided", "Archive this call"), ("archived", None)):
        page = _status(client, call, target).get_data(as_text=True)
        session.expire_all()
        assert call.status == target
        assert f"Call {call.reference} is now" in page
        if button:
            assert button in page
        entry = audit_entries(session, f"call.{target}")[-1]
        assert entry.actor_id == manager.id and entry.after == {"status": target}


def test_evaluation_cannot_start_while_the_call_is_open(client, login, manager, make_call, session):
    call = make_call(closes_at=CLOSES)
    login(client, manager)
    page = _status(client, call, "evaluation").get_data(as_text=True)
    assert (
        f"The call is open until Jan 10, 2031, 12:00:00{NNBSP}PM (Europe/Brussels): evaluation can start only after "
        "the deadline."
    ) in page
    session.expire_all()
    assert call.status == CallStatus.PUBLISHED


@pytest.mark.parametrize(
    ("status", "target", "message"),
    [
        ("draft", "decided", "A call that is draft cannot become decided; its next status is published."),
        ("published", "archived", "A call that is published cannot become archived; its next status is in evaluation."),
        (
            "evaluation",
            "published",
            "A call that is in evaluation cannot become published; its next status is decided.",
        ),
        ("archived", "draft", "This call is archived: that is its last status; it cannot become draft."),
        ("published", "cancelled", "Choose a status from the list."),
    ],
)
def test_illegal_moves_are_refused_with_a_message(client, login, manager, make_call, session, status, target, message):
    call = make_call(status=status)
    login(client, manager)
    assert message in _status(client, call, target).get_data(as_text=True)
    session.expire_all()
    assert call.status == status


def test_publishing_through_the_status_route(client, login, manager, make_call, session):
    call = make_call(status=CallStatus.DRAFT)
    login(client, manager)
    _status(client, call, "published")
    session.expire_all()
    assert call.status == CallStatus.PUBLISHED and audit_entries(session, "call.published")


def test_operations_refuse_without_a_request(app, session, make_call, manager):
    call = make_call(status=CallStatus.DECIDED)
    with app.test_request_context():
        with pytest.raises(CallError, match="its next status is archived"):
            change_status(call, "evaluation", by=manager)
        with pytest.raises(CallError, match="Only the deadlines of a published call can be extended"):
            extend_deadlines(call, {"closes_at": CLOSES}, by=manager)


# -- two-stage calls ----------------------------------------------------------------------------------------------

FULL = dt.datetime(2031, 5, 15, 10, 0, tzinfo=UTC)  # 12:00 in Brussels (summer time)


def _extend_full(client, call, full, closes=None):
    closes = closes or call.closes_at.astimezone(call.zone).strftime("%Y-%m-%dT%H:%M")
    return client.post(
        f"/manage/calls/{call.id}/deadlines",
        data={"closes_at": closes, "full_application_closes_at": full, "version": str(call.version_id)},
    )


def test_the_full_application_deadline_of_a_frozen_two_stage_call_is_extended(
    client, login, manager, make_call, make_proposal, session, outbox
):
    call = make_call(reference="CFP-TWO", procedure="two_stage", closes_at=CLOSES, full_application_closes_at=FULL)
    make_proposal(call, status=ProposalStatus.SUBMITTED)
    drafting = make_proposal(call)
    login(client, manager)
    assert _extend_full(client, call, "2031-05-29T12:00").status_code == 302
    session.expire_all()
    assert call.full_application_closes_at == dt.datetime(2031, 5, 29, 10, 0, tzinfo=UTC) and call.closes_at == CLOSES
    change = session.query(DeadlineChange).filter_by(call_id=call.id).one()
    assert change.field == "full_application_closes_at"
    assert [m.to for m in outbox] == [drafting.created_by.email]
    assert "Full-application deadline" in outbox[0].text
    assert "Full-application deadline extended on" in client.get(f"/calls/{call.id}").get_data(as_text=True)


def test_during_the_concept_note_evaluation_only_the_full_application_deadline_moves(
    client, login, manager, make_call, session
):
    now = utcnow()
    call = make_call(
        reference="CFP-TWO-EVAL",
        status=CallStatus.EVALUATION,
        procedure="two_stage",
        opens_at=now - dt.timedelta(days=60),
        closes_at=now - dt.timedelta(days=10),
        full_application_closes_at=FULL,
    )
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}").get_data(as_text=True)
    assert "except to extend the full-application deadline." in page and "Extend a deadline" in page
    page = client.get(f"/manage/calls/{call.id}/edit").get_data(as_text=True)
    assert "Concept-note deadline (passed)" in page and 'name="full_application_closes_at"' in page
    response = _extend_full(client, call, "2031-05-15T12:00", closes="2031-01-01T12:00")
    assert response.status_code == 422
    assert "The concept notes are in evaluation: their deadline can no longer move." in response.get_data(as_text=True)
    assert _extend_full(client, call, "2031-06-15T12:00").status_code == 302
    session.expire_all()
    assert call.full_application_closes_at == dt.datetime(2031, 6, 15, 10, 0, tzinfo=UTC)
    assert call.status == CallStatus.EVALUATION


def test_a_single_stage_call_in_evaluation_cannot_be_edited(client, login, manager, make_call, session):
    call = make_call(status=CallStatus.EVALUATION, closes_at=CLOSES)
    login(client, manager)
    page = client.get(f"/manage/calls/{call.id}/edit", follow_redirects=True).get_data(as_text=True)
    assert "This call is in evaluation or later; its terms can no longer change." in page
    response = client.post(
        f"/manage/calls/{call.id}/deadlines", data={"closes_at": "2031-02-01T12:00"}, follow_redirects=True
    )
    assert "Only the deadlines of a published call can be extended." in response.get_data(as_text=True)
    session.expire_all()
    assert call.closes_at == CLOSES
