"""The call's consortium rules, each with the message the lead reads on the consortium page and at submission."""

from __future__ import annotations

import pytest

from portal.calls.models import CallApplicantType, CallLeadCountry
from portal.consortia.operations import consortium_problems
from portal.extensions import db
from portal.proposals.models import ProposalPartner
from portal.proposals.operations import ProposalError, submit_proposal, validate_for_submission
from tests.accounts.helpers import text_of


@pytest.fixture
def lead_user(make_user):
    return make_user("applicant", full_name="Lead Person")


def _partner(proposal, org, status="accepted", role="co_applicant"):
    partner = ProposalPartner(proposal=proposal, organisation=org, role=role, status=status, editable_sections=[])
    db.session.add(partner)
    db.session.commit()
    return partner


def _messages(proposal):
    db.session.expire_all()
    return [message for _anchor, message in consortium_problems(proposal)]


def test_minimum_number_of_co_applicants(make_call, make_org, make_proposal, lead_user):
    call = make_call(min_co_applicants=2)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user]))
    _partner(proposal, make_org(legal_name="Partner One", acronym=None))
    assert "This call needs at least 2 co-applicants; the consortium has 1." in _messages(proposal)
    _partner(proposal, make_org(legal_name="Partner Two", acronym=None))
    assert _messages(proposal) == []


def test_minimum_of_one_reads_in_the_singular(make_call, make_org, make_proposal, lead_user):
    call = make_call(min_co_applicants=1)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user]))
    assert _messages(proposal) == ["This call needs at least 1 co-applicant; the consortium has 0."]


def test_only_accepted_partners_count_and_pending_ones_are_listed(make_call, make_org, make_proposal, lead_user):
    call = make_call(min_co_applicants=1)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user]))
    pending = _partner(proposal, make_org(legal_name="Slow NGO", acronym=None), status="invited")
    problems = consortium_problems(proposal)
    assert ("consortium", "This call needs at least 1 co-applicant; the consortium has 0.") in problems
    assert (f"partner-{pending.id}", "Slow NGO has not yet accepted the invitation.") in problems


def test_pending_invitation_by_email_is_named_by_the_name_given(make_call, make_org, make_proposal, lead_user):
    proposal = make_proposal(make_call(), organisation=make_org(members=[lead_user]))
    db.session.add(
        ProposalPartner(
            proposal=proposal, invited_email="x@new.example", invited_name="New Collective", status="invited"
        )
    )
    db.session.commit()
    assert _messages(proposal) == ["New Collective has not yet accepted the invitation."]


def test_declined_partner_must_be_removed(make_call, make_org, make_proposal, lead_user):
    proposal = make_proposal(make_call(), organisation=make_org(members=[lead_user]))
    _partner(proposal, make_org(legal_name="No Thanks", acronym=None), status="declined")
    assert _messages(proposal) == ["No Thanks declined the invitation; remove it from the consortium."]


def test_maximum_number_of_co_applicants(make_call, make_org, make_proposal, lead_user):
    call = make_call(max_co_applicants=1)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user]))
    _partner(proposal, make_org())
    _partner(proposal, make_org())
    assert _messages(proposal) == ["This call allows at most 1 co-applicant; the consortium has 2."]


def test_african_union_member_required(make_call, make_org, make_proposal, lead_user):
    call = make_call(require_african_member=True)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user], country="FR"))
    _partner(proposal, make_org(country="BE"))
    # an associated entity in Africa does not satisfy the rule: it takes part without funds
    _partner(proposal, make_org(country="SN"), role="associated")
    message = "At least one organisation of the consortium must be based in a member state of the African Union."
    assert _messages(proposal) == [message]
    _partner(proposal, make_org(country="MA"))
    assert _messages(proposal) == []


def test_african_lead_satisfies_the_african_member_rule(make_call, make_org, make_proposal, lead_user):
    call = make_call(require_african_member=True)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user], country="SN"))
    assert _messages(proposal) == []


def test_eu_lead_needs_an_african_co_applicant(make_call, make_org, make_proposal, lead_user):
    call = make_call(eu_lead_needs_african_co_applicant=True)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user], country="BE"))
    _partner(proposal, make_org(country="DE"))
    assert _messages(proposal) == ["An EU-based lead applicant needs at least one co-applicant based in Africa."]
    _partner(proposal, make_org(country="GH"))
    assert _messages(proposal) == []


def test_non_eu_lead_is_not_concerned(make_call, make_org, make_proposal, lead_user):
    call = make_call(eu_lead_needs_african_co_applicant=True)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user], country="NO"))
    assert _messages(proposal) == []


def test_applicant_types(make_call, make_org, make_proposal, lead_user):
    call = make_call()
    call.applicant_type_rows = [
        CallApplicantType(organisation_type="ngo"),
        CallApplicantType(organisation_type="research"),
    ]
    db.session.commit()
    proposal = make_proposal(call, organisation=make_org(members=[lead_user], type="ngo"))
    company = _partner(proposal, make_org(legal_name="Acme Ltd", acronym=None, type="private_sector"))
    problems = consortium_problems(proposal)
    assert problems == [
        (f"partner-{company.id}", "Acme Ltd is a private company; this call is open to: NGO, research institution.")
    ]
    # associated entities are not bound by the types
    company.role = "associated"
    db.session.commit()
    assert _messages(proposal) == []


def test_lead_type_and_country(make_call, make_org, make_proposal, lead_user):
    call = make_call()
    call.applicant_type_rows = [CallApplicantType(organisation_type="ngo")]
    call.lead_country_rows = [CallLeadCountry(country_code="SN"), CallLeadCountry(country_code="ML")]
    db.session.commit()
    lead = make_org(members=[lead_user], legal_name="Uni Accra", acronym=None, type="research", country="GH")
    proposal = make_proposal(call, organisation=lead)
    assert _messages(proposal) == [
        "Uni Accra is based in Ghana; the lead applicant of this call must be based in: Mali, Senegal.",
        "Uni Accra is a research institution; this call is open to: NGO.",
    ]


def test_submission_is_refused_with_the_consortium_problems(make_call, make_org, make_proposal, lead_user):
    call = make_call(min_co_applicants=1)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user]), complete=True)
    invited = _partner(proposal, make_org(legal_name="Not Yet", acronym=None), status="invited")
    # Every section is filled in: only the consortium stands in the way, each problem linked to its place.
    assert validate_for_submission(proposal) == [
        ("consortium", "This call needs at least 1 co-applicant; the consortium has 0."),
        (f"consortium#partner-{invited.id}", "Not Yet has not yet accepted the invitation."),
    ]
    with pytest.raises(ProposalError) as raised:
        submit_proposal(proposal, by=lead_user)
    assert "Not Yet has not yet accepted the invitation." in raised.value.messages
    invited.status = "accepted"
    db.session.commit()
    submit_proposal(proposal, by=lead_user)
    db.session.commit()
    assert proposal.status == "submitted"
    assert proposal.snapshots[0].data["partners"][0]["legal_name"] == "Not Yet"


def test_problems_show_on_the_page_and_in_json(client, login, make_call, make_org, make_proposal, lead_user):
    call = make_call(min_co_applicants=2, require_african_member=True)
    proposal = make_proposal(call, organisation=make_org(members=[lead_user], country="FR"))
    login(client, lead_user)
    page = text_of(client.get(f"/proposals/{proposal.id}/consortium"))
    assert "This call needs at least 2 co-applicants; the consortium has 0." in page
    assert "At least one organisation of the consortium must be based in a member state of the African Union." in page
    data = client.get(f"/proposals/{proposal.id}/consortium/check").get_json()
    assert data["ok"] is False
    assert {"anchor": "consortium", "message": "This call needs at least 2 co-applicants; the consortium has 0."} in (
        data["problems"]
    )
    # and on the proposal's own page, in the list of what stands before submission
    assert "This call needs at least 2 co-applicants; the consortium has 0." in text_of(
        client.get(f"/proposals/{proposal.id}")
    )


def test_associated_entities_have_no_budget(make_call, make_org, make_proposal, lead_user):
    from decimal import Decimal

    from portal.proposals.models import BudgetLine

    proposal = make_proposal(make_call(), organisation=make_org(members=[lead_user]))
    associated = _partner(proposal, make_org(legal_name="Helper", acronym=None), role="associated")
    assert _messages(proposal) == []
    db.session.add(
        BudgetLine(
            proposal_id=proposal.id,
            partner_id=associated.id,
            category="travel",
            description="Flights",
            quantity=Decimal(1),
            unit_cost=Decimal("300.00"),
        )
    )
    db.session.commit()
    assert _messages(proposal) == ["Helper is an associated entity and receives no funds: remove its budget lines."]
