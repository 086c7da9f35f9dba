"""portal.core.loading: one object's collections read with one statement each, as an eager load would give them (the
relationship's order, the children's own eager loads), leaving alone what the session holds already."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import joinedload

from portal.core import loading
from portal.core.querycount import counting
from portal.extensions import db
from portal.proposals.models import BudgetCategory, BudgetLine, Proposal, ProposalPartner, ProposalSection


@pytest.fixture
def proposal(make_call, make_proposal, make_org):
    made = make_proposal(make_call())
    for key in ("summary", "relevance", "identification"):  # saved out of the relationship's order (by key)
        db.session.add(ProposalSection(proposal=made, key=key, data={"text": key}))
    for position in (3, 1, 2):
        db.session.add(
            BudgetLine(
                proposal=made,
                category=BudgetCategory.HUMAN_RESOURCES.value,
                description=f"line {position}",
                unit="month",
                quantity=1,
                unit_cost=100,
                position=position,
            )
        )
    for _partner in range(2):
        db.session.add(ProposalPartner(proposal=made, organisation=make_org(), role="co_applicant", status="accepted"))
    db.session.commit()
    proposal_id = made.id
    db.session.expunge_all()
    return proposal_id


def _statements(proposal_id):
    return {
        "sections": loading.children_of(Proposal.sections),
        "budget_lines": loading.children_of(Proposal.budget_lines),
        "partners": loading.children_of(Proposal.partners, joinedload(ProposalPartner.organisation)),
    }


def test_each_collection_in_one_statement_in_the_relationships_order(app, proposal):
    loaded = db.session.get(Proposal, proposal)
    with counting() as statements:
        loading.fill(loaded, _statements(proposal))
        sections = [s.key for s in loaded.sections]
        lines = [line.position for line in loaded.budget_lines]
        partners = [(p.id, p.organisation.legal_name) for p in loaded.partners]
    assert statements.count == 3  # the partners' organisations came with them
    assert sections == ["identification", "relevance", "summary"]
    assert lines == [1, 2, 3]
    assert [p[0] for p in partners] == sorted(p[0] for p in partners) and len(partners) == 2
    db.session.expunge_all()
    eager = db.session.get(Proposal, proposal)
    assert [s.key for s in eager.sections] == sections and [line.position for line in eager.budget_lines] == lines


def test_a_collection_the_session_holds_is_left_as_it_is(app, proposal):
    loaded = db.session.get(Proposal, proposal)
    pending = ProposalSection(key="risks", data={})
    loaded.sections.append(pending)  # loads the collection, then changes it in this session
    with counting() as statements:
        loading.fill(loaded, {"sections": loading.children_of(Proposal.sections)})
    assert statements.count == 0
    assert pending in loaded.sections
    db.session.rollback()


def test_an_empty_collection_is_loaded_empty(app, make_call, make_proposal):
    made = make_proposal(make_call())
    proposal_id = made.id
    db.session.expunge_all()
    loaded = db.session.get(Proposal, proposal_id)
    loading.fill(loaded, {"budget_lines": loading.children_of(Proposal.budget_lines)})
    with counting() as statements:
        assert loaded.budget_lines == []
    assert statements.count == 0


def test_only_one_to_many_relationships_on_one_column(app):
    with pytest.raises(ValueError):
        loading.children_of(Proposal.dialogues)  # many-to-many
    with pytest.raises(ValueError):
        loading.children_of(Proposal.call)  # many-to-one
