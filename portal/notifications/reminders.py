"""The reminders Celery beat sends: calls closing in 7 days and in 1 day (to the users drafting a proposal),
evaluations due in 3 days and overdue (to the evaluator), reports due in 14 days and overdue (to the lead's
contacts). Each reminder has a key naming what it is about and the occasion; `operations.claim_key` records it in
the same transaction as the message, so a reminder is never sent twice, even by two beat processes at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.calls.models import Call, CallStatus
from portal.core import mail
from portal.core.db import utcnow
from portal.core.urls import external_url
from portal.evaluation.models import Assignment, AssignmentStatus, EvaluationStage
from portal.extensions import db
from portal.grants.models import Grant, GrantReport, ReportStatus
from portal.grants.reporting import lead_contacts, report_label
from portal.notifications.operations import claim_key
from portal.organisations.models import Membership
from portal.proposals.models import Proposal, ProposalStatus

CALL_CLOSING_DAYS = (7, 1)
EVALUATION_DUE_DAYS = 3
REPORT_DUE_DAYS = 14


def send_due_reminders(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    return {
        "call_closing": _calls_closing(now),
        "evaluation_due": _evaluations_due(now.date()),
        "report_due": _reports_due(now.date()),
    }


def _window(days_left: float) -> int | None:
    """Which of the call-closing reminders is due with `days_left` before the deadline (7, 1 or none)."""
    for days in sorted(CALL_CLOSING_DAYS):
        if 0 < days_left <= days:
            return days
    return None


def _calls_closing(now: dt.datetime) -> int:
    horizon = now + dt.timedelta(days=max(CALL_CLOSING_DAYS))
    drafts = db.session.scalars(
        select(Proposal)
        .join(Call, Proposal.call_id == Call.id)
        .where(
            Proposal.status == ProposalStatus.DRAFT.value,
            Call.status.in_((CallStatus.PUBLISHED.value, CallStatus.EVALUATION.value)),
        )
        .options(joinedload(Proposal.call))
        .order_by(Proposal.id)
    ).all()
    sent = 0
    for proposal in drafts:
        deadline = proposal.call.deadline_for(proposal.stage)
        if not (now < deadline <= horizon):
            continue
        days = _window((deadline - now).total_seconds() / 86400)
        if days is None:
            continue
        members = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == proposal.organisation_id, User.active.is_(True))
            .order_by(User.id)
        ).all()
        for user in members:
            if not claim_key(f"call-closing:{proposal.id}:{days}d:{user.id}"):
                continue
            mail.send(
                user.email,
                "reminders_call_closing",
                user.locale,
                user=user,
                proposal=proposal,
                call=proposal.call,
                days=days,
                deadline=deadline,
                reader_tz=user.timezone or "UTC",
                url=external_url("proposals.view", proposal_id=proposal.id),
            )
            sent += 1
    return sent


def _evaluations_due(today: dt.date) -> int:
    open_assignments = db.session.scalars(
        select(Assignment)
        .join(EvaluationStage, Assignment.stage_id == EvaluationStage.id)
        .where(
            Assignment.status.in_((AssignmentStatus.PENDING.value, AssignmentStatus.IN_PROGRESS.value)),
            EvaluationStage.due_on.is_not(None),
            EvaluationStage.due_on <= today + dt.timedelta(days=EVALUATION_DUE_DAYS),
        )
        .options(joinedload(Assignment.stage), joinedload(Assignment.evaluator), joinedload(Assignment.proposal))
        .order_by(Assignment.id)
    ).all()
    sent = 0
    for assignment in open_assignments:
        due = assignment.stage.due_on
        occasion = "overdue" if today > due else f"{EVALUATION_DUE_DAYS}d"
        evaluator = assignment.evaluator
        if not evaluator.active or not claim_key(f"evaluation-due:{assignment.id}:{occasion}"):
            continue
        mail.send(
            evaluator.email,
            "reminders_evaluation_due",
            evaluator.locale,
            user=evaluator,
            assignment=assignment,
            proposal=assignment.proposal,
            due=due,
            overdue=today > due,
            url=external_url("evaluation.score", assignment_id=assignment.id),
        )
        sent += 1
    return sent


def _reports_due(today: dt.date) -> int:
    reports = db.session.scalars(
        select(GrantReport)
        .where(
            GrantReport.status.in_((ReportStatus.DUE.value, ReportStatus.CHANGES_REQUESTED.value)),
            GrantReport.due_date <= today + dt.timedelta(days=REPORT_DUE_DAYS),
        )
        .options(joinedload(GrantReport.grant).joinedload(Grant.proposal))
        .order_by(GrantReport.id)
    ).all()
    sent = 0
    for report in reports:
        occasion = "overdue" if today > report.due_date else f"{REPORT_DUE_DAYS}d"
        for user in lead_contacts(report.grant):
            if not claim_key(f"report-due:{report.id}:{occasion}:{user.id}"):
                continue
            mail.send(
                user.email,
                "reminders_report_due",
                user.locale,
                user=user,
                report=report,
                label=report_label(report),
                grant=report.grant,
                due=report.due_date,
                overdue=today > report.due_date,
                url=external_url("grants.view", grant_id=report.grant_id),
            )
            sent += 1
    return sent
