"""Proposals: starting, saving the draft (partial saves, optimistic locking), checking, submitting before the
deadline (to the second), the fingerprinted snapshot and receipt, read-only afterwards, and who sees what."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.calls.models import CallStatus, JvapDomain
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.proposals.models import Proposal, ProposalSnapshot, ProposalStatus
from portal.proposals.operations import (
    ProposalError,
    start_proposal,
    submit_proposal,
    validate_for_submission,
)
from tests.proposals.filling import fill_budget

UTC = dt.UTC
WORDS_300 = " ".join(["word"] * 300)
WORDS_301 = " ".join(["word"] * 301)


def _reload(session, proposal_id) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal_id)


def _domain(session, number=1) -> JvapDomain:
    return session.scalar(select(JvapDomain).where(JvapDomain.number == number))


# -- starting ---------------------------------------------------------------------------------------------------


def test_start_creates_a_numbered_draft_and_goes_to_edit(client, login, applicant, open_call, session):
    login(client, applicant)
    page = client.get(f"/calls/{open_call.id}/apply").get_data(as_text=True)
    assert "Lead organisation: Association Sahel Mobilité" in page
    assert 'name="organisation"' not in page  # one organisation: nothing to choose
    response = client.post(f"/calls/{open_call.id}/apply", data={"title": "First idea"})
    first = session.scalar(select(Proposal).where(Proposal.title == "First idea"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{first.id}/sections")
    assert first.reference == "CFP-OPEN-0001"
    assert first.status == ProposalStatus.DRAFT
    assert first.organisation_id == applicant.organisations[0].id and first.created_by_id == applicant.id
    client.post(f"/calls/{open_call.id}/apply", data={"title": "Second idea"})
    second = session.scalar(select(Proposal).where(Proposal.title == "Second idea"))
    assert second.reference == "CFP-OPEN-0002"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(first.id))).all()
    assert "proposal.created" in actions


def test_start_with_several_organisations_asks_which_leads(client, login, applicant, make_org, open_call, session):
    other = make_org(legal_name="Diaspora Network Europe", members=[applicant])
    login(client, applicant)
    page = client.get(f"/calls/{open_call.id}/apply").get_data(as_text=True)
    assert 'name="organisation"' in page and "Diaspora Network Europe" in page
    client.post(f"/calls/{open_call.id}/apply", data={"title": "Led by the network", "organisation": str(other.id)})
    proposal = session.scalar(select(Proposal).where(Proposal.title == "Led by the network"))
    assert proposal.organisation_id == other.id


def test_start_refuses_an_organisation_the_user_does_not_belong_to(client, login, applicant, make_org, open_call):
    make_org(legal_name="Second of mine", members=[applicant])
    stranger_org = make_org(legal_name="Not mine")
    login(client, applicant)
    response = client.post(f"/calls/{open_call.id}/apply", data={"title": "X", "organisation": str(stranger_org.id)})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_start_without_an_organisation_sends_to_create_one(client, login, make_user, open_call):
    login(client, make_user("applicant"))
    response = client.get(f"/calls/{open_call.id}/apply")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisations/new")
    response = client.post(f"/calls/{open_call.id}/apply", data={"title": "X"})
    assert response.headers["Location"].endswith("/organisations/new")


def test_start_needs_an_open_call(client, login, applicant, make_call, session):
    now = utcnow()
    closed = make_call(
        opens_at=dt.datetime(2020, 4, 1, tzinfo=UTC), closes_at=dt.datetime(2020, 5, 15, 10, 0, tzinfo=UTC)
    )
    upcoming = make_call(opens_at=now + dt.timedelta(days=2), closes_at=now + dt.timedelta(days=30))
    login(client, applicant)
    page = client.post(f"/calls/{closed.id}/apply", data={"title": "Late"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert (
        "The deadline for this call was May 15, 2020, 12:00:00\u202fPM (Europe/Brussels); "
        "submissions are no longer accepted." in page
    )
    page = client.get(f"/calls/{upcoming.id}/apply", follow_redirects=True).get_data(as_text=True)
    assert "This call opens on" in page
    assert session.scalar(select(Proposal).where(Proposal.title == "Late")) is None


def test_start_access(client, login, make_user, make_call):
    draft_call = make_call(status=CallStatus.DRAFT)
    call = make_call()
    assert client.get(f"/calls/{call.id}/apply").status_code == 302  # to sign in
    login(client, make_user("manager"))
    assert client.get(f"/calls/{call.id}/apply").status_code == 403
    login(client, make_user("applicant"))
    assert client.get(f"/calls/{draft_call.id}/apply").status_code == 404


def test_start_retries_once_when_the_reference_is_taken(rq, session, applicant, open_call, make_proposal):
    # A proposal already holds -0002 although the call has only one proposal: count + 1 collides.
    make_proposal(open_call, reference="CFP-OPEN-0002")
    proposal = start_proposal(open_call, applicant.organisations[0], "Retry", by=applicant)
    assert proposal.reference == "CFP-OPEN-0003"


# -- checking and submitting ------------------------------------------------------------------------------------


def test_view_shows_a_checklist_linking_to_the_fields(client, login, applicant, open_call, make_proposal, session):
    proposal = make_proposal(
        open_call,
        organisation=applicant.organisations[0],
        created_by=applicant,
        summary="",
        duration_months=None,
        jvap_domain=None,
    )
    fill_budget(proposal, applicant, requested=Decimal("250000.00"))  # the requested amount comes from the budget
    session.commit()
    login(client, applicant)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f'href="/proposals/{proposal.id}/sections/summary#summary">Write a summary.' in page
    assert (
        f'href="/proposals/{proposal.id}/budget#budget-totals">'
        "The requested amount €250,000.00 is above the call&#39;s maximum of €200,000.00." in page
    )
    assert (
        f'href="/proposals/{proposal.id}/sections/identification#duration_months">Enter the duration in months.' in page
    )
    assert f'href="/proposals/{proposal.id}/sections/identification#jvap_domain_id">Choose a JVAP domain.' in page
    assert f"/proposals/{proposal.id}/submit" not in page


def test_validate_for_submission_messages(rq, session, applicant, complete_draft, open_call):
    draft = complete_draft
    assert validate_for_submission(draft) == []
    # The requested amount is the budget's: total costs less co-financing.
    fill_budget(draft, applicant, requested=Decimal("250000.00"))
    draft.summary = WORDS_301
    assert validate_for_submission(draft) == [
        ("summary#summary", "The summary has 301 words; the limit is 300."),
        ("budget#budget-totals", "The requested amount €250,000.00 is above the call's maximum of €200,000.00."),
    ]
    draft.summary = WORDS_300
    fill_budget(draft, applicant, requested=Decimal("49999.99"))
    assert validate_for_submission(draft) == [
        ("budget#budget-totals", "The requested amount €49,999.99 is below the call's minimum of €50,000.00.")
    ]
    fill_budget(draft, applicant, requested=Decimal("50000.00"))  # exactly the minimum is fine
    assert validate_for_submission(draft) == []


def test_an_incomplete_proposal_is_not_submitted(client, login, applicant, complete_draft, session):
    draft = complete_draft
    fill_budget(draft, applicant, requested=Decimal("250000.00"))
    session.commit()
    login(client, applicant)
    page = client.post(f"/proposals/{draft.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "The requested amount €250,000.00 is above the call&#39;s maximum of €200,000.00." in page
    assert _reload(session, draft.id).status == ProposalStatus.DRAFT


@pytest.fixture
def deadline_call(make_call):
    closes = dt.datetime(2031, 1, 15, 11, 0, tzinfo=UTC)  # 12:00 in Brussels
    return make_call(reference="CFP-DEADLINE", opens_at=closes - dt.timedelta(days=60), closes_at=closes)


def test_deadline_one_second_before_is_accepted(rq, session, applicant, deadline_call, make_proposal):
    proposal = make_proposal(
        deadline_call, organisation=applicant.organisations[0], created_by=applicant, complete=True
    )
    just_before = deadline_call.closes_at - dt.timedelta(seconds=1)
    submit_proposal(proposal, by=applicant, now=just_before)
    assert proposal.status == ProposalStatus.SUBMITTED
    assert proposal.submitted_at == just_before


@pytest.mark.parametrize("offset", [0, 1])
def test_deadline_at_or_after_is_refused(rq, session, applicant, deadline_call, make_proposal, offset):
    proposal = make_proposal(
        deadline_call, organisation=applicant.organisations[0], created_by=applicant, complete=True
    )
    with pytest.raises(ProposalError) as caught:
        submit_proposal(proposal, by=applicant, now=deadline_call.closes_at + dt.timedelta(seconds=offset))
    assert caught.value.messages == [
        "The deadline for this call was Jan 15, 2031, 12:00:00\u202fPM (Europe/Brussels); "
        "submissions are no longer accepted."
    ]
    assert proposal.status == ProposalStatus.DRAFT


def test_submit_freezes_a_fingerprinted_snapshot_and_sends_a_receipt(
    client, login, applicant, complete_draft, session, outbox
):
    draft = complete_draft
    login(client, applicant)
    response = client.post(f"/proposals/{draft.id}/submit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{draft.id}")
    proposal = _reload(session, draft.id)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.submitted_at is not None
    snapshots = session.scalars(select(ProposalSnapshot).where(ProposalSnapshot.proposal_id == draft.id)).all()
    assert len(snapshots) == 1
    snapshot = snapshots[0]
    assert snapshot.version == 1 and snapshot.created_by_id == applicant.id
    canonical = json.dumps(snapshot.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert snapshot.sha256 == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert snapshot.data["reference"] == proposal.reference
    assert snapshot.data["requested_amount"] == "120000.00"
    assert snapshot.data["countries"] == ["ML", "SN"]
    assert snapshot.data["lead_organisation"]["legal_name"] == "Association Sahel Mobilité"
    assert snapshot.data["status"] == "submitted"
    # The receipt.
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.to == applicant.email
    assert mail.subject == f"Proposal {proposal.reference} received"
    assert proposal.title in mail.text and "CFP-OPEN" in mail.text
    assert snapshot.sha256 in mail.text
    assert f"http://localhost/proposals/{proposal.id}" in mail.text
    assert "(Africa/Dakar)" in mail.text and "(Europe/Brussels)" in mail.text
    # The page shows the fingerprint; the status change is audited.
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert snapshot.sha256 in page and "Your proposal" in page
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(draft.id))).all()
    assert "proposal.submitted" in actions


def test_a_submitted_proposal_is_read_only(client, login, applicant, complete_draft, session):
    draft = complete_draft
    login(client, applicant)
    client.post(f"/proposals/{draft.id}/submit")
    response = client.get(f"/proposals/{draft.id}/edit")
    assert response.status_code == 403
    assert "This proposal is read-only" in response.get_data(as_text=True)
    response = client.post(
        f"/proposals/{draft.id}/sections/identification", data={"version": "1", "title": "Sneaky change"}
    )
    assert response.status_code == 403
    assert _reload(session, draft.id).title != "Sneaky change"
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 403
    assert len(session.scalars(select(ProposalSnapshot).where(ProposalSnapshot.proposal_id == draft.id)).all()) == 1
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert f"/proposals/{draft.id}/submit" not in page


# -- who sees what ----------------------------------------------------------------------------------------------


def test_another_organisations_member_gets_404(client, login, make_user, make_org, draft):
    stranger = make_user("applicant")
    make_org(members=[stranger])
    login(client, stranger)
    assert client.get(f"/proposals/{draft.id}").status_code == 404
    assert client.get(f"/proposals/{draft.id}/edit").status_code == 404
    assert client.post(f"/proposals/{draft.id}/edit", data={"title": "x"}).status_code == 404
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 404


def test_staff_and_evaluators(client, login, make_user, draft, open_call):
    assert client.get(f"/proposals/{draft.id}").status_code == 302  # anonymous: to sign in
    login(client, make_user("evaluator"))
    assert client.get(f"/proposals/{draft.id}").status_code == 404  # not assigned
    login(client, make_user("manager"))
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert f"/manage/calls/{open_call.id}" in page and f"/manage/calls/{open_call.id}/ranking" in page
    assert client.get(f"/proposals/{draft.id}/edit").status_code == 403
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 403


# -- dashboard --------------------------------------------------------------------------------------------------


def test_dashboard_lists_my_proposals_and_open_calls(client, login, applicant, draft, make_call, make_proposal):
    other_call = make_call(title="Another open call")
    make_proposal(other_call, title="Someone else's proposal")
    make_call(title="Draft call", status=CallStatus.DRAFT)
    login(client, applicant)
    page = client.get("/proposals").get_data(as_text=True)
    assert draft.reference in page and draft.title in page
    assert "Someone else&#39;s proposal" not in page
    assert "Another open call" in page and "Draft call" not in page
    assert f"/calls/{other_call.id}/apply" in page
    assert "First, create your organisation" not in page


def test_dashboard_prompts_to_create_an_organisation(client, login, make_user):
    login(client, make_user("applicant"))
    page = client.get("/proposals").get_data(as_text=True)
    assert "First, create your organisation" in page and 'href="/organisations/new"' in page


@pytest.mark.parametrize("role", ["manager", "admin", "evaluator"])
def test_dashboard_sends_staff_and_evaluators_home(client, login, make_user, role):
    login(client, make_user(role))
    response = client.get("/proposals")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
