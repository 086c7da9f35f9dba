"""The recorded history of the demo's closed call: what the audit log would hold had each step been taken in the
portal on its day (submission, checks, assignments, declarations, reviews, moderation, the committee's decision,
a clarification asked of an applicant and the managers' discussion). The proposal timelines read it.

The closed call's rows are written as they stood (portal/demo/seed.py); this module writes the audit entries that
go with them, dated when each step happened. It runs only for a proposal created by the same seeding run, so a
second run adds nothing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from portal.core import audit
from portal.demo import data
from portal.evaluation.checks_models import CheckKind
from portal.evaluation.thread_models import ClarificationRequest, ClarificationStatus, ThreadMessage
from portal.extensions import db

if TYPE_CHECKING:
    from portal.proposals.models import Proposal

# The clarification asked of one applicant during the eligibility check, and the managers' note on a divergence.
CLARIFICATION = {
    "number": 3,
    "question": (
        "Your co-applicant's registration certificate is in Arabic only. Please send a translation into English or "
        "French, or confirm the registration number and date."
    ),
    "answer": (
        "Please find the certified French translation of the registration certificate attached to this reply: "
        "registration no. 2019/4471, 12 March 2019."
    ),
}
DIVERGENCE_NOTE = (
    "The totals of the two evaluators (40 and 28) are further apart than the gap of 10 points. I will hold a "
    "consensus call with both; the second evaluator doubts the municipal partnerships, which the annexed letters "
    "of commitment confirm."
)


def event(action: str, obj, *, actor, at: dt.datetime, before: dict | None = None, after: dict | None = None) -> None:
    """An audit entry dated when the step happened."""
    entry = audit.record(action, obj, actor=actor, before=before, after=after)
    entry.created_at = at
    entry.ip_address = None


def status(proposal: Proposal, before: str, after: str, *, actor, at: dt.datetime, reason: str = "") -> None:
    event(
        f"proposal.{after}",
        proposal,
        actor=actor,
        at=at,
        before={"status": before},
        after={"status": after, "reason": reason} if reason else {"status": after},
    )


def closed_call_proposal(seeder, call, proposal, p: dict, assignments, moderation, grant, *, submitted_at) -> None:
    manager, lead = seeder.manager, proposal.created_by
    assigned_at = seeder.local(data.CLOSED_CALL["assigned"])
    decided_at = seeder.local(data.CLOSED_CALL["decided"])

    event("proposal.created", proposal, actor=lead, at=proposal.created_at, after={"reference": proposal.reference})
    status(proposal, "draft", "submitted", actor=lead, at=submitted_at)
    snapshot = proposal.snapshots[0]
    event(
        "proposal.snapshot",
        proposal,
        actor=lead,
        at=submitted_at,
        after={"snapshot_version": snapshot.version, "sha256": snapshot.sha256},
    )

    # The administrative check, then eligibility (one clarification asked on the way for one applicant).
    admin_at = submitted_at + dt.timedelta(days=2)
    event(
        "checks.concluded",
        proposal,
        actor=manager,
        at=admin_at,
        after={"kind": CheckKind.ADMINISTRATIVE.value, "passed": True, "reason": ""},
    )
    status(proposal, "submitted", "admissible", actor=manager, at=admin_at)
    if p["number"] == CLARIFICATION["number"]:
        clarification(proposal, manager, lead, asked_at=admin_at + dt.timedelta(hours=3))
    eligible_at = submitted_at + dt.timedelta(days=4)
    event(
        "checks.concluded",
        proposal,
        actor=manager,
        at=eligible_at,
        after={"kind": CheckKind.ELIGIBILITY.value, "passed": True, "reason": ""},
    )
    status(proposal, "admissible", "eligible", actor=manager, at=eligible_at)

    # The evaluators: assignment, declaration of no conflict, review.
    status(proposal, "eligible", "under_review", actor=manager, at=assigned_at, reason="first evaluator assigned")
    for assignment in assignments:
        evaluator = assignment.evaluator
        event(
            "assignment.created",
            assignment,
            actor=manager,
            at=assigned_at,
            after={
                "proposal": proposal.reference,
                "evaluator_id": evaluator.id,
                "evaluator": evaluator.email,
                "stage_id": assignment.stage_id,
                "status": "pending",
            },
        )
        event(
            "assignment.declared_no_conflict",
            assignment,
            actor=evaluator,
            at=assignment.declared_at,
            before={"status": "pending"},
            after={"status": "in_progress", "confidentiality_confirmed": True},
        )
        event(
            "review.submitted",
            assignment,
            actor=evaluator,
            at=assignment.submitted_at,
            before={"status": "in_progress"},
            after={"status": "submitted", "total": str(assignment.total())},
        )

    if moderation is not None:
        note_at = max(a.submitted_at for a in assignments) + dt.timedelta(days=1)
        message = ThreadMessage(proposal=proposal, author=manager, body=DIVERGENCE_NOTE, created_at=note_at)
        db.session.add(message)
        db.session.flush()
        event(
            "thread.message_posted",
            message,
            actor=manager,
            at=note_at,
            after={"proposal_id": proposal.id, "proposal": proposal.reference, "body": DIVERGENCE_NOTE},
        )
        event(
            "moderation.recorded",
            moderation,
            actor=manager,
            at=moderation.decided_at,
            after={
                "proposal": proposal.reference,
                "justification": moderation.justification,
                "total": str(moderation.total()),
            },
        )

    # The committee: recommended within the envelope, then the decision.
    decision = proposal.decision
    outcome_status = {"award": "awarded", "reserve": "reserve", "reject": "rejected"}[decision.outcome]
    if decision.outcome == "award":
        status(
            proposal,
            "under_review",
            "recommended",
            actor=manager,
            at=decided_at - dt.timedelta(days=6),
            reason="within the budget envelope in rank order",
        )
        status(proposal, "recommended", outcome_status, actor=manager, at=decided_at, reason=decision.reason)
    else:
        status(proposal, "under_review", outcome_status, actor=manager, at=decided_at, reason=decision.reason)
    event(
        "decision.recorded",
        decision,
        actor=manager,
        at=decided_at,
        after={
            "proposal": proposal.reference,
            "outcome": decision.outcome,
            "reason": decision.reason,
            "final_score": decision.final_score,
            "grant_id": grant.id if grant is not None else None,
        },
    )


def clarification(proposal: Proposal, manager, lead, *, asked_at: dt.datetime) -> None:
    answered_at = asked_at + dt.timedelta(days=1, hours=5)
    request = ClarificationRequest(
        proposal=proposal,
        asked_by_id=manager.id,
        question=CLARIFICATION["question"],
        created_at=asked_at,
        due_at=asked_at + dt.timedelta(days=5),
        status=ClarificationStatus.ANSWERED.value,
        answered_by_id=lead.id,
        answer=CLARIFICATION["answer"],
        answered_at=answered_at,
    )
    db.session.add(request)
    db.session.flush()
    event(
        "clarification.requested",
        request,
        actor=manager,
        at=asked_at,
        after={
            "proposal_id": proposal.id,
            "proposal": proposal.reference,
            "question": request.question,
            "due_at": request.due_at,
        },
    )
    event(
        "clarification.answered",
        request,
        actor=lead,
        at=answered_at,
        after={"proposal_id": proposal.id, "proposal": proposal.reference, "late": False, "answer": request.answer},
    )
