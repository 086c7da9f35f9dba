"""The manager's progress page of a stage, and reminders (never twice a day for the same evaluator and stage)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.evaluation import evaluator_operations as ops
from portal.evaluation.evaluator_models import EvaluationReminder
from portal.evaluation.models import AssignmentStatus
from portal.evaluation.progress import stage_progress
from portal.proposals.models import ProposalStatus
from tests.evaluation.conftest import ALL_FOURS


def _world(session, call, make_proposal, make_evaluator, make_assignment, review, due_in_days: int):
    stage = call.stages[0]
    stage.due_on = utcnow().date() + dt.timedelta(days=due_in_days)
    session.commit()
    first = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
    second = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
    slow = make_evaluator(full_name="Slow Evaluator")
    busy = make_evaluator(full_name="Busy Evaluator")
    done = make_evaluator(full_name="Done Evaluator")
    make_assignment(first, evaluator=slow)  # not declared
    make_assignment(second, evaluator=slow, status=AssignmentStatus.CONFLICT)  # never counted
    make_assignment(first, evaluator=busy, status=AssignmentStatus.IN_PROGRESS)
    review(second, ALL_FOURS, evaluator=done)
    return stage, first, second, slow, busy, done


def test_progress_per_evaluator_and_proposal(session, call, make_proposal, make_evaluator, make_assignment, review):
    stage, first, second, slow, busy, done = _world(
        session, call, make_proposal, make_evaluator, make_assignment, review, due_in_days=-1
    )
    state = stage_progress(stage)
    rows = {r.evaluator.id: r for r in state.evaluators}
    assert (rows[slow.id].assigned, rows[slow.id].not_declared, rows[slow.id].late) == (1, 1, 1)
    assert rows[slow.id].not_started
    assert (rows[busy.id].in_progress, rows[busy.id].late) == (1, 1)
    assert (rows[done.id].submitted, rows[done.id].late) == (1, 0)
    assert {r.evaluator.id for r in state.late_evaluators} == {slow.id, busy.id}
    proposals = {r.proposal.id: r for r in state.proposals}
    assert proposals[first.id].submitted == 0 and {e.id for e in proposals[first.id].waiting_on} == {slow.id, busy.id}
    assert proposals[second.id].submitted == 1 and proposals[second.id].waiting_on == []
    assert proposals[second.id].required == stage.evaluators_required


def test_nobody_is_late_before_the_due_date(session, call, make_proposal, make_evaluator, make_assignment, review):
    stage, *_ = _world(session, call, make_proposal, make_evaluator, make_assignment, review, due_in_days=3)
    assert stage_progress(stage).late_evaluators == []


def test_progress_page_and_reminding_all_late_ones(
    client, sign_in, session, call, manager, make_proposal, make_evaluator, make_assignment, review, outbox
):
    stage, first, _second, slow, busy, _done = _world(
        session, call, make_proposal, make_evaluator, make_assignment, review, due_in_days=-2
    )
    sign_in(client, manager)
    page = client.get(f"/manage/calls/{call.id}/progress?stage_id={stage.id}").get_data(as_text=True)
    assert "Slow Evaluator" in page and "Busy Evaluator" in page and first.reference in page
    assert "Remind every late evaluator" in page

    response = client.post(f"/manage/calls/{call.id}/reminders?stage_id={stage.id}", data={"evaluator": "late"})
    assert response.status_code == 302
    assert sorted(m.to for m in outbox) == sorted([slow.email, busy.email])
    assert first.reference in next(m for m in outbox if m.to == slow.email).text
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "evaluation.reminder_sent")).all()) == 2

    # The same day, again: nobody is e-mailed twice.
    client.post(f"/manage/calls/{call.id}/reminders?stage_id={stage.id}", data={"evaluator": "late"})
    client.post(f"/manage/calls/{call.id}/reminders?stage_id={stage.id}", data={"evaluator": str(slow.id)})
    assert len(outbox) == 2
    assert len(session.scalars(select(EvaluationReminder)).all()) == 2
    page = client.get(f"/manage/calls/{call.id}/progress?stage_id={stage.id}").get_data(as_text=True)
    assert "Reminded today" in page


def test_reminder_to_one_evaluator_and_a_new_day(
    session, rq, call, manager, make_proposal, make_evaluator, make_assignment, review, outbox
):
    stage, _first, _second, slow, _busy, done = _world(
        session, call, make_proposal, make_evaluator, make_assignment, review, due_in_days=5
    )
    today = utcnow().date()
    reminded, skipped = ops.send_reminders(stage, [slow, done], by=manager, today=today)
    session.commit()
    assert reminded == [slow] and skipped == [done]  # done has nothing left to do
    reminded, skipped = ops.send_reminders(stage, [slow], by=manager, today=today + dt.timedelta(days=1))
    session.commit()
    assert reminded == [slow]
    assert [m.to for m in outbox] == [slow.email, slow.email]


def test_evaluator_cannot_see_progress_or_send_reminders(client, sign_in, call, evaluator):
    sign_in(client, evaluator)
    assert client.get(f"/manage/calls/{call.id}/progress").status_code == 403
    assert client.post(f"/manage/calls/{call.id}/reminders", data={"evaluator": "late"}).status_code == 403


def test_a_reminder_to_an_evaluator_id_that_cannot_exist_says_nobody_to_remind(client, sign_in, call, manager):
    """Found by tests/fuzz under PostgreSQL: an id beyond the integer column (or "²", which isdigit() accepts) was
    a server error."""
    sign_in(client, manager)
    for target in ("422058468019", "²", "-3"):
        response = client.post(f"/manage/calls/{call.id}/reminders", data={"evaluator": target}, follow_redirects=True)
        assert response.status_code == 200
        assert "Nobody to remind: choose an evaluator with unfinished reviews." in response.get_data(as_text=True)
