from __future__ import annotations

import pytest

from portal.proposals.models import ProposalCountry
from tests.calls.conftest import _one_session, rq  # noqa: F401 - shared fixtures


@pytest.fixture
def applicant(make_user, make_org):
    user = make_user("applicant", timezone="Africa/Dakar")
    make_org(legal_name="Association Sahel Mobilité", members=[user])
    return user


@pytest.fixture
def open_call(make_call):
    return make_call(reference="CFP-OPEN")


@pytest.fixture
def draft(open_call, applicant, make_proposal, session):
    """A complete draft of the applicant's organisation, to be implemented in Senegal and Mali."""
    proposal = make_proposal(open_call, organisation=applicant.organisations[0], created_by=applicant)
    proposal.country_rows = [ProposalCountry(country_code=c) for c in ("ML", "SN")]
    session.commit()
    return proposal


@pytest.fixture
def complete_draft(draft, applicant):
    """The draft with every section of the form filled in: ready to submit."""
    from tests.proposals.filling import fill_sections

    fill_sections(draft, applicant)
    return draft
