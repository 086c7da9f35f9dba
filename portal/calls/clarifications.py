"""Business rules of clarifications: applicants ask questions on a call before its cut-off; managers publish
each one, rewritten so that nobody can tell who asked, with its answer on the call's page (or dismiss it)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from portal.calls.models import Call, CallQuestion, CallStatus, QuestionStatus
from portal.calls.operations import CallError
from portal.core import audit, mail
from portal.core.db import utcnow
from portal.core.i18n import instant, number
from portal.core.urls import external_url
from portal.extensions import db

MAX_QUESTION_LENGTH = 4000


def questions_cutoff(call: Call) -> dt.datetime:
    """Until when applicants may ask questions: the call's cut-off, or its deadline."""
    return call.questions_close_at or call.closes_at


def question_refusal(call: Call, now: dt.datetime | None = None) -> str | None:
    """Why questions cannot be asked now, or None."""
    now = now or utcnow()
    if call.status != CallStatus.PUBLISHED:
        return _("This call does not take questions.")
    cutoff = questions_cutoff(call)
    if now >= cutoff:
        return _(
            "Questions on this call closed on %(cutoff)s.",
            cutoff=instant(cutoff, call.timezone),
        )
    return None


def ask_question(call: Call, text: str, *, by, now: dt.datetime | None = None) -> CallQuestion:
    now = now or utcnow()
    if not getattr(by, "is_applicant", False):
        raise CallError(_("Only applicant accounts can ask questions."))
    refusal = question_refusal(call, now)
    if refusal:
        raise CallError(refusal, field="question")
    text = (text or "").strip()
    if not text:
        raise CallError(_("Write your question."), field="question")
    if len(text) > MAX_QUESTION_LENGTH:
        raise CallError(
            _("A question has at most %(max)s characters.", max=number(MAX_QUESTION_LENGTH, 0)), field="question"
        )
    question = CallQuestion(call=call, asked_by_id=by.id, question=text, asked_at=now, published_question=text)
    db.session.add(question)
    db.session.flush()
    audit.record("call.question_asked", question, actor=by, after={"call_id": call.id, "question": text})
    db.session.flush()
    return question


def publish_answer(
    question: CallQuestion,
    *,
    published_question: str,
    answer: str,
    by,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    translations: dict | None = None,
) -> CallQuestion:
    """Publish (or correct) a question, as rewritten by the manager, and its answer on the call's page; with
    `translations` ({language: {"published_question": ..., "answer": ...}}, checked by
    portal.calls.languages.translated_question_texts) in the call's other languages."""
    now = now or utcnow()
    if question.status == QuestionStatus.DISMISSED:
        raise CallError(_("This question was dismissed; it cannot be published."))
    if expected_version is not None and expected_version != question.version_id:
        raise CallError(
            _("Someone else changed this question since you opened the page. Reload it to see their changes.")
        )
    published_question, answer = (published_question or "").strip(), (answer or "").strip()
    errors = []
    if not published_question:
        errors.append(("published_question", _("Write the question as it will be published.")))
    if not answer:
        errors.append(("answer", _("Write the answer.")))
    if errors:
        raise CallError(errors)
    first = question.status == QuestionStatus.PENDING
    before = audit.snapshot(question, ["status", "published_question", "answer", "translations"])
    question.published_question, question.answer = published_question, answer
    if translations is not None:
        question.translations = translations
    question.status = QuestionStatus.PUBLISHED
    question.answered_by_id = getattr(by, "id", None)
    if first:
        question.published_at = now
    db.session.flush()
    audit.record(
        "call.question_published" if first else "call.answer_updated",
        question,
        actor=by,
        before=before,
        after=audit.snapshot(question, ["status", "published_question", "answer", "translations"]),
    )
    asker = question.asked_by
    if first and asker is not None and asker.is_active:
        mail.send(
            asker.email,
            "calls_question_answered",
            asker.locale or "en",
            user=asker,
            call=question.call,
            question=question,
            url=external_url("calls.public_view", call_id=question.call_id, _anchor=f"question-{question.id}"),
        )
    db.session.flush()
    return question


def dismiss_question(question: CallQuestion, *, by, expected_version: int | None = None) -> CallQuestion:
    """Set a pending question aside (a duplicate, or out of scope): it is never published."""
    if question.status != QuestionStatus.PENDING:
        raise CallError(_("Only a question waiting for an answer can be dismissed."))
    if expected_version is not None and expected_version != question.version_id:
        raise CallError(
            _("Someone else changed this question since you opened the page. Reload it to see their changes.")
        )
    question.status = QuestionStatus.DISMISSED
    question.answered_by_id = getattr(by, "id", None)
    db.session.flush()
    audit.record(
        "call.question_dismissed", question, actor=by, before={"status": "pending"}, after={"status": "dismissed"}
    )
    db.session.flush()
    return question
