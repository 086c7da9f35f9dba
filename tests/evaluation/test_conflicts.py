"""Conflicts of interest the portal detects itself, and the refusals of manual assignment."""

from __future__ import annotations

import pytest

from portal.evaluation import operations
from portal.evaluation.conflicts import detected_conflict
from portal.proposals.models import ProposalPartner


def test_no_conflict_without_a_link(session, rq, proposal, make_evaluator, make_org):
    evaluator = make_evaluator(organisation=make_org(legal_name="Unrelated Institute"))
    assert detected_conflict(evaluator, proposal) is None


def test_own_organisation_is_the_lead(session, rq, proposal, make_evaluator):
    evaluator = make_evaluator(organisation=proposal.organisation)
    reason = detected_conflict(evaluator, proposal)
    assert reason == f"The evaluator works for {proposal.organisation.name}, which is in the consortium."


def test_past_employer_is_a_partner(session, rq, proposal, make_evaluator, make_org):
    partner = make_org(legal_name="Réseau des Jeunes du Sahel", acronym=None, country="ML")
    session.add(ProposalPartner(proposal=proposal, organisation=partner, role="co_applicant"))
    session.commit()
    evaluator = make_evaluator(past_employers=[partner])
    assert detected_conflict(evaluator, proposal) == (
        "The evaluator worked for Réseau des Jeunes du Sahel, which is in the consortium."
    )


def test_written_past_employer_matched_by_the_organisation_matcher(session, rq, proposal, make_evaluator, make_org):
    partner = make_org(legal_name="Association Sénégalaise pour le Développement ASBL", acronym=None)
    session.add(ProposalPartner(proposal=proposal, organisation=partner, role="associated"))
    session.commit()
    evaluator = make_evaluator(past_employer_names=["association senegalaise pour le developpement"])
    reason = detected_conflict(evaluator, proposal)
    assert reason is not None and "matches Association Sénégalaise pour le Développement ASBL" in reason
    # A different organisation of a similar shape is not a match.
    other = make_evaluator(past_employer_names=["Association Malienne pour la Santé"])
    assert detected_conflict(other, proposal) is None


def test_manual_assignment_refuses_a_detected_conflict(session, rq, proposal, manager, make_evaluator):
    evaluator = make_evaluator(full_name="Insider Evaluator", organisation=proposal.organisation)
    with pytest.raises(operations.EvaluationError) as exc:
        operations.assign_evaluator(proposal, evaluator, by=manager)
    assert str(exc.value.message) == (
        f"Insider Evaluator cannot be assigned to {proposal.reference}: "
        f"The evaluator works for {proposal.organisation.name}, which is in the consortium."
    )
    assert exc.value.field == "evaluator_id"
    assert proposal.assignments == []


def test_manual_assignment_refuses_an_evaluator_who_has_not_signed(session, rq, proposal, manager, make_evaluator):
    evaluator = make_evaluator(signed=False, full_name="New Evaluator")
    with pytest.raises(operations.EvaluationError) as exc:
        operations.assign_evaluator(proposal, evaluator, by=manager)
    assert "New Evaluator has not signed the confidentiality and impartiality declaration" in str(exc.value.message)


def test_assign_page_shows_the_conflict_next_to_the_field(client, sign_in, proposal, manager, make_evaluator):
    evaluator = make_evaluator(full_name="Insider Evaluator", organisation=proposal.organisation)
    sign_in(client, manager)
    response = client.post(
        f"/manage/calls/{proposal.call_id}/assignments",
        data={"proposal_id": proposal.id, f"p{proposal.id}-evaluator_id": evaluator.id},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Insider Evaluator cannot be assigned to" in html
    assert "which is in the consortium" in html


def test_assign_page_marks_evaluators_who_have_not_signed(client, sign_in, proposal, manager, make_evaluator):
    make_evaluator(full_name="Signed Sam")
    make_evaluator(full_name="Unsigned Uma", signed=False)
    sign_in(client, manager)
    html = client.get(f"/manage/calls/{proposal.call_id}/assignments").get_data(as_text=True)
    assert "Unsigned Uma" in html and "declaration not signed" in html
    signed_option = html.split("Signed Sam")[1].split("</option>")[0]
    assert "declaration not signed" not in signed_option
