"""Administrative and eligibility checks: the call's checklist, answers (a failed item needs a reason), the
conclusion through the state machine, and what the applicant reads (only once concluded, only their own)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import checks, composer
from portal.evaluation.checks import CheckError
from portal.evaluation.checks_models import CheckItem
from portal.evaluation.models import AssignmentStatus
from portal.extensions import db
from portal.proposals.models import ProposalPartner, ProposalStatus

ADMIN = "administrative_check"
ELIGIBILITY = "eligibility_check"


@pytest.fixture
def checked_call(rq, call, manager):
    composer.add_stage(call, ADMIN, by=manager)
    composer.add_stage(call, ELIGIBILITY, by=manager)
    db.session.commit()
    return call


def _answers(checklist, failed: dict | None = None) -> dict:
    """Every line passed, except those whose item label (or label + organisation name) is in `failed`."""
    failed = failed or {}
    answers = {}
    for line in checklist.lines:
        reason = failed.get(line.item.label_en)
        if line.organisation is not None:
            reason = failed.get((line.item.label_en, line.organisation.name), reason)
        answers[line.key] = (False, reason) if reason is not None else (True, "")
    return answers


def test_default_checklists_follow_the_domain(checked_call):
    admin = [i.label_en for i in checks.items_of(checked_call, ADMIN)]
    assert admin == [
        "The deadline was met",
        "The application form is complete",
        "The proposal is written in a language of the call",
        "The required documents are attached",
        "The declarations are signed",
    ]
    eligibility = checks.items_of(checked_call, ELIGIBILITY)
    assert len(eligibility) == 1 and eligibility[0].per_member
    # adding the stage again does not duplicate the checklist
    checks.ensure_default_items(checked_call, ADMIN, by=None)
    assert len(checks.items_of(checked_call, ADMIN)) == 5


def test_eligibility_is_checked_for_each_consortium_member(checked_call, proposal, make_org):
    co_applicant, declined = make_org(legal_name="Sahel Research Hub"), make_org(legal_name="Declined Org")
    proposal.partners = [
        ProposalPartner(organisation=co_applicant, role="co_applicant", status="accepted"),
        ProposalPartner(organisation=declined, role="co_applicant", status="declined"),
    ]
    db.session.flush()
    lines = checks.checklist(proposal, ELIGIBILITY).lines
    assert [line.organisation.name for line in lines] == [proposal.organisation.name, co_applicant.name]


def test_a_failed_item_needs_a_reason(checked_call, proposal, manager):
    current = checks.checklist(proposal, ADMIN)
    answers = _answers(current, {"The declarations are signed": "  "})
    with pytest.raises(CheckError) as refused:
        checks.save_answers(proposal, ADMIN, answers, by=manager)
    (message,) = [str(m) for m in refused.value.errors.values()]
    assert message == "“The declarations are signed”: say why it failed. The applicant will read this reason."


def test_progress_is_saved_then_concluded_admissible(checked_call, proposal, manager):
    current = checks.checklist(proposal, ADMIN)
    first = current.lines[0]
    checks.save_answers(proposal, ADMIN, {first.key: (True, "")}, by=manager)
    saved = checks.checklist(proposal, ADMIN)
    assert saved.answered == 1 and saved.conclusion is None
    with pytest.raises(CheckError, match="1 of 5 are answered"):
        checks.conclude(proposal, ADMIN, by=manager)

    checks.save_answers(proposal, ADMIN, _answers(saved), by=manager)
    conclusion = checks.conclude(proposal, ADMIN, by=manager)
    assert conclusion.passed and proposal.status == ProposalStatus.ADMISSIBLE
    with pytest.raises(CheckError, match="concluded"):
        checks.save_answers(proposal, ADMIN, _answers(saved), by=manager)
    with pytest.raises(CheckError, match="already concluded"):
        checks.conclude(proposal, ADMIN, by=manager)
    # then the eligibility check
    checks.save_answers(proposal, ELIGIBILITY, _answers(checks.checklist(proposal, ELIGIBILITY)), by=manager)
    checks.conclude(proposal, ELIGIBILITY, by=manager)
    assert proposal.status == ProposalStatus.ELIGIBLE
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(proposal.id))).all()
    assert {"checks.answers", "checks.concluded", "proposal.admissible", "proposal.eligible"} <= set(actions)


def test_a_failed_item_makes_the_proposal_not_admissible_with_the_reason(checked_call, proposal, manager):
    current = checks.checklist(proposal, ADMIN)
    answers = _answers(current, {"The declarations are signed": "The declaration on honour is not signed."})
    checks.save_answers(proposal, ADMIN, answers, by=manager)
    conclusion = checks.conclude(proposal, ADMIN, by=manager)
    assert not conclusion.passed
    assert proposal.status == ProposalStatus.NOT_ADMISSIBLE
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.not_admissible"))
    assert "The declaration on honour is not signed." in entry.after["reason"]


def test_a_proposal_in_another_status_cannot_be_checked(checked_call, make_proposal, manager):
    reviewed = make_proposal(checked_call, status=ProposalStatus.UNDER_REVIEW)
    current = checks.checklist(reviewed, ADMIN)
    assert not current.is_open
    with pytest.raises(CheckError, match="can no longer change"):
        checks.save_answers(reviewed, ADMIN, _answers(current), by=manager)


def test_checklist_items_are_added_and_removed(checked_call, proposal, manager):
    item = checks.add_item(checked_call, ADMIN, "Budget in euros", "Budget en euros", False, by=manager)
    assert item.position == 6
    with pytest.raises(CheckError) as refused:
        checks.add_item(checked_call, ADMIN, " ", "", False, by=manager)
    assert set(refused.value.errors) == {"label_en", "label_fr"}
    checks.remove_item(item, by=manager)
    first = checks.items_of(checked_call, ADMIN)[0]
    checks.save_answers(proposal, ADMIN, {checks.checklist(proposal, ADMIN).lines[0].key: (True, "")}, by=manager)
    with pytest.raises(CheckError, match="can no longer be removed"):
        checks.remove_item(first, by=manager)
    assert db.session.get(CheckItem, first.id) is not None


# -- pages -----------------------------------------------------------------------------------------------------


def test_manager_works_through_the_checklist_page(client, sign_in, checked_call, proposal, manager):
    sign_in(client, manager)
    url = f"/manage/proposals/{proposal.id}/checks/{ADMIN}"
    page = client.get(url)
    assert page.status_code == 200 and "The declarations are signed" in page.text
    lines = checks.checklist(proposal, ADMIN).lines
    form = {line.key: "yes" for line in lines}
    form[lines[-1].key] = "no"
    form["conclude"] = "1"
    refused = client.post(url, data=form)
    assert refused.status_code == 400
    assert "say why it failed" in refused.text
    assert 'value="no" checked' in refused.text  # what was typed is kept
    assert proposal.status == ProposalStatus.SUBMITTED

    form[lines[-1].key + "-reason"] = "Unsigned declaration."
    done = client.post(url, data=form)
    assert done.status_code == 302
    db.session.expire_all()
    assert proposal.status == ProposalStatus.NOT_ADMISSIBLE
    overview = client.get(f"/manage/calls/{checked_call.id}/checks")
    assert overview.status_code == 200 and proposal.reference in overview.text and "Failed" in overview.text


def test_applicant_reads_the_reasons_once_concluded_and_nobody_else(
    client, sign_in, checked_call, proposal, manager, make_user, make_assignment, evaluator
):
    applicant = proposal.organisation.memberships[0].user
    reason = "The declaration on honour is not signed."
    checks.save_answers(
        proposal,
        ADMIN,
        _answers(checks.checklist(proposal, ADMIN), {"The declarations are signed": reason}),
        by=manager,
    )
    db.session.commit()
    sign_in(client, applicant)
    assert reason not in client.get(f"/proposals/{proposal.id}").text  # not before the conclusion

    checks.conclude(proposal, ADMIN, by=manager)
    db.session.commit()
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200 and reason in page.text and "Administrative check" in page.text

    sign_in(client, make_user("applicant"))
    assert client.get(f"/proposals/{proposal.id}").status_code == 404

    make_assignment(proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    sign_in(client, evaluator)
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200 and reason not in page.text  # the check is between the manager and applicant


def test_eligibility_waits_for_the_administrative_check(checked_call, proposal, manager):
    checks.save_answers(proposal, ELIGIBILITY, _answers(checks.checklist(proposal, ELIGIBILITY)), by=manager)
    with pytest.raises(CheckError, match="Conclude the administrative check first"):
        checks.conclude(proposal, ELIGIBILITY, by=manager)
    assert proposal.status == ProposalStatus.SUBMITTED


def test_a_failed_check_is_reopened_with_a_reason(checked_call, proposal, manager):
    reason = "The declaration on honour is not signed."
    answers = _answers(checks.checklist(proposal, ADMIN), {"The declarations are signed": reason})
    checks.save_answers(proposal, ADMIN, answers, by=manager)
    checks.conclude(proposal, ADMIN, by=manager)
    with pytest.raises(CheckError) as refused:
        checks.reopen(proposal, ADMIN, "short", by=manager)
    assert str(refused.value.errors["reopen_reason"]) == "Say why the check is re-opened (at least 10 characters)."

    checks.reopen(proposal, ADMIN, "The signed declaration arrived by post.", by=manager)
    assert proposal.status == ProposalStatus.SUBMITTED
    current = checks.checklist(proposal, ADMIN)
    assert current.is_open and current.answered == 5 and checks.applicant_outcomes(proposal) == []
    checks.save_answers(proposal, ADMIN, _answers(current), by=manager)
    checks.conclude(proposal, ADMIN, by=manager)
    assert proposal.status == ProposalStatus.ADMISSIBLE
    with pytest.raises(CheckError, match=r"Only a failed check can be re-opened\."):
        checks.reopen(proposal, ADMIN, "Another look at it, please.", by=manager)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checks.reopened")) is not None


def test_reopen_page_keeps_the_reason_typed(client, sign_in, checked_call, proposal, manager):
    answers = _answers(checks.checklist(proposal, ADMIN), {"The declarations are signed": "Unsigned."})
    checks.save_answers(proposal, ADMIN, answers, by=manager)
    checks.conclude(proposal, ADMIN, by=manager)
    db.session.commit()
    sign_in(client, manager)
    url = f"/manage/proposals/{proposal.id}/checks/{ADMIN}/reopen"
    refused = client.post(url, data={"reopen_reason": "Oops"})
    assert (
        refused.status_code == 400 and "at least 10 characters" in refused.text and ">Oops</textarea>" in refused.text
    )
    assert client.post(url, data={"reopen_reason": "The signed declaration arrived."}).status_code == 302
    db.session.expire_all()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_staff_reach_the_checklists_from_the_proposal_page(client, sign_in, checked_call, proposal, manager):
    sign_in(client, manager)
    page = client.get(f"/proposals/{proposal.id}")
    assert f"/manage/proposals/{proposal.id}/checks/administrative_check" in page.text
    sign_in(client, proposal.organisation.memberships[0].user)
    assert "/checks/administrative_check" not in client.get(f"/proposals/{proposal.id}").text


def test_a_proposal_through_both_checks_gets_its_evaluators(checked_call, proposal, manager, make_evaluator):
    """The checks come before the evaluation: an eligible proposal is offered to the automatic assignment and takes
    an evaluator by hand, and its first evaluator puts it under review."""
    from portal.evaluation import evaluator_operations, operations, pipeline

    for kind in (ADMIN, ELIGIBILITY):
        checks.save_answers(proposal, kind, _answers(checks.checklist(proposal, kind)), by=manager)
        checks.conclude(proposal, kind, by=manager)
    assert proposal.status == ProposalStatus.ELIGIBLE
    make_evaluator()
    stage = pipeline.scoring_stage_for(proposal)
    assert proposal.id in evaluator_operations.plan_stage(stage).proposals

    operations.assign_evaluator(proposal, make_evaluator(), by=manager)
    assert proposal.status == ProposalStatus.UNDER_REVIEW
