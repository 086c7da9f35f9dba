"""The applicant's evaluation summary: nothing before the outcome is told; scores per section and criterion; the
consensus comments when moderated, else the evaluators' comments; never an evaluator's name or e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.core.db import utcnow
from portal.evaluation import committee, moderation
from portal.evaluation.grids import CONCEPT_NOTE, build_stage
from portal.evaluation.models import Assignment, AssignmentStatus, ScoreEntry
from portal.evaluation.summary import (
    ApplicantSummary,
    CriterionOutcome,
    SectionOutcome,
    StageOutcome,
    applicant_summary,
)
from portal.extensions import db
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES

REASON = "Decided by the evaluation committee on 3 December."


@pytest.fixture
def evaluators(make_user):
    return [
        make_user("evaluator", full_name="Ines Evaluator", email="ines@experts.example"),
        make_user("evaluator", full_name="Omar Evaluator", email="omar@experts.example"),
    ]


@pytest.fixture
def decided(session, rq, call, proposal, review, evaluators, manager):
    proposal.status = ProposalStatus.UNDER_REVIEW
    first = review(proposal, ALL_FOURS, evaluator=evaluators[0])
    second = review(proposal, ALL_THREES, evaluator=evaluators[1])
    for entry in first.scores:
        entry.comment = f"Zealous but clear plan ({entry.criterion.code})."
    for entry in second.scores:
        entry.comment = f"Adequate analysis for {entry.criterion.code}."
    session.commit()
    return proposal


def _decide(call, manager):
    committee.decide_committee(call, call.stages[0], outcomes={}, reasons={}, common_reason=REASON, by=manager)
    db.session.commit()


def test_no_summary_until_the_outcome_is_told(session, rq, call, decided, manager):
    assert applicant_summary(decided, "en") is None
    _decide(call, manager)
    assert isinstance(applicant_summary(decided, "en"), ApplicantSummary)


def test_summary_scores_and_evaluators_comments(session, rq, call, decided, manager):
    _decide(call, manager)
    summary = applicant_summary(decided, "en")
    assert (summary.proposal_id, summary.status, summary.rank) == (decided.id, "awarded", 1)
    (stage,) = summary.stages
    assert isinstance(stage, StageOutcome)
    assert (stage.total, stage.max_total, stage.threshold, stage.passed, stage.moderated) == (
        Decimal("35.00"),
        Decimal(50),
        Decimal(30),
        True,
        False,
    )
    relevance = stage.sections[0]
    assert isinstance(relevance, SectionOutcome)
    assert (relevance.code, relevance.title, relevance.score, relevance.max_score, relevance.threshold) == (
        "1",
        "Relevance of the action",
        Decimal("21.00"),
        Decimal(30),
        Decimal(12),
    )
    c11 = relevance.criteria[0]
    assert isinstance(c11, CriterionOutcome)
    assert (c11.code, c11.max_score, c11.score) == ("1.1", Decimal(10), Decimal("7.00"))  # mean 3.5 × 2
    # Sorted alphabetically, not in the order of the evaluators.
    assert c11.comments == ["Adequate analysis for 1.1.", "Zealous but clear plan (1.1)."]


def test_summary_never_names_evaluators(session, rq, call, decided, evaluators, manager):
    _decide(call, manager)
    text = repr(applicant_summary(decided, "en"))
    for person in evaluators:
        assert person.email not in text
        assert person.full_name not in text
    assert "evaluator" not in text.lower()


def test_moderated_summary_shows_the_consensus_only(session, rq, call, decided, manager):
    stage = call.stages[0]
    scores = {c.id: (Decimal(4), f"Consensus on {c.code}: convincing plan.") for c in stage.criteria}
    moderation.record_consensus(decided, stage, scores, justification="Panel meeting of 2 December.", by=manager)
    session.commit()
    _decide(call, manager)
    (outcome,) = applicant_summary(decided, "en").stages
    assert outcome.moderated and outcome.total == Decimal("40.00")
    assert decided.decision.final_score == Decimal("40.00")  # the consensus, not the mean of 35
    c11 = outcome.sections[0].criteria[0]
    assert c11.score == Decimal("8.00") and c11.comments == ["Consensus on 1.1: convincing plan."]
    assert "Panel meeting" not in repr(outcome)  # the justification is internal


def test_titles_in_the_reader_language(session, rq, call, decided, manager):
    _decide(call, manager)
    (stage,) = applicant_summary(decided, "fr").stages
    assert stage.name == "Évaluation de la note succincte"
    assert stage.sections[0].title == "Pertinence de l'action"
    assert stage.sections[0].criteria[3].title == "Valeur ajoutée"


def test_full_application_summary_starts_with_its_concept_note(
    session, rq, make_call, make_proposal, review, make_user, manager
):
    call = make_call(procedure="two_stage", full_application_closes_at=utcnow() + dt.timedelta(days=40))
    full_stage = build_stage(call, {**CONCEPT_NOTE, "kind": "full_application", "name_en": "Full application"}, 2)
    session.add(full_stage)
    session.commit()
    note = make_proposal(call, status=ProposalStatus.FULL_APPLICATION_SUBMITTED, stage="concept_note")
    review(note, ALL_FOURS)
    review(note, ALL_FOURS)
    full = make_proposal(
        call, organisation=note.organisation, status=ProposalStatus.UNDER_REVIEW, stage="full_application", parent=note
    )
    for _ in range(2):
        assignment = Assignment(
            stage=full_stage,
            proposal=full,
            evaluator=make_user("evaluator"),
            status=AssignmentStatus.SUBMITTED.value,
            submitted_at=utcnow(),
        )
        session.add(assignment)
        for criterion in full_stage.criteria:
            assignment.scores.append(ScoreEntry(criterion=criterion, score=Decimal(3), comment="Full application."))
    session.commit()
    committee.decide_committee(call, full_stage, outcomes={}, reasons={}, common_reason=REASON, by=manager)
    session.commit()
    summary = applicant_summary(full, "en")
    assert [s.name for s in summary.stages] == ["Concept note evaluation", "Full application"]
    assert [s.total for s in summary.stages] == [Decimal("40.00"), Decimal("30.00")]
    assert summary.status == "awarded" and summary.rank == 1


def test_the_applicant_reads_the_summary_on_the_proposal_page(client, sign_in, session, call, decided, manager):
    url = f"/proposals/{decided.id}"
    sign_in(client, decided.created_by)
    assert "Evaluation summary" not in client.get(url).get_data(as_text=True)
    with client.application.test_request_context():
        _decide(call, manager)
    html = client.get(url).get_data(as_text=True)
    assert "Evaluation summary" in html and "Relevance of the action" in html
    assert "Adequate analysis for 1.1." in html
    for text in ("Ines Evaluator", "Omar Evaluator", "ines@experts.example", "omar@experts.example"):
        assert text not in html


def test_the_decision_email_carries_the_summary_without_evaluator_names(
    session, rq, call, decided, evaluators, manager, outbox
):
    _decide(call, manager)
    (message,) = [m for m in outbox if decided.reference in m.subject]
    assert "Evaluation summary" in message.text
    assert "- 1.1 Relevance to the objectives and priorities of the call: 7.00 out of 10" in message.text
    assert "  Adequate analysis for 1.1." in message.text
    for person in evaluators:
        assert person.full_name not in message.text and person.email not in message.text
