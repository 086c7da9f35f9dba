"""Celery tasks of the documents area. They take ids, call operations, and commit once at the end; they run inside
the Flask app context (portal.core.celery.FlaskTask)."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from portal.core.pdf import RenderBudgetError
from portal.documents import operations
from portal.extensions import db

log = logging.getLogger(__name__)

MAX_RETRIES = 3


_RETRYING = {
    "bind": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 10,  # 10 s, 20 s, 40 s (with jitter), capped below
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": MAX_RETRIES,
}


def _render(task, document_id: int) -> str | None:
    """Render one document. Idempotent: a second run of the same job changes nothing. A failing attempt leaves the
    document queued with the reason and is retried with back-off; the last one leaves it failed."""
    try:
        document = operations.render_document(document_id)
    except operations.DocumentNotFoundError:
        db.session.rollback()
        log.warning("render job for document %s: no such document; dropped", document_id)
        return None
    except Exception as exc:
        db.session.rollback()
        reason = operations.failure_reason(exc)
        # A template that ran out of its time budget would only run out of it again: failed at once, no retries.
        if isinstance(exc, RenderBudgetError) or task.request.retries >= task.max_retries:
            operations.mark_failed(document_id, reason)
            db.session.commit()
            return "failed"
        log.warning(
            "render of document %s failed (attempt %s of %s): %s",
            document_id,
            task.request.retries + 1,
            task.max_retries + 1,
            reason,
        )
        operations.mark_retrying(document_id, reason)
        db.session.commit()
        raise  # autoretry_for schedules the next attempt with exponential back-off
    db.session.commit()
    return document.status


@shared_task(name="documents.render_award_letter", **_RETRYING)
def render_award_letter(self, document_id: int) -> str | None:
    """Render one award letter (see _render)."""
    return _render(self, document_id)


@shared_task(name="documents.render_submission_receipt", **_RETRYING)
def render_submission_receipt(self, document_id: int) -> str | None:
    """Render one submission receipt and, once it is ready, e-mail it to the submitter (see _render)."""
    return _render(self, document_id)


@shared_task(name="documents.render_decision_letter", **_RETRYING)
def render_decision_letter(self, document_id: int) -> str | None:
    """Render one rejection or reserve-list letter (see _render)."""
    return _render(self, document_id)


@shared_task(name="documents.render_committee_ranking", **_RETRYING)
def render_committee_ranking(self, document_id: int) -> str | None:
    """Render one version of the committee's ranked list (see _render)."""
    return _render(self, document_id)


def task_for(kind: str):
    """The render task of a kind of document."""
    if kind == "committee_ranking":
        return render_committee_ranking
    if kind == "submission_receipt":
        return render_submission_receipt
    if kind in ("rejection_letter", "reserve_letter"):
        return render_decision_letter
    return render_award_letter


@shared_task(name="documents.sweep_stalled")
def sweep_stalled() -> list[int]:
    """Re-send render jobs that never started (broker down when they were requested) or whose worker died."""
    ids = operations.requeue_stalled(current_app.config["JOB_SWEEP_AFTER_SECONDS"])
    db.session.commit()  # the jobs are sent after this commit
    if ids:
        log.info("sweep re-sent %s stalled document job(s): %s", len(ids), ids)
    return ids
