"""Section versions: a save made from an old version of a section is refused, other sections are unaffected."""

from __future__ import annotations

import pytest

from portal.proposals.operations import ProposalError
from portal.proposals.sections import claim_section, section_version


def test_a_section_save_from_a_stale_form_is_refused(session, make_call, make_proposal, make_user):
    proposal = make_proposal(make_call())
    user = proposal.created_by
    assert section_version(proposal, "summary") == 0

    row = claim_section(proposal, "summary", expected_version=0, by=user)
    row.data = {"text": "first"}
    session.commit()
    assert section_version(proposal, "summary") == 1

    # A second person's form was made from version 0: refused, with the section named.
    with pytest.raises(ProposalError, match="Summary"):
        claim_section(proposal, "summary", expected_version=0, by=user)

    # Another section is independent.
    claim_section(proposal, "risks", expected_version=0, by=user).data = {"risks": []}
    session.commit()
    assert section_version(proposal, "risks") == 1
    assert section_version(proposal, "summary") == 1


def test_unknown_section_keys_are_a_programming_error(session, make_call, make_proposal):
    proposal = make_proposal(make_call())
    with pytest.raises(KeyError):
        claim_section(proposal, "nonsense", expected_version=None, by=None)
