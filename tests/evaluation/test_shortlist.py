"""Shortlisting concept notes by number and by a multiple of the envelope, preview then confirm, and the one-action
invitation of every shortlisted lead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.evaluation import committee
from portal.extensions import db
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES

ALL_FIVES = {"1.1": 5, "1.2": 5, "1.3": 5, "1.4": 5, "2.1": 5, "2.2": 5}
FAILING = {"1.1": 1, "1.2": 1, "1.3": 1, "1.4": 1, "2.1": 5, "2.2": 5}
REASON = "Ranked by the concept-note committee on 3 December."


@pytest.fixture
def two_stage(make_call):
    return make_call(
        procedure="two_stage",
        budget_envelope=Decimal("300000.00"),
        max_grant=Decimal("200000.00"),
        full_application_closes_at=utcnow() + dt.timedelta(days=40),
    )


@pytest.fixture
def notes(two_stage, make_proposal, review, session):
    """Five concept notes under review, in rank order: 50, 40, 35, 30, and a failing one."""
    made = []
    for amount, scores in (
        ("200000.00", ALL_FIVES),
        ("150000.00", ALL_FOURS),
        ("180000.00", {"1.1": 4, "1.2": 4, "1.3": 3, "1.4": 3, "2.1": 3, "2.2": 3}),  # 22 + 12 = 34
        ("100000.00", ALL_THREES),
        ("50000.00", FAILING),
    ):
        p = make_proposal(
            two_stage, status=ProposalStatus.UNDER_REVIEW, stage="concept_note", requested_amount=Decimal(amount)
        )
        review(p, scores)
        review(p, scores)
        made.append(p)
    return made


def test_shortlist_by_number_in_rank_order_among_passing(session, rq, two_stage, notes):
    stage = two_stage.stages[0]
    lines = committee.shortlist_preview(two_stage, stage, mode="number", value=2)
    assert [line.row.proposal.id for line in lines] == [p.id for p in notes]
    assert [line.shortlisted for line in lines] == [True, True, False, False, False]
    # More than there are passing: the failing one is never taken.
    lines = committee.shortlist_preview(two_stage, stage, mode="number", value=10)
    assert [line.shortlisted for line in lines] == [True, True, True, True, False]


def test_shortlist_by_multiple_of_the_envelope(session, rq, two_stage, notes):
    stage = two_stage.stages[0]
    # 2 × 300,000 = 600,000: 200k + 150k + 180k = 530k fits; + 100k = 630k does not.
    lines = committee.shortlist_preview(two_stage, stage, mode="multiple", value=Decimal(2))
    assert [line.shortlisted for line in lines] == [True, True, True, False, False]
    assert lines[2].cumulative == Decimal("530000.00")
    # 1 × the envelope: 200k fits, + 150k does not; rank order stops there even though 100k would fit.
    lines = committee.shortlist_preview(two_stage, stage, mode="multiple", value=Decimal(1))
    assert [line.shortlisted for line in lines] == [True, False, False, False, False]


def test_confirm_then_invite_all_in_one_action(session, rq, two_stage, notes, manager, outbox):
    stage = two_stage.stages[0]
    committee.confirm_shortlist(two_stage, stage, mode="number", value=2, reason=REASON, by=manager)
    session.commit()
    assert [p.status for p in notes] == ["shortlisted", "shortlisted"] + ["not_shortlisted"] * 3
    transition = session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.action == "proposal.not_shortlisted", AuditEntry.object_id == str(notes[3].id)
        )
    ).one()
    assert transition.after["reason"] == REASON
    confirmed = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "shortlist.confirmed")).one()
    assert confirmed.after["shortlisted"] == [notes[0].reference, notes[1].reference]
    told = [m for m in outbox if "has not been shortlisted" in m.subject]
    assert len(told) == 3 and REASON in told[0].text

    outbox.clear()
    invited = committee.invite_shortlisted(two_stage, stage, by=manager)
    session.commit()
    assert [p.id for p in invited] == [notes[0].id, notes[1].id]
    assert [p.status for p in notes[:2]] == ["invited", "invited"] and notes[0].invited_at is not None
    assert len(outbox) == 2
    audit = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "shortlist.invited")).one()
    assert audit.after["invited"] == [notes[0].reference, notes[1].reference]
    with pytest.raises(committee.CommitteeError, match="No shortlisted concept note"):
        committee.invite_shortlisted(two_stage, stage, by=manager)


def test_confirm_refuses_while_reviews_are_missing_or_divergent(
    session, rq, two_stage, notes, manager, make_proposal, review
):
    stage = two_stage.stages[0]
    lonely = make_proposal(two_stage, status=ProposalStatus.UNDER_REVIEW, stage="concept_note")
    review(lonely, ALL_FOURS)
    split = make_proposal(two_stage, status=ProposalStatus.UNDER_REVIEW, stage="concept_note")
    review(split, ALL_FIVES)
    review(split, FAILING)
    with pytest.raises(committee.CommitteeError) as caught:
        committee.confirm_shortlist(two_stage, stage, mode="number", value=2, reason=REASON, by=manager)
    problems = [str(m) for m in caught.value.problems.values()]
    assert f"{lonely.reference} has 1 of 2 submitted reviews." in problems
    assert any(split.reference in m and "record a consensus first" in m for m in problems)
    assert all(p.status == "under_review" for p in notes)


def test_shortlist_only_for_the_concept_note_stage_of_a_two_stage_call(session, rq, call, manager):
    with pytest.raises(committee.CommitteeError, match="two-stage call"):
        committee.confirm_shortlist(call, call.stages[0], mode="number", value=1, reason=REASON, by=manager)


def test_shortlist_page_preview_confirm_invite(client, sign_in, session, two_stage, notes, manager, outbox):
    stage = two_stage.stages[0]
    sign_in(client, manager)
    url = f"/manage/calls/{two_stage.id}/shortlist?stage_id={stage.id}"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"mode": "number", "number": "", "reason": REASON, "preview": "1"})
    assert "Enter how many concept notes to shortlist." in bad.get_data(as_text=True)
    preview = client.post(url, data={"mode": "multiple", "multiple": "2", "reason": REASON, "preview": "1"})
    html = preview.get_data(as_text=True)
    assert html.count('badge-pass">Shortlisted') == 3 and "Confirm the shortlist" in html
    assert all(p.status == "under_review" for p in notes)  # a preview changes nothing
    short_reason = client.post(url, data={"mode": "multiple", "multiple": "2", "reason": "short", "confirm": "1"})
    assert "Give the reason in at least 10 characters." in short_reason.get_data(as_text=True)
    done = client.post(url, data={"mode": "multiple", "multiple": "2", "reason": REASON, "confirm": "1"})
    assert done.status_code == 302
    session.expire_all()
    assert [p.status for p in notes] == ["shortlisted"] * 3 + ["not_shortlisted"] * 2
    page = client.get(url).get_data(as_text=True)
    assert "Invite all shortlisted" in page
    invited = client.post(f"/manage/calls/{two_stage.id}/shortlist/invite", data={"stage_id": stage.id})
    assert invited.status_code == 302
    session.expire_all()
    assert [p.status for p in notes[:3]] == ["invited"] * 3


def test_shortlist_page_says_what_must_happen_before_confirming(
    client, sign_in, session, two_stage, notes, manager, make_proposal, review
):
    lonely = make_proposal(two_stage, status=ProposalStatus.UNDER_REVIEW, stage="concept_note")
    review(lonely, ALL_FOURS)
    sign_in(client, manager)
    html = client.get(f"/manage/calls/{two_stage.id}/shortlist").get_data(as_text=True)
    assert "Before the shortlist can be confirmed:" in html
    assert f"{lonely.reference} has 1 of 2 submitted reviews." in html
