"""The state machine of a proposal: every legal transition is allowed and audited with its reason, every illegal
one is refused with a message a person can read and changes nothing."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.proposals import states
from portal.proposals.models import PROPOSAL_STATUS_VALUES, ProposalStatus

ALL_PAIRS = list(itertools.product(PROPOSAL_STATUS_VALUES, PROPOSAL_STATUS_VALUES))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in states.TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in states.TRANSITIONS[a]]


def test_the_table_names_every_status_and_labels_each():
    assert set(states.TRANSITIONS) == set(PROPOSAL_STATUS_VALUES)
    assert set(states.STATUS_LABELS) == set(PROPOSAL_STATUS_VALUES)
    for targets in states.TRANSITIONS.values():
        assert targets <= set(PROPOSAL_STATUS_VALUES)


def test_decided_proposals_are_final():
    for final in (ProposalStatus.AWARDED, ProposalStatus.REJECTED, ProposalStatus.FULL_APPLICATION_SUBMITTED):
        assert states.TRANSITIONS[final] == frozenset()


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def proposal(make_call, make_proposal):
    return make_proposal(make_call())


@pytest.mark.parametrize(("before", "after"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition_is_made_and_audited_with_its_reason(app, session, proposal, manager, before, after):
    proposal.status = before  # the fixture's starting point; the move under test goes through the machine
    session.flush()
    with app.test_request_context():
        states.transition(proposal, after, by=manager, reason="checked by the committee")
    session.flush()
    assert proposal.status == after
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "proposals", AuditEntry.object_id == str(proposal.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.action == f"proposal.{after}"
    assert entry.actor_id == manager.id
    assert entry.before == {"status": before}
    assert entry.after == {"status": after, "reason": "checked by the committee"}


@pytest.mark.parametrize(("before", "after"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_is_refused_with_a_clear_message(app, session, proposal, manager, before, after):
    proposal.status = before
    session.flush()
    count = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    with app.test_request_context(), pytest.raises(states.IllegalTransitionError) as refused:
        states.transition(proposal, after, by=manager, reason="an attempt")
    with app.test_request_context():
        message = str(refused.value)
        assert str(states.STATUS_LABELS[before]) in message
        assert str(states.STATUS_LABELS[after]) in message
        assert "cannot become" in message
    assert proposal.status == before
    assert session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == count
