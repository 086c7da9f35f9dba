"""Moderation: the divergence flag, the consensus that replaces the mean (both kept), its validation, its history
and audit, and the page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.core.audit import AuditEntry
from portal.evaluation import moderation
from portal.evaluation.moderation_models import Moderation
from portal.evaluation.operations import EvaluationError, ReviewError
from portal.evaluation.queries import ranking
from portal.extensions import db
from portal.proposals.models import ProposalStatus

from .conftest import ALL_FOURS, ALL_THREES

ALL_FIVES = {"1.1": 5, "1.2": 5, "1.3": 5, "1.4": 5, "2.1": 5, "2.2": 5}  # 50
ALL_TWOS = {"1.1": 2, "1.2": 2, "1.3": 2, "1.4": 2, "2.1": 2, "2.2": 2}  # 20


def consensus(stage, value=3, comment="Agreed after discussion of the evidence."):
    return {c.id: (Decimal(value), comment) for c in stage.criteria}


@pytest.fixture
def reviewed(call, proposal, review, session):
    proposal.status = ProposalStatus.UNDER_REVIEW
    session.commit()
    return proposal


def test_totals_apart_by_more_than_the_gap_are_flagged(session, call, reviewed, review):
    stage = call.stages[0]
    review(reviewed, ALL_FIVES)  # 50
    review(reviewed, ALL_THREES)  # 30: 20 apart, the gap is 20% of 50 = 10
    div = moderation.divergence(stage, reviewed)
    assert div.totals == [Decimal(50), Decimal(30)] and div.spread == Decimal(20) and div.gap == Decimal("10.00")
    assert div.divergent
    (row,) = ranking(call)
    assert row.divergent and row.needs_moderation and row.spread == Decimal(20)
    assert [r.proposal.id for r in moderation.flagged(call, stage)] == [reviewed.id]


def test_totals_within_the_gap_are_not_flagged(session, call, reviewed, review):
    review(reviewed, ALL_FOURS)  # 40
    review(reviewed, ALL_THREES)  # 30: exactly the gap of 10, not more
    (row,) = ranking(call)
    assert row.spread == Decimal(10) and not row.divergent
    assert moderation.flagged(call, call.stages[0]) == []


def test_consensus_replaces_the_mean_and_both_are_kept(session, rq, call, reviewed, review, manager):
    stage = call.stages[0]
    review(reviewed, ALL_FIVES)
    review(reviewed, ALL_TWOS)
    (before,) = ranking(call)
    assert before.mean_total == Decimal("35.00") and before.final_total == Decimal("35.00")

    moderation.record_consensus(
        reviewed, stage, consensus(stage, 3), justification="Evaluator two overlooked the letters.", by=manager
    )
    session.commit()
    (row,) = ranking(call)
    assert row.moderated and not row.needs_moderation and row.divergent
    assert row.mean_total == Decimal("35.00")  # kept
    assert row.consensus_total == Decimal(30) and row.final_total == Decimal(30)
    assert sorted(e.total for e in row.evaluator_totals) == [Decimal(20), Decimal(50)]  # the reviews are untouched
    assert row.sections[0].score == Decimal(18) and row.sections[0].mean == Decimal("21.00")
    entry = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "moderation.recorded")).one()
    assert entry.actor_id == manager.id and entry.after["consensus_total"] == "30"
    assert [Decimal(t) for t in entry.after["evaluator_totals"]] == [Decimal(50), Decimal(20)]


def test_a_new_consensus_keeps_the_earlier_one_with_before_and_after(session, rq, call, reviewed, review, manager):
    stage = call.stages[0]
    review(reviewed, ALL_FIVES)
    review(reviewed, ALL_TWOS)
    first = moderation.record_consensus(
        reviewed, stage, consensus(stage, 3), justification="First meeting of the moderators.", by=manager
    )
    second = moderation.record_consensus(
        reviewed, stage, consensus(stage, 4), justification="Second meeting, after new facts.", by=manager
    )
    session.commit()
    assert first.replaced_at is not None and second.replaced_at is None
    assert [m.id for m in moderation.history(stage, reviewed)] == [second.id, first.id]
    assert session.scalar(db.select(db.func.count(Moderation.id))) == 2
    (row,) = ranking(call)
    assert row.consensus_total == Decimal(40)
    replaced = session.scalars(db.select(AuditEntry).where(AuditEntry.action == "moderation.replaced")).one()
    assert replaced.before["moderation_id"] == first.id and replaced.before["scores"]["1.1"]["score"] == "3"
    assert replaced.after["scores"]["1.1"]["score"] == "4"


def test_consensus_is_validated(session, rq, call, reviewed, review, manager):
    stage = call.stages[0]
    review(reviewed, ALL_FIVES)
    data = consensus(stage, 3)
    first, second = stage.criteria[0], stage.criteria[1]
    data[first.id] = (Decimal(7), "Far too high for the scale.")
    data[second.id] = (Decimal(3), "short")
    del data[stage.criteria[2].id]
    with pytest.raises(ReviewError) as caught:
        moderation.record_consensus(reviewed, stage, data, justification="too short", by=manager)
    messages = [str(p.message) for p in caught.value.problems]
    assert "Criterion 1.1: 7 is not on the scale (1 to 5 in steps of 1)." in messages
    assert "Criterion 1.2: the comment must be at least 10 characters long (it has 5)." in messages
    assert "Criterion 1.3: choose a score." in messages
    assert "Justify the consensus in at least 20 characters (it has 9)." in messages
    assert session.scalar(db.select(db.func.count(Moderation.id))) == 0


def test_only_staff_moderate_and_not_without_reviews(session, rq, call, reviewed, evaluator, manager):
    stage = call.stages[0]
    with pytest.raises(EvaluationError, match="Only programme managers"):
        moderation.record_consensus(reviewed, stage, consensus(stage), justification="x" * 30, by=evaluator)
    with pytest.raises(EvaluationError, match="no submitted review"):
        moderation.record_consensus(reviewed, stage, consensus(stage), justification="x" * 30, by=manager)


def test_moderation_page_shows_the_divergence_and_records_the_consensus(
    client, sign_in, session, call, reviewed, review, manager, make_user
):
    stage = call.stages[0]
    review(reviewed, ALL_FIVES, evaluator=make_user("evaluator", full_name="Ines Evaluator"))
    review(reviewed, ALL_TWOS, evaluator=make_user("evaluator", full_name="Omar Evaluator"))
    sign_in(client, manager)
    ranking_html = client.get(f"/manage/calls/{call.id}/ranking").get_data(as_text=True)
    assert "Divergent" in ranking_html and f"/manage/proposals/{reviewed.id}/moderation" in ranking_html

    url = f"/manage/proposals/{reviewed.id}/moderation?stage_id={stage.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Ines Evaluator: 50" in html and "Omar Evaluator: 20" in html and "Divergent" in html
    assert f"/manage/calls/{call.id}/assignments" in html  # add a further evaluator instead

    form = {f"score_{c.id}": "4" for c in stage.criteria}
    form.update({f"comment_{c.id}": "Consensus: solid and well argued." for c in stage.criteria})
    form["justification"] = "short"
    bad = client.post(url, data=form)
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "Justify the consensus in at least 20 characters (it has 5)." in text
    assert "Consensus: solid and well argued." in text  # nothing typed is lost
    form["justification"] = "The evaluators agreed on 4 after the panel discussion."
    done = client.post(url, data=form)
    assert done.status_code == 302
    (row,) = ranking(call)
    assert row.consensus_total == Decimal(40)
    html = client.get(f"/manage/calls/{call.id}/ranking").get_data(as_text=True)
    assert "See the consensus" in html


def test_moderation_page_is_for_managers_only(client, sign_in, reviewed, evaluator, make_user):
    url = f"/manage/proposals/{reviewed.id}/moderation"
    assert client.get(url).status_code == 302
    for user in (evaluator, make_user("applicant"), reviewed.created_by):
        sign_in(client, user)
        assert client.get(url).status_code == 403


def test_the_database_keeps_one_current_consensus(session, rq, call, reviewed, review, manager):
    from sqlalchemy.exc import IntegrityError

    stage = call.stages[0]
    review(reviewed, ALL_FIVES)
    moderation.record_consensus(
        reviewed, stage, consensus(stage), justification="First and only consensus.", by=manager
    )
    session.commit()
    session.add(Moderation(proposal=reviewed, stage_id=stage.id, moderator_id=manager.id, justification="A race."))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_script_sent_as_a_consensus_score_is_shown_escaped(
    client, sign_in, session, call, reviewed, review, manager, make_user
):
    """Found by tests/fuzz: the message "“<value>” is not a score." printed the value as HTML."""
    stage = call.stages[0]
    review(reviewed, ALL_FIVES, evaluator=make_user("evaluator"))
    sign_in(client, manager)
    url = f"/manage/proposals/{reviewed.id}/moderation?stage_id={stage.id}"
    form = {f"score_{c.id}": "4" for c in stage.criteria}
    form[f"score_{stage.criteria[0].id}"] = "<script>x()</script>"
    response = client.post(url, data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>x()" not in html
    assert f"Criterion {stage.criteria[0].code}: “&lt;script&gt;x()&lt;/script&gt;” is not a score." in html
