"""Submission: the deadline of the proposal's stage to the second (in the call's zone), only the lead submits, the
snapshot of the whole proposal (immutable; a re-submission is a new version), withdrawal before the deadline,
reopening and re-submitting with a new receipt."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core import storage
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.documents.models import Document
from portal.extensions import db
from portal.proposals.models import (
    Proposal,
    ProposalAttachment,
    ProposalPartner,
    ProposalSnapshot,
    ProposalStatus,
)
from portal.proposals.operations import ProposalError
from portal.proposals.operations import submit_proposal as submit_via_operations
from portal.proposals.submission import (
    reopen_proposal,
    submit_proposal,
    withdraw_proposal,
)

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
# 12:00 in Brussels in winter (UTC+1): 11:00 UTC.
DEADLINE = dt.datetime(2031, 1, 15, 12, 0, tzinfo=BRUSSELS)
DEADLINE_TEXT = "Jan 15, 2031, 12:00:00\u202fPM (Europe/Brussels)"


def _reload(session, proposal_id) -> Proposal:
    session.expire_all()
    return session.get(Proposal, proposal_id)


def _audit(session, proposal_id) -> list[AuditEntry]:
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "proposals", AuditEntry.object_id == str(proposal_id))
        .order_by(AuditEntry.id)
    ).all()


@pytest.fixture
def deadline_call(make_call):
    closes = DEADLINE.astimezone(dt.UTC)
    return make_call(reference="CFP-SECOND", opens_at=closes - dt.timedelta(days=60), closes_at=closes)


@pytest.fixture
def co_applicant(session, make_user, make_org, draft):
    """An accepted co-applicant of the draft, given the "relevance" section."""
    user = make_user("applicant", full_name="Moussa Keita")
    org = make_org("Institut Malien de Recherche", country="ML", members=[user])
    draft.partners.append(
        ProposalPartner(
            organisation=org,
            role="co_applicant",
            status="accepted",
            budget_share=Decimal("40000.00"),
            confirmed_at=utcnow(),
            editable_sections=["relevance"],
        )
    )
    session.commit()
    return user


# -- the deadline, to the second, in the call's zone ------------------------------------------------------------------


def test_the_deadline_is_an_instant_in_the_calls_zone(deadline_call):
    assert deadline_call.closes_at == dt.datetime(2031, 1, 15, 11, 0, tzinfo=dt.UTC)


def test_one_second_before_the_deadline_is_accepted(rq, session, applicant, deadline_call, make_proposal):
    proposal = make_proposal(
        deadline_call, organisation=applicant.organisations[0], created_by=applicant, complete=True
    )
    just_before = DEADLINE - dt.timedelta(seconds=1)  # 11:59:59 in Brussels
    submit_proposal(proposal, by=applicant, now=just_before)
    assert proposal.status == ProposalStatus.SUBMITTED
    assert proposal.submitted_at == just_before
    assert proposal.snapshots[0].created_at == just_before


@pytest.mark.parametrize("offset", [0, 1])
def test_at_or_one_second_after_the_deadline_is_refused(rq, session, applicant, deadline_call, make_proposal, offset):
    proposal = make_proposal(deadline_call, organisation=applicant.organisations[0], created_by=applicant)
    with pytest.raises(ProposalError) as caught:
        submit_proposal(proposal, by=applicant, now=DEADLINE + dt.timedelta(seconds=offset))
    assert caught.value.errors[0] == (
        "deadline",
        f"The deadline for this call was {DEADLINE_TEXT}; submissions are no longer accepted.",
    )
    assert proposal.status == ProposalStatus.DRAFT
    assert proposal.snapshots == []


def test_operations_still_exports_submit_proposal():
    assert submit_via_operations is submit_proposal


# -- only the lead submits ------------------------------------------------------------------------------------------


def test_a_co_applicant_cannot_submit(client, login, session, draft, co_applicant):
    login(client, co_applicant)
    assert client.get(f"/proposals/{draft.id}").status_code == 200  # sees it
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 403
    assert _reload(session, draft.id).status == ProposalStatus.DRAFT


def test_the_operation_refuses_a_co_applicant_with_a_message(rq, session, draft, co_applicant):
    with pytest.raises(ProposalError) as caught:
        submit_proposal(draft, by=co_applicant)
    assert caught.value.messages == ["Only the lead applicant's users can submit the proposal."]


# -- the snapshot ---------------------------------------------------------------------------------------------------


@pytest.fixture
def full_draft(session, complete_draft, co_applicant, applicant, make_org):
    """The draft with something in every part, ready to submit: every section, dialogues, country shares, a
    consortium, a budget with a co-applicant's line, co-financing and an attachment."""
    from portal.proposals.budget import read_budget_form, save_budget

    draft = complete_draft
    associated = make_org("Commune de Lyon Partenariats", country="FR")
    draft.partners.append(ProposalPartner(organisation=associated, role="associated", status="accepted"))
    session.flush()
    co_partner = next(p for p in draft.partners if p.role == "co_applicant")
    # Direct costs 131,000.00, indirect 9,000.00 (6.87%), total 140,000.00, co-financing 20,000.00 (14.29%):
    # 120,000.00 requested.
    posts = {
        "line-0-partner": "lead",
        "line-0-category": "human_resources",
        "line-0-description": "Coordinator",
        "line-0-unit": "month",
        "line-0-quantity": "18",
        "line-0-unit_cost": "3000.00",
        "line-1-partner": str(co_partner.id),
        "line-1-category": "travel",
        "line-1-description": "Field visits",
        "line-1-unit": "trip",
        "line-1-quantity": "4",
        "line-1-unit_cost": "1250.00",
        "line-2-partner": "lead",
        "line-2-category": "other_services",
        "line-2-description": "Training sessions",
        "line-2-unit": "session",
        "line-2-quantity": "12",
        "line-2-unit_cost": "6000.00",
        "line-3-partner": "lead",
        "line-3-category": "indirect",
        "line-3-description": "Indirect costs",
        "line-3-unit": "lump sum",
        "line-3-quantity": "1",
        "line-3-unit_cost": "9000.00",
        "source-0-source": "Own funds",
        "source-0-amount": "20000.00",
        "source-0-secured": "y",
    }
    save_budget(draft, read_budget_form(posts, draft), by=applicant, expected_version=None)
    key = storage.new_key("attachments", ".pdf")
    storage.put(key, b"%PDF-1.7 statutes")
    draft.attachments.append(
        ProposalAttachment(
            kind="other",
            title="Annual report",
            filename="report.pdf",
            content_type="application/pdf",
            size=17,
            sha256=hashlib.sha256(b"%PDF-1.7 statutes").hexdigest(),
            storage_key=key,
        )
    )
    session.commit()
    return draft


def test_the_snapshot_holds_the_whole_proposal(rq, session, applicant, full_draft):
    submit_proposal(full_draft, by=applicant)
    session.commit()
    snapshot = _reload(session, full_draft.id).snapshots[0]
    data = snapshot.data
    assert data["snapshot_version"] == 1 and data["stage"] == "full_application"
    assert data["reference"] == full_draft.reference and data["status"] == "submitted"
    assert data["call"]["reference"] == "CFP-OPEN" and data["call"]["timezone"] == "Europe/Brussels"
    assert data["requested_amount"] == "120000.00" and data["total_budget"] == "140000.00"
    assert data["duration_months"] == 18
    assert data["countries"] == ["ML", "SN"]
    assert data["country_shares"] == [
        {"country": "ML", "share_pct": "40.00"},
        {"country": "SN", "share_pct": "60.00"},
    ]
    assert len(data["dialogues"]) == 1
    assert data["sections"]["relevance"]["data"] == {
        "objectives": "It answers the call's first objective.",
        "dialogues": "It feeds the Rabat Process.",
        "domains": "Domain 1: development benefits of migration.",
    }
    assert data["sections"]["risks"]["data"]["risks"][0]["mitigation"] == "Plan early."
    partners = {p["legal_name"]: p for p in data["partners"]}
    assert partners["Institut Malien de Recherche"]["status"] == "accepted"
    # Its share of the grant follows from the budget: its costs (€5,000.00) at the funding rate (120,000 / 140,000).
    assert partners["Institut Malien de Recherche"]["budget_share"] == "4285.71"
    assert partners["Commune de Lyon Partenariats"]["role"] == "associated"
    lines = data["budget_lines"]
    assert [line["total"] for line in lines] == ["54000.00", "5000.00", "72000.00", "9000.00"]
    assert lines[0]["partner"] == "Association Sahel Mobilité"
    assert lines[1]["partner"] == "Institut Malien de Recherche"
    assert data["cofinancing"] == [{"source": "Own funds", "amount": "20000.00", "secured": True}]
    attachment = data["attachments"][0]
    assert attachment["filename"] == "report.pdf" and attachment["size"] == 17
    assert attachment["sha256"] == hashlib.sha256(b"%PDF-1.7 statutes").hexdigest()
    assert data["submitted_by"]["email"] == applicant.email
    # The fingerprint is the SHA-256 of the canonical JSON.
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert snapshot.sha256 == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_a_snapshot_cannot_be_changed(rq, session, applicant, complete_draft):
    draft = complete_draft
    submit_proposal(draft, by=applicant)
    session.commit()
    snapshot = draft.snapshots[0]
    snapshot.sha256 = "0" * 64
    with pytest.raises(RuntimeError, match="immutable"):
        session.flush()
    session.rollback()


def test_resubmission_makes_version_2_and_leaves_version_1_untouched(
    client, login, session, applicant, complete_draft, outbox
):
    draft = complete_draft
    login(client, applicant)
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302
    first = session.scalars(select(ProposalSnapshot).where(ProposalSnapshot.proposal_id == draft.id)).one()
    first_id, first_sha, first_data = first.id, first.sha256, json.loads(json.dumps(first.data))

    assert client.post(f"/proposals/{draft.id}/withdraw", data={"reason": "We forgot a partner."}).status_code == 302
    assert client.post(f"/proposals/{draft.id}/reopen").status_code == 302
    proposal = _reload(session, draft.id)
    assert proposal.status == ProposalStatus.DRAFT and proposal.submitted_at is None
    proposal.title = "A better title"
    session.commit()
    assert client.post(f"/proposals/{draft.id}/submit").status_code == 302

    session.expire_all()
    snapshots = session.scalars(
        select(ProposalSnapshot).where(ProposalSnapshot.proposal_id == draft.id).order_by(ProposalSnapshot.version)
    ).all()
    assert [s.version for s in snapshots] == [1, 2]
    assert snapshots[0].id == first_id and snapshots[0].sha256 == first_sha and snapshots[0].data == first_data
    assert snapshots[0].data["title"] != "A better title"
    assert snapshots[1].data["title"] == "A better title" and snapshots[1].sha256 != first_sha
    # Each submission has its own receipt; the first is superseded by the second.
    receipts = session.scalars(
        select(Document).where(Document.snapshot_id.in_([s.id for s in snapshots])).order_by(Document.version)
    ).all()
    assert [(r.version, r.status) for r in receipts] == [(1, "ready"), (2, "ready")]
    assert receipts[0].superseded_at is not None and receipts[1].superseded_at is None
    assert [m.subject for m in outbox] == [f"Proposal {draft.reference} received"] * 2
    assert "Submission version: 2" in outbox[1].text
    actions = [e.action for e in _audit(session, draft.id)]
    assert actions.count("proposal.submitted") == 2
    assert "proposal.withdrawn" in actions and "proposal.draft" in actions


# -- withdrawal -----------------------------------------------------------------------------------------------------


@pytest.fixture
def submitted(rq, session, applicant, complete_draft):
    submit_proposal(complete_draft, by=applicant)
    session.commit()
    return complete_draft


def test_withdrawal_asks_for_confirmation_then_withdraws(client, login, session, applicant, submitted):
    login(client, applicant)
    page = client.get(f"/proposals/{submitted.id}").get_data(as_text=True)
    assert f"/proposals/{submitted.id}/withdraw" in page
    page = client.get(f"/proposals/{submitted.id}/withdraw").get_data(as_text=True)
    assert "Withdraw your proposal?" in page and "Reason (optional)" in page
    assert _reload(session, submitted.id).status == ProposalStatus.SUBMITTED  # GET changes nothing

    response = client.post(f"/proposals/{submitted.id}/withdraw", data={"reason": "The partner left."})
    assert response.status_code == 302
    proposal = _reload(session, submitted.id)
    assert proposal.status == ProposalStatus.WITHDRAWN and proposal.withdrawn_at is not None
    entry = next(e for e in _audit(session, submitted.id) if e.action == "proposal.withdrawn")
    assert entry.actor_id == applicant.id
    assert entry.before == {"status": "submitted"}
    assert entry.after == {"status": "withdrawn", "reason": "The partner left."}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is withdrawn" in page and f"/proposals/{submitted.id}/reopen" in page
    # The snapshot is still there, unchanged.
    assert len(proposal.snapshots) == 1


def test_withdrawal_after_the_deadline_is_refused(rq, session, applicant, submitted):
    after = submitted.call.closes_at
    with pytest.raises(ProposalError) as caught:
        withdraw_proposal(submitted, by=applicant, now=after)
    assert caught.value.messages[0].startswith("The deadline was ")
    assert caught.value.messages[0].endswith("(Europe/Brussels): a proposal can no longer be withdrawn after it.")
    assert submitted.status == ProposalStatus.SUBMITTED
    # One second before is still fine.
    withdraw_proposal(submitted, by=applicant, now=after - dt.timedelta(seconds=1))
    assert submitted.status == ProposalStatus.WITHDRAWN


def test_the_withdraw_page_after_the_deadline_says_so(client, login, session, applicant, submitted):
    submitted.call.opens_at = utcnow() - dt.timedelta(days=30)
    submitted.call.closes_at = utcnow() - dt.timedelta(hours=1)
    session.commit()
    login(client, applicant)
    page = client.get(f"/proposals/{submitted.id}/withdraw").get_data(as_text=True)
    assert "a proposal can no longer be withdrawn after it." in page
    assert 'name="reason"' not in page
    response = client.post(f"/proposals/{submitted.id}/withdraw", data={})
    assert response.status_code == 422
    assert "a proposal can no longer be withdrawn after it." in response.get_data(as_text=True)
    assert _reload(session, submitted.id).status == ProposalStatus.SUBMITTED


def test_only_the_lead_withdraws(client, login, session, submitted, co_applicant, make_user):
    login(client, co_applicant)
    assert client.post(f"/proposals/{submitted.id}/withdraw", data={}).status_code == 403
    login(client, make_user("manager"))
    assert client.post(f"/proposals/{submitted.id}/withdraw", data={}).status_code == 403
    assert _reload(session, submitted.id).status == ProposalStatus.SUBMITTED


def test_a_draft_cannot_be_withdrawn(rq, session, applicant, draft):
    with pytest.raises(ProposalError) as caught:
        withdraw_proposal(draft, by=applicant)
    assert caught.value.messages == ["Only a submitted proposal that is not yet under review can be withdrawn."]


def test_reopening_after_the_deadline_is_refused(rq, session, applicant, submitted):
    withdraw_proposal(submitted, by=applicant)
    with pytest.raises(ProposalError) as caught:
        reopen_proposal(submitted, by=applicant, now=submitted.call.closes_at)
    assert caught.value.messages[0].endswith("submissions are no longer accepted.")
    assert submitted.status == ProposalStatus.WITHDRAWN


def test_reopen_by_the_route_after_the_deadline_flashes_the_message(client, login, session, applicant, submitted):
    withdraw_proposal(submitted, by=applicant)
    submitted.call.opens_at = utcnow() - dt.timedelta(days=30)
    submitted.call.closes_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    login(client, applicant)
    page = client.post(f"/proposals/{submitted.id}/reopen", follow_redirects=True).get_data(as_text=True)
    assert "submissions are no longer accepted." in page
    assert _reload(session, submitted.id).status == ProposalStatus.WITHDRAWN


def test_the_proposal_page_shows_the_submission(client, login, session, applicant, submitted, co_applicant, make_user):
    snapshot = submitted.snapshots[0]
    receipt = session.scalar(select(Document).where(Document.snapshot_id == snapshot.id))
    assert receipt.status == "ready"
    for user in (applicant, co_applicant, make_user("manager")):
        login(client, user)
        page = client.get(f"/proposals/{submitted.id}").get_data(as_text=True)
        assert "Version 1" in page and snapshot.sha256 in page
        assert f"/documents/{receipt.id}/download" in page
        response = client.get(f"/documents/{receipt.id}/download")
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert f"submission-receipt-{submitted.reference}-v1.pdf" in response.headers["Content-Disposition"]


def test_another_applicant_cannot_fetch_the_receipt(client, login, session, submitted, make_user, make_org):
    other = make_user("applicant")
    make_org(members=[other])
    receipt = session.scalar(select(Document).where(Document.snapshot_id == submitted.snapshots[0].id))
    login(client, other)
    assert client.get(f"/documents/{receipt.id}/download").status_code == 404


def test_db_is_consistent_after_withdrawal(rq, session, applicant, submitted):
    """A withdrawn proposal keeps its submission time (what was withdrawn); reopening clears it."""
    withdraw_proposal(submitted, by=applicant)
    assert submitted.submitted_at is not None
    reopen_proposal(submitted, by=applicant)
    db.session.flush()
    assert submitted.submitted_at is None and submitted.status == ProposalStatus.DRAFT
