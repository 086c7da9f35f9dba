"""What the award letter says besides the basics (legal representative, co-financing, payments, reports, special
conditions), new versions after an approved amendment, rejection and reserve-list letters, and the bulk issue of a
call's letters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core import storage
from portal.core.audit import AuditEntry
from portal.documents import letters
from portal.documents.models import Document
from portal.documents.operations import DocumentError, find_by_code, latest_version
from portal.evaluation.models import Decision
from portal.extensions import db
from portal.grants import amendments
from portal.grants.operations import change_status
from tests.documents.test_letter import pdf_text
from tests.grants.conftest import START

JUSTIFICATION = "The elections in Mali delayed the field work by three months."


def _reload(session, document_id: int) -> Document:
    session.expire_all()
    return session.get(Document, document_id)


def test_the_letter_names_the_legal_representative_payments_reports_and_conditions(session, awarded, consortium):
    consortium.lead.legal_representative = "Mamadou Sow"
    consortium.lead.legal_representative_title = "Président"
    letters.set_special_conditions(
        awarded, "First condition: <b>bank</b> account confirmed.\n\nSecond condition.", by=consortium.manager
    )
    document = letters.request_award_letter(awarded, by=consortium.manager)
    session.commit()
    document = _reload(session, document.id)
    assert document.status == "ready", document.error
    text = pdf_text(storage.get(document.storage_key))
    assert "Mamadou Sow" in text and "Président" in text
    assert "Dear Mamadou Sow," in text
    assert "PAYMENT SCHEDULE" in text and "Pre-financing" in text and "Balance" in text  # headings in capitals
    for tranche in awarded.tranches:
        assert f"{tranche.planned_amount:,.2f}" in text
    assert "Interim narrative report" in text and "Final financial report" in text
    assert "SPECIAL CONDITIONS" in text
    assert "First condition: <b>bank</b> account confirmed." in text  # data is printed, never interpreted
    assert "Second condition." in text
    entry = session.scalar(db.select(AuditEntry).where(AuditEntry.action == "grant.special_conditions_changed"))
    assert entry is not None and entry.after["special_conditions"].startswith("First condition")


def test_special_conditions_are_capped(session, awarded, consortium):
    with pytest.raises(DocumentError, match="at most 5000 characters"):
        letters.set_special_conditions(awarded, "x" * 5001, by=consortium.manager)


def test_an_approved_amendment_makes_a_new_version_and_the_old_stays_superseded(session, awarded, consortium):
    change_status(awarded, "activate", by=consortium.manager, on=START)
    session.commit()
    first = awarded.current_letter
    amendment = amendments.request_amendment(
        awarded,
        kind="no_cost_extension",
        changes={"end_date": "2028-12-31"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    session.commit()
    assert awarded.current_letter.id == first.id  # a request alone changes nothing
    amendments.decide_amendment(amendment, approve=True, comment="", by=consortium.manager)
    session.commit()
    session.expire_all()
    first = session.get(Document, first.id)
    current = awarded.current_letter
    assert current.version == 2 and current.status == "ready"
    assert first.is_superseded and first.status == "ready" and storage.get(first.storage_key)
    assert "December 31, 2028" in pdf_text(storage.get(current.storage_key))
    assert latest_version(first) == 2


def test_a_rejected_amendment_makes_no_new_version(session, awarded, consortium):
    change_status(awarded, "activate", by=consortium.manager, on=START)
    amendment = amendments.request_amendment(
        awarded,
        kind="no_cost_extension",
        changes={"end_date": "2028-12-31"},
        justification=JUSTIFICATION,
        by=consortium.lead_user,
    )
    amendments.decide_amendment(amendment, approve=False, comment="Not justified enough.", by=consortium.manager)
    session.commit()
    assert [d.version for d in awarded.documents] == [1]


@pytest.fixture
def decided(session, consortium):
    def make(outcome: str) -> Decision:
        decision = Decision(
            proposal=consortium.proposal,
            outcome=outcome,
            reason="The work plan does not show how the activities reach <the> planned participants.",
            decided_by_id=consortium.manager.id,
        )
        session.add(decision)
        session.flush()
        return decision

    return make


@pytest.mark.parametrize(
    ("outcome", "kind", "sentence"),
    [
        ("reject", "rejection_letter", "decided not to award a grant"),
        ("reserve", "reserve_letter", "placed your proposal on the reserve list"),
    ],
)
def test_a_decision_letter_tells_the_outcome_and_the_reasons(session, consortium, decided, outcome, kind, sentence):
    decision = decided(outcome)
    document = letters.request_decision_letter(decision, by=consortium.manager)
    session.commit()
    document = _reload(session, document.id)
    assert document.kind == kind and document.status == "ready", document.error
    assert document.filename == f"{kind.replace('_', '-')}-{consortium.proposal.reference}-v1.pdf"
    text = pdf_text(storage.get(document.storage_key))
    assert sentence in " ".join(text.split())
    assert "reach <the> planned participants" in text
    assert consortium.proposal.reference in text
    assert "Association Jeunesse et Migration" in text
    assert document.verification_code in text
    assert find_by_code(document.verification_code).id == document.id
    assert latest_version(document) == 1


def test_an_award_decision_has_no_decision_letter(session, consortium, decided):
    assert letters.request_decision_letter(decided("award"), by=consortium.manager) is None


def test_a_decision_letter_in_french(session, consortium, decided):
    consortium.lead_user.locale = "fr"
    document = letters.request_decision_letter(decided("reject"), by=consortium.manager)
    session.commit()
    document = _reload(session, document.id)
    assert document.language == "fr"
    text = " ".join(pdf_text(storage.get(document.storage_key)).split())
    assert "ne pas attribuer de subvention" in text
    assert "Page 1 sur 1" in text


def test_who_may_download_a_decision_letter(client, login, session, consortium, decided, make_user):
    document = letters.request_decision_letter(decided("reject"), by=consortium.manager)
    session.commit()
    url = f"/documents/{document.id}/download"
    expected = {
        consortium.lead_user: 200,
        consortium.manager: 200,
        consortium.co_user: 403,  # a partner sees the proposal, not the letter to the lead
        make_user("evaluator"): 404,
        make_user("applicant"): 404,
    }
    for user, code in expected.items():
        login(client, user)
        assert client.get(url).status_code == code, user


def test_the_verification_page_names_a_decision_letter(client, session, consortium, decided):
    document = letters.request_decision_letter(decided("reserve"), by=consortium.manager)
    session.commit()
    page = client.get(f"/verify/{document.verification_code}").get_data(as_text=True)
    assert "Reserve-list letter" in page and consortium.proposal.reference in page


# -- bulk: every award letter of a call ----------------------------------------------------------------------------


def test_issue_call_letters_fills_the_gaps_and_reissue_needs_a_reason(session, awarded, consortium):
    # Every grant already has its letter: nothing to do.
    assert letters.issue_call_letters(consortium.call, by=consortium.manager) == []
    assert letters.call_letter_counts(consortium.call.id)["ready"] == 1
    with pytest.raises(DocumentError, match="reason"):
        letters.issue_call_letters(consortium.call, by=consortium.manager, reissue=True, reason="")
    queued = letters.issue_call_letters(
        consortium.call, by=consortium.manager, reissue=True, reason="The signatory changed in March."
    )
    assert [d.version for d in queued] == [2]
    session.commit()
    counts = letters.call_letter_counts(consortium.call.id)
    assert counts == {"queued": 0, "running": 0, "ready": 1, "failed": 0}
    entry = session.scalar(db.select(AuditEntry).where(AuditEntry.action == "call.award_letters_issued"))
    assert entry.after["reason"] == "The signatory changed in March."


def test_issue_call_letters_requeues_a_failed_letter(session, awarded, consortium):
    letter = awarded.current_letter
    letter.status = "failed"
    session.commit()
    queued = letters.issue_call_letters(consortium.call, by=consortium.manager)
    assert len(queued) == 1 and queued[0].version == 2


def test_the_proposal_page_offers_the_decision_letter_to_its_addressee(client, login, session, consortium, decided):
    document = letters.request_decision_letter(decided("reject"), by=consortium.manager)
    session.commit()
    url = f"/proposals/{consortium.proposal.id}"
    for user, shown in ((consortium.lead_user, True), (consortium.manager, True), (consortium.co_user, False)):
        login(client, user)
        page = client.get(url).get_data(as_text=True)
        assert (f"/documents/{document.id}/download" in page) is shown, user


def test_a_rejection_letter_annexes_the_evaluation_summary_without_naming_evaluators(
    session, consortium, make_assignment, make_user
):
    from portal.evaluation import operations

    evaluators = [make_user("evaluator", full_name="Nadia Reviewer"), make_user("evaluator", full_name="Omar Scorer")]
    for evaluator in evaluators:
        make_assignment(consortium.proposal, evaluator=evaluator, status="submitted", scores={"1.1": 2, "2.1": 3})
    with session.no_autoflush:
        operations.decide_proposal(
            consortium.proposal, outcome="reject", reason="Below the relevance threshold.", by=consortium.manager
        )
    session.commit()
    document = session.scalar(select(Document).where(Document.kind == "rejection_letter"))
    assert document.status == "ready", document.error
    text = " ".join(pdf_text(storage.get(document.storage_key)).split())
    assert "evaluation summary" in text.lower()
    assert "Comment on 1.1." in text and "Comment on 2.2." in text
    assert "of 50" in text  # the grid's maximum, not a made-up one
    for evaluator in evaluators:
        assert evaluator.display_name not in text and evaluator.email not in text
