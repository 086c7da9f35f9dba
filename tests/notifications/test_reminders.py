"""Reminders sent by Celery beat: calls closing in 7 days and in 1 day (to the drafters), evaluations due in 3 days
and overdue, reports due in 14 days and overdue. Each goes out once, however often beat runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.core.db import utcnow
from portal.evaluation.models import AssignmentStatus
from portal.extensions import db
from portal.notifications import operations, reminders
from portal.notifications.models import SentReminder
from tests.grants.conftest import awarded, consortium  # noqa: F401 - shared fixtures


def _run(app, now=None):
    with app.test_request_context():
        counts = reminders.send_due_reminders(now)
    db.session.commit()
    return counts


def test_drafters_are_reminded_7_days_and_1_day_before_the_call_closes(
    app, make_call, make_proposal, make_user, make_org, outbox
):
    now = utcnow()
    call = make_call(closes_at=now + dt.timedelta(days=6, hours=20))
    drafter, colleague = make_user("applicant", locale="fr"), make_user("applicant")
    org = make_org(members=[drafter, colleague])
    draft = make_proposal(call, organisation=org, created_by=drafter, title="Mobilité des jeunes")
    submitted = make_proposal(call, status="submitted")  # noqa: F841 - submitted proposals need no reminder
    db.session.commit()

    assert _run(app, now)["call_closing"] == 2
    assert sorted(m.to for m in outbox) == sorted([drafter.email, colleague.email])
    french = next(m for m in outbox if m.to == drafter.email)
    assert "7" in french.subject and draft.reference in french.subject and "brouillon" in french.subject
    assert _run(app, now + dt.timedelta(hours=1))["call_closing"] == 0  # the hourly beat again: nothing new

    outbox.clear()
    assert _run(app, now + dt.timedelta(days=6))["call_closing"] == 2  # less than a day left
    assert "tomorrow" in next(m for m in outbox if m.to == colleague.email).subject
    assert _run(app, now + dt.timedelta(days=6, hours=2))["call_closing"] == 0
    assert _run(app, now + dt.timedelta(days=8))["call_closing"] == 0  # closed


def test_evaluators_are_reminded_3_days_before_and_once_overdue(app, make_call, make_proposal, make_assignment, outbox):
    call = make_call()
    stage = call.stages[0]
    stage.due_on = utcnow().date() + dt.timedelta(days=2)
    proposal = make_proposal(call, status="under_review")
    open_one = make_assignment(proposal, status=AssignmentStatus.IN_PROGRESS)
    make_assignment(proposal, status=AssignmentStatus.SUBMITTED)  # done: no reminder
    db.session.commit()
    assert _run(app)["evaluation_due"] == 1
    assert [m.to for m in outbox] == [open_one.evaluator.email]
    assert "due on" in outbox[0].subject
    assert _run(app)["evaluation_due"] == 0
    assert _run(app, utcnow() + dt.timedelta(days=3))["evaluation_due"] == 1
    assert "overdue" in outbox[-1].subject
    assert _run(app, utcnow() + dt.timedelta(days=4))["evaluation_due"] == 0


def test_report_contacts_are_reminded_14_days_before_and_once_overdue(app, awarded, consortium, outbox):  # noqa: F811
    report = awarded.reports[0]
    report.due_date = utcnow().date() + dt.timedelta(days=10)
    for other in awarded.reports[1:]:
        other.due_date = utcnow().date() + dt.timedelta(days=400)
    db.session.commit()
    outbox.clear()
    assert _run(app)["report_due"] == 1
    assert [m.to for m in outbox] == [consortium.lead_user.email]
    assert awarded.agreement_number in outbox[0].subject
    assert _run(app)["report_due"] == 0
    assert _run(app, utcnow() + dt.timedelta(days=11))["report_due"] == 1
    assert outbox[-1].subject.startswith("Overdue")


def test_a_reminder_key_is_claimed_once_even_by_two_beats(app):
    assert operations.claim_key("call-closing:1:7d:1") is True
    assert operations.claim_key("call-closing:1:7d:1") is False  # the second beat process loses the race
    db.session.commit()
    assert db.session.scalar(select(func.count(SentReminder.id))) == 1
