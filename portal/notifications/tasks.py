"""Celery tasks of the notifications area: deliver one message (retried with back-off on transient errors),
re-queue the messages that never went, send the daily digests and the reminders. They take ids and commit once."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from flask import current_app

from portal.core import mail
from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications import operations, reminders
from portal.notifications.models import MessageStatus

log = logging.getLogger(__name__)

MAX_RETRIES = 5
# Transient: the mail server refused for now, or could not be reached. Anything else is a bug and fails at once.
TRANSIENT = (smtplib.SMTPException, OSError)


@shared_task(name="notifications.deliver", bind=True, max_retries=MAX_RETRIES)
def deliver(self, message_id: int) -> str | None:
    """Deliver one outbox message. Idempotent: a message already sent (or being sent by another worker) is left
    alone, so the same job delivered twice sends one e-mail."""
    row = operations.claim(message_id)
    if row is None:
        db.session.rollback()
        return None
    row.attempts += 1
    try:
        mail.deliver_now(current_app._get_current_object(), operations.outgoing(row))
    except TRANSIENT as exc:
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        if self.request.retries >= self.max_retries:
            row.status = MessageStatus.FAILED.value
            db.session.commit()
            log.error("e-mail %s to %s failed for good: %s", row.id, row.recipient, row.error)
            return "failed"
        db.session.commit()
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
    row.status = MessageStatus.SENT.value
    row.sent_at = utcnow()
    row.error = None
    db.session.commit()
    return "sent"


@shared_task(name="notifications.sweep_queued")
def sweep_queued() -> list[int]:
    """Re-send delivery jobs of messages still queued after a while (broker down at the time, worker killed)."""
    ids = operations.requeue_stalled(current_app.config["JOB_SWEEP_AFTER_SECONDS"])
    db.session.commit()
    if ids:
        log.info("sweep re-queued %s e-mail(s): %s", len(ids), ids)
    return ids


@shared_task(name="notifications.send_digests")
def send_digests() -> int:
    count = operations.send_digests()
    db.session.commit()
    return count


@shared_task(name="notifications.send_reminders")
def send_reminders() -> dict[str, int]:
    counts = reminders.send_due_reminders()
    db.session.commit()
    return counts
