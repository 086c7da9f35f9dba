"""A proposal's timeline: every recorded event (submission, checks, assignments, declarations, reviews, moderation,
decisions, messages, clarifications) with who and when, as the reader may see it.

Built from the audit log in a constant number of queries: one for the entries whose object is the proposal or one of
its own objects (matched by object type and id through the index on the audit log), one for the people named.
Other parts of the evaluation add their objects (check results, moderation) with `register_source`.

What each reader sees:
- managers and administrators: everything, with names;
- the applicant (the lead organisation's users, and the consortium's partners): their proposal's start, submission
  and withdrawal, its attachments, the outcomes of checks and decisions, clarification requests and answers; never
  evaluators, assignments, the internal discussion, reviews or moderation; staff are named "Programme management";
- an evaluator: their own assignment's events, and the internal discussion where they take part in it; in a blind
  stage no applicant's name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.sql import Select

from portal.accounts.models import User
from portal.core import i18n
from portal.core.audit import AuditEntry
from portal.evaluation.models import Assignment, Decision
from portal.evaluation.moderation_models import Moderation
from portal.evaluation.thread_models import ClarificationRequest, ThreadMessage
from portal.evaluation.threads import can_read_thread, identity_hidden
from portal.extensions import db
from portal.organisations.models import Membership
from portal.proposals.models import Proposal, ProposalSnapshot
from portal.proposals.states import STATUS_LABELS

STAFF, APPLICANT, EVALUATOR = "staff", "applicant", "evaluator"


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    actor_label: str
    kind: str  # proposal, submission, attachment, check, status, assignment, declaration, review, moderation,
    # decision, message, clarification, other
    text: str


# object type in the audit log -> the ids (as text) of that type's objects that belong to proposal `pid`
_SOURCES: dict[str, Callable[[int], Select]] = {}


def register_source(object_type: str, ids_of_proposal: Callable[[int], Select]) -> None:
    """Let the timeline find the audit entries of another kind of object belonging to a proposal: `ids_of_proposal`
    returns a SELECT of their ids for a proposal id. Its events are shown to staff only, unless its actions are
    named in APPLICANT_ACTIONS."""
    _SOURCES[object_type] = ids_of_proposal


def _ids(model, column) -> Callable[[int], Select]:
    return lambda pid: select(cast(model.id, String)).where(column == pid)


register_source("assignments", _ids(Assignment, Assignment.proposal_id))
register_source("decisions", _ids(Decision, Decision.proposal_id))
register_source("proposal_snapshots", _ids(ProposalSnapshot, ProposalSnapshot.proposal_id))
register_source("thread_messages", _ids(ThreadMessage, ThreadMessage.proposal_id))
register_source("clarification_requests", _ids(ClarificationRequest, ClarificationRequest.proposal_id))
register_source("moderations", _ids(Moderation, Moderation.proposal_id))

# Drafting steps: many a day while the applicant writes, nothing anyone needs in the history.
NOISE_ACTIONS = frozenset({"proposal.section_saved", "proposal.budget_saved", "review.saved"})

# Outcomes the applicant is told of (the status changes that are theirs or a verdict on their proposal).
_APPLICANT_STATUSES = frozenset(
    {
        "submitted",
        "withdrawn",
        "draft",
        "admissible",
        "not_admissible",
        "eligible",
        "not_eligible",
        "shortlisted",
        "not_shortlisted",
        "invited",
        "full_application_submitted",
        "reserve",
        "awarded",
        "rejected",
    }
)
APPLICANT_ACTIONS = frozenset(
    {
        "proposal.created",
        "proposal.snapshot",
        "proposal.attachment_added",
        "proposal.attachment_replaced",
        "proposal.attachment_removed",
        "clarification.requested",
        "clarification.answered",
        "clarification.cancelled",
    }
    | {f"proposal.{status}" for status in _APPLICANT_STATUSES}
)

_CHECK_STATUSES = frozenset({"admissible", "not_admissible", "eligible", "not_eligible"})
_DECISION_STATUSES = frozenset(
    {"shortlisted", "not_shortlisted", "invited", "recommended", "reserve", "awarded", "rejected"}
)


def audience(proposal: Proposal, reader: User) -> str | None:
    """Which timeline the reader gets: staff, applicant, evaluator, or None (none at all)."""
    if not reader.is_authenticated:
        return None
    if reader.is_staff:
        return STAFF
    if proposal.is_applicant_member(reader) or proposal.partner_for(reader) is not None:
        return APPLICANT
    if reader.is_evaluator and any(
        a.evaluator_id == reader.id and a.declared_no_conflict for a in proposal.assignments
    ):
        return EVALUATOR
    return None


def _entries(proposal: Proposal) -> list[AuditEntry]:
    matches = [and_(AuditEntry.object_type == "proposals", AuditEntry.object_id == str(proposal.id))]
    matches += [
        and_(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(ids(proposal.id)))
        for object_type, ids in _SOURCES.items()
    ]
    # A removed assignment's row is gone: its entries are found through the removal's record of the proposal
    # (through the index on the action, then the few removals).
    removed = select(AuditEntry.object_id).where(
        AuditEntry.action == "assignment.removed",
        AuditEntry.before["proposal"].as_string() == proposal.reference,
    )
    matches.append(and_(AuditEntry.object_type == "assignments", AuditEntry.object_id.in_(removed)))
    entries = db.session.scalars(
        select(AuditEntry)
        .where(or_(*matches), AuditEntry.action.not_in(NOISE_ACTIONS))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    # An entry that names another proposal belongs to it (an id reused after a removal, on SQLite).
    return [e for e in entries if _proposal_named(e) in (None, proposal.reference)]


def _proposal_named(entry: AuditEntry) -> str | None:
    for data in (entry.after, entry.before):
        if isinstance(data, dict) and isinstance(data.get("proposal"), str):
            return data["proposal"]
    return None


def _visible(entry: AuditEntry, who: str, own_assignments: set[str], in_thread: bool) -> bool:
    if who == STAFF:
        return True
    if who == APPLICANT:
        return entry.action in APPLICANT_ACTIONS
    if who == EVALUATOR:
        if entry.object_type == "assignments":
            return entry.object_id in own_assignments
        return entry.object_type == "thread_messages" and in_thread
    return False


def timeline(proposal: Proposal, reader: User) -> list[TimelineEvent]:
    """The events of the proposal that `reader` may see, oldest first."""
    who = audience(proposal, reader)
    if who is None:
        return []
    own = {str(a.id) for a in proposal.assignments if a.evaluator_id == reader.id}
    in_thread = who == EVALUATOR and can_read_thread(proposal, reader)
    entries = [e for e in _entries(proposal) if _visible(e, who, own, in_thread)]

    people_ids = {e.actor_id for e in entries if e.actor_id}
    people_ids |= {_evaluator_of(e) for e in entries if _evaluator_of(e)}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people_ids)))} if people_ids else {}
    hide_applicant = who == EVALUATOR and identity_hidden(proposal, reader)
    member_ids = _members_among(proposal, set(people)) if hide_applicant else set()

    def actor_label(entry: AuditEntry) -> str:
        user = people.get(entry.actor_id) if entry.actor_id else None
        if user is None:
            return entry.actor_email or _("The portal")
        if who == APPLICANT and user.is_staff:
            return _("Programme management")
        if hide_applicant and (user.id in member_ids or not (user.is_staff or user.is_evaluator)):
            return _("Applicant")
        return user.display_name

    call_tz = proposal.call.timezone
    return [
        TimelineEvent(at=e.created_at, actor_label=actor_label(e), kind=_kind(e), text=_text(e, who, people, call_tz))
        for e in entries
    ]


def _members_among(proposal: Proposal, user_ids: set[int]) -> set[int]:
    """Which of these people belong to the proposal's lead organisation (one query)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.organisation_id == proposal.organisation_id, Membership.user_id.in_(user_ids)
            )
        )
    )


def _evaluator_of(entry: AuditEntry) -> int | None:
    data = entry.after or entry.before or {}
    value = data.get("evaluator_id") if entry.object_type == "assignments" else None
    return value if isinstance(value, int) else None


def _kind(entry: AuditEntry) -> str:
    action = entry.action
    area, _dot, verb = action.partition(".")
    if area == "proposal":
        if verb in ("submitted", "withdrawn", "draft", "snapshot", "full_application_submitted"):
            return "submission"
        if verb.startswith("attachment_"):
            return "attachment"
        if verb in _CHECK_STATUSES:
            return "check"
        if verb in _DECISION_STATUSES:
            return "decision"
        if verb == "created":
            return "proposal"
        return "status"
    if area == "assignment":
        return "assignment" if verb in ("created", "removed") else "declaration"
    if area == "review":
        return "review"
    if area == "decision":
        return "decision"
    if area == "thread":
        return "message"
    if area == "clarification":
        return "clarification"
    if "moderation" in action or "moderation" in entry.object_type:
        return "moderation"
    if "check" in action or "check" in entry.object_type:
        return "check"
    return "other"


def _text(entry: AuditEntry, who: str, people: dict[int, User], call_tz: str) -> str:
    action = entry.action
    after = entry.after or {}
    before = entry.before or {}
    if action == "proposal.created":
        return _("Proposal started.")
    if action == "proposal.snapshot":
        return _(
            "Submitted version %(version)s frozen (SHA-256 %(sha)s).",
            version=after.get("snapshot_version", "?"),
            sha=str(after.get("sha256", ""))[:12],
        )
    if action in ("proposal.attachment_added", "proposal.attachment_replaced"):
        return _("File “%(name)s” attached.", name=(after.get("attachment") or {}).get("filename", ""))
    if action == "proposal.attachment_removed":
        return _("File “%(name)s” removed.", name=(before.get("attachment") or {}).get("filename", ""))
    if action.startswith("proposal.") and "status" in after:
        status = after["status"]
        text = _("Status: %(status)s.", status=STATUS_LABELS.get(status, status))
        reason = after.get("reason")
        if reason and (who == STAFF or status not in ("submitted", "withdrawn", "draft")):
            text += " " + _("Reason: %(reason)s", reason=reason)
        return text
    if action in ("assignment.created", "assignment.removed"):
        user = people.get(_evaluator_of(entry) or 0)
        name = user.display_name if user else (after or before).get("evaluator", "")
        if action == "assignment.created":
            return _("Evaluator assigned: %(name)s.", name=name)
        return _("Assignment of %(name)s removed.", name=name)
    if action == "assignment.declared_no_conflict":
        return _("Declared no conflict of interest and confirmed confidentiality.")
    if action == "assignment.conflict_declared":
        text = _("Declared a conflict of interest; the assignment is removed.")
        if who == STAFF and after.get("conflict_reason"):
            text += " " + _("Reason: %(reason)s", reason=after["conflict_reason"])
        return text
    if action == "review.submitted":
        return _("Review submitted.")
    if action == "review.reopened":
        text = _("Review reopened for the evaluator.")
        if who == STAFF and after.get("reason"):
            text += " " + _("Reason: %(reason)s", reason=after["reason"])
        return text
    if action in ("moderation.recorded", "moderation.replaced"):
        return _("Consensus scores recorded by the moderator.")
    if action == "checks.answers":
        return _("Checklist answers saved.")
    if action == "checks.concluded":
        return _("Check concluded.")
    if action == "checks.reopened":
        return _("Check re-opened.")
    if action == "decision.recorded":
        outcomes = {"award": _("award"), "reserve": _("reserve list"), "reject": _("rejection")}
        return _("Decision recorded: %(outcome)s.", outcome=outcomes.get(after.get("outcome"), after.get("outcome")))
    if action == "thread.message_posted":
        return _("Message in the internal discussion.")
    if action == "clarification.requested":
        due = after.get("due_at")
        due_text = i18n.instant(dt.datetime.fromisoformat(due), call_tz) if isinstance(due, str) else "—"
        return _("Clarification requested, to be answered by %(due)s.", due=due_text)
    if action == "clarification.answered":
        if after.get("late"):
            return _("Clarification answered, after the deadline.")
        return _("Clarification answered.")
    if action == "clarification.cancelled":
        return _("Clarification request cancelled.")
    return _("Recorded: %(action)s.", action=action)
