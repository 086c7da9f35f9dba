"""Work that must happen only once the current transaction has committed: queueing Celery tasks and sending
e-mail. A user's action is committed first; what it causes is sent afterwards, and dropped on rollback.
A task that cannot be queued (broker down) is left for the periodic sweep of its area to re-send."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
QUEUE_KEY = "portal_after_commit"  # in session.info: what waits for the commit


def after_commit(session: Session, fn: Callable[[], Any]) -> None:
    """Run `fn` after the session's current transaction commits (never if it rolls back)."""
    session.info.setdefault(QUEUE_KEY, []).append(fn)


def enqueue(session: Session, task: Any, *args: Any) -> None:
    """Send `task.delay(*args)` after commit. A failure to reach the broker is logged, not raised: the row
    that describes the job is already committed as 'queued' and the sweep will send it again."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # the broker is down or refused: the sweep re-sends later
            log.exception("could not queue %s%r; the sweep will retry", getattr(task, "name", task), args)

    after_commit(session, send)


# Registered once on the Session class, so every session (web request, Celery task, CLI) follows the rule.
@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    for fn in session.info.pop(QUEUE_KEY, []):
        try:
            fn()
        except Exception:
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    # A savepoint rollback (nested transaction) must not drop work queued by the outer transaction.
    if not session.in_nested_transaction():
        session.info.pop(QUEUE_KEY, None)
