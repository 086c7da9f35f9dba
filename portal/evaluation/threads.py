"""The internal discussion of a proposal and the clarifications asked of its applicants.

Who takes part in the discussion: programme managers (and administrators), and an evaluator of the proposal whose
assignment is declared free of conflict in a stage that lets its evaluators into the discussion
(EvaluationStage.evaluators_in_thread). Applicants never see it.

A manager asks the applicant for missing information or a clarification with a response deadline; the lead
organisation's users answer in the portal, with a file if they wish. An answer after the deadline is accepted and
marked as late; a request answered or cancelled takes no further answer.

Each operation checks its preconditions, changes the objects, writes the audit entry and flushes; it never reads the
request and never commits."""

from __future__ import annotations

import datetime as dt
import logging
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.core import audit, mail, storage
from portal.core.db import utcnow
from portal.core.uploads import DEFAULT_KINDS, UploadError, check_upload, store_upload
from portal.core.urls import external_url
from portal.evaluation.models import Assignment
from portal.evaluation.operations import EvaluationError, lead_contacts
from portal.evaluation.thread_models import ClarificationRequest, ClarificationStatus, ThreadMessage
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalStatus

log = logging.getLogger(__name__)

MESSAGE_MAX_LENGTH = 5000
QUESTION_MIN_LENGTH = 10
QUESTION_MAX_LENGTH = 5000
ANSWER_MAX_LENGTH = 10000
ATTACHMENT_KINDS = DEFAULT_KINDS

# A proposal that was never submitted, or that its applicant took back, is not asked anything.
_NOT_ASKABLE = (ProposalStatus.DRAFT.value, ProposalStatus.WITHDRAWN.value)


# -- who takes part ------------------------------------------------------------------------------------------------


def thread_assignments(proposal: Proposal, user: User) -> list[Assignment]:
    """The user's assignments to the proposal that admit them to its discussion: declared free of conflict, in a
    stage that lets evaluators in."""
    if not user.is_authenticated or not user.is_evaluator:
        return []
    return [
        a
        for a in proposal.assignments
        if a.evaluator_id == user.id and a.declared_no_conflict and a.stage.evaluators_in_thread
    ]


def can_read_thread(proposal: Proposal, user: User) -> bool:
    """Managers and administrators always; an evaluator only through an assignment that admits them."""
    if not user.is_authenticated:
        return False
    return user.is_staff or bool(thread_assignments(proposal, user))


def identity_hidden(proposal: Proposal, user: User) -> bool:
    """Whether the reader must not see who the applicant is: an evaluator whose stage on this proposal is blind."""
    if not user.is_authenticated or user.is_staff:
        return False
    return any(a.stage.blind for a in proposal.assignments if a.evaluator_id == user.id and a.is_active)


def can_ask_clarification(proposal: Proposal, user: User) -> bool:
    return bool(user.is_authenticated) and user.is_staff and proposal.status not in _NOT_ASKABLE


def _clean(text: str | None) -> str:
    """Plain text as typed, with its line breaks in one form and no blank edges."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _too_long(text: str, limit: int):
    return _l("Use at most %(max)d characters (this text has %(count)d).", max=limit, count=len(text))


# -- the internal discussion ---------------------------------------------------------------------------------------


def post_message(proposal: Proposal, body: str, *, by: User) -> ThreadMessage:
    """Add a message to the proposal's internal discussion."""
    if not can_read_thread(proposal, by):
        raise EvaluationError(_l("You do not take part in the internal discussion of this proposal."))
    body = _clean(body)
    if not body:
        raise EvaluationError(_l("Write your message."), field="body")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise EvaluationError(_too_long(body, MESSAGE_MAX_LENGTH), field="body")
    message = ThreadMessage(proposal=proposal, author_id=by.id, body=body, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    audit.record(
        "thread.message_posted",
        message,
        actor=by,
        after={"proposal_id": proposal.id, "proposal": proposal.reference, "body": body},
    )
    return message


def thread_messages(proposal: Proposal) -> list[ThreadMessage]:
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(ThreadMessage)
            .where(ThreadMessage.proposal_id == proposal.id)
            .options(joinedload(ThreadMessage.author))
            .order_by(ThreadMessage.created_at, ThreadMessage.id)
        )
    )


# -- clarifications ------------------------------------------------------------------------------------------------


def ask_clarification(
    proposal: Proposal, question: str, due_at: dt.datetime | None, *, by: User, now: dt.datetime | None = None
) -> ClarificationRequest:
    """Ask the applicant a question, to be answered by `due_at` (an aware instant in the future). The lead
    organisation's contacts are e-mailed, each in their language."""
    now = now or utcnow()
    if not (by.is_authenticated and by.is_staff):
        raise EvaluationError(_l("Only programme managers can ask applicants for clarifications."))
    if proposal.status in _NOT_ASKABLE:
        raise EvaluationError(
            _l(
                "Clarifications can only be asked about a submitted proposal; %(reference)s is not submitted.",
                reference=proposal.reference,
            )
        )
    question = _clean(question)
    if len(question) < QUESTION_MIN_LENGTH:
        raise EvaluationError(
            _l("Write the question in at least %(min)d characters.", min=QUESTION_MIN_LENGTH), field="question"
        )
    if len(question) > QUESTION_MAX_LENGTH:
        raise EvaluationError(_too_long(question, QUESTION_MAX_LENGTH), field="question")
    if due_at is None:
        raise EvaluationError(_l("Enter the date and time by which the applicant must answer."), field="due_at")
    if due_at.tzinfo is None:
        raise ValueError("due_at must be an aware instant")
    if due_at <= now:
        raise EvaluationError(_l("The deadline for the answer must be in the future."), field="due_at")

    request = ClarificationRequest(
        proposal=proposal,
        asked_by_id=by.id,
        question=question,
        due_at=due_at,
        created_at=now,
        status=ClarificationStatus.OPEN.value,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "clarification.requested",
        request,
        actor=by,
        after={"proposal_id": proposal.id, "proposal": proposal.reference, "question": question, "due_at": due_at},
    )
    url = external_url("evaluation.clarification", proposal_id=proposal.id, request_id=request.id)
    for user in lead_contacts(proposal):
        mail.send(
            user.email,
            "evaluation_clarification_requested",
            user.locale,
            user=user,
            proposal=proposal,
            call=proposal.call,
            request=request,
            url=url,
        )
    return request


def answer_clarification(
    request: ClarificationRequest,
    answer: str,
    *,
    by: User,
    filename: str | None = None,
    data: bytes | BinaryIO | None = None,
    now: dt.datetime | None = None,
) -> ClarificationRequest:
    """Record the applicant's answer (and its file, checked by its content). Late answers are accepted and marked;
    the managers are e-mailed. The file is stored at once: if the caller's transaction rolls back, it is removed
    by the caller's error path (see the route); on any refusal here nothing is stored."""
    now = now or utcnow()
    proposal = request.proposal
    if not proposal.is_applicant_member(by):
        raise EvaluationError(_l("Only the users of the lead organisation can answer this request."))
    if request.status == ClarificationStatus.CANCELLED:
        raise EvaluationError(_l("This request was cancelled by the programme management and takes no answer."))
    if request.status == ClarificationStatus.ANSWERED:
        raise EvaluationError(_l("This request has already been answered."))
    answer = _clean(answer)
    if not answer:
        raise EvaluationError(_l("Write your answer."), field="answer")
    if len(answer) > ANSWER_MAX_LENGTH:
        raise EvaluationError(_too_long(answer, ANSWER_MAX_LENGTH), field="answer")

    key = None
    if data is not None:
        try:
            info = check_upload(filename, data, allowed=ATTACHMENT_KINDS, field="attachment")
        except UploadError as exc:
            raise EvaluationError(exc.messages[0], field="attachment") from exc
        key = store_upload(info, prefix="clarifications")
    try:
        before = {"status": request.status}
        request.status = ClarificationStatus.ANSWERED.value
        request.answer = answer
        request.answered_by_id = by.id
        request.answered_at = now
        request.answered_late = now > request.due_at
        if key is not None:
            request.attachment_key = key
            request.attachment_name = info.filename
            request.attachment_content_type = info.content_type
            request.attachment_size = info.size
            request.attachment_sha256 = info.sha256
        db.session.flush()
        audit.record(
            "clarification.answered",
            request,
            actor=by,
            before=before,
            after={
                "proposal_id": proposal.id,
                "proposal": proposal.reference,
                "status": request.status,
                "answer": answer,
                "late": request.answered_late,
                "attachment": {"filename": info.filename, "size": info.size, "sha256": info.sha256} if key else None,
            },
        )
        url = external_url("evaluation.clarification", proposal_id=proposal.id, request_id=request.id)
        for manager in _managers_to_tell(request):
            mail.send(
                manager.email,
                "evaluation_clarification_answered",
                manager.locale,
                manager=manager,
                proposal=proposal,
                request=request,
                answered_by=by,
                url=url,
            )
        db.session.flush()
    except Exception:
        if key is not None:
            discard_file(key)
        raise
    return request


def cancel_request(request: ClarificationRequest, *, by: User) -> ClarificationRequest:
    """Withdraw an open request (asked by mistake, or settled otherwise)."""
    if not (by.is_authenticated and by.is_staff):
        raise EvaluationError(_l("Only programme managers can cancel a clarification request."))
    if request.status != ClarificationStatus.OPEN:
        raise EvaluationError(_l("Only an open request can be cancelled; this one is already answered or cancelled."))
    before = {"status": request.status}
    request.status = ClarificationStatus.CANCELLED.value
    request.cancelled_by_id = by.id
    request.cancelled_at = utcnow()
    db.session.flush()
    audit.record(
        "clarification.cancelled",
        request,
        actor=by,
        before=before,
        after={"proposal_id": request.proposal_id, "proposal": request.proposal.reference, "status": request.status},
    )
    return request


def clarifications_of(proposal: Proposal) -> list[ClarificationRequest]:
    """The proposal's requests, newest first."""
    return list(
        db.session.scalars(
            select(ClarificationRequest)
            .where(ClarificationRequest.proposal_id == proposal.id)
            .order_by(ClarificationRequest.created_at.desc(), ClarificationRequest.id.desc())
        )
    )


def _managers_to_tell(request: ClarificationRequest) -> list[User]:
    """Every active programme manager, and whoever asked (an administrator may have)."""
    managers = list(
        db.session.scalars(select(User).where(User.role == Role.MANAGER.value, User.active.is_(True)).order_by(User.id))
    )
    asker = request.asked_by
    if asker is not None and asker.active and all(m.id != asker.id for m in managers):
        managers.append(asker)
    return managers


def discard_file(key: str) -> None:
    """Remove a stored file that nothing points at (an answer whose transaction failed)."""
    try:
        storage.delete(key)
    except Exception:  # a left-over file is harmless; a failed request is not
        log.exception("could not delete stored file %s", key)
