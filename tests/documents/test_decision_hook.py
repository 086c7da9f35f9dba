"""The committee's decision (portal.evaluation.operations.decide_proposal) asks for the rejection letter."""

from __future__ import annotations

from portal.core import storage
from portal.documents.models import Document
from portal.evaluation import operations
from portal.extensions import db
from portal.proposals.models import ProposalStatus
from tests.documents.test_letter import pdf_text
from tests.evaluation.conftest import ALL_FOURS, ALL_THREES, call, manager, proposal, review, rq  # noqa: F401 - fixtures


def test_deciding_to_reject_issues_the_rejection_letter(rq, session, proposal, review, manager):  # noqa: F811
    review(proposal, ALL_FOURS)
    review(proposal, ALL_THREES)
    proposal.status = ProposalStatus.UNDER_REVIEW
    session.commit()
    decision = operations.decide_proposal(
        proposal, outcome="reject", reason="Below the funding line after ranking.", by=manager
    )
    session.commit()
    letters = session.scalars(db.select(Document).where(Document.decision_id == decision.id)).all()
    assert [(d.kind, d.version, d.status) for d in letters] == [("rejection_letter", 1, "ready")]
    text = " ".join(pdf_text(storage.get(letters[0].storage_key)).split())
    assert "Below the funding line after ranking." in text
    assert f"{decision.final_score} of 50" in text  # the final score, out of the grid's own maximum
    assert proposal.reference in text
