"""The award letter through the real services: committed data, Redis, and a Celery worker process that renders the
letter from the same database and storage."""

from __future__ import annotations

import io
import time

import pypdf
import pytest

from portal.core import storage
from portal.documents.models import Document
from portal.extensions import db
from portal.grants.operations import award_grant
from tests.core.audit_rule import audit_rule_lifted
from tests.grants.conftest import AMOUNT, END, START


def _row_keys(table) -> set[tuple]:
    columns = list(table.primary_key.columns)
    return {tuple(row) for row in db.session.execute(db.select(*columns))}


@pytest.fixture
def wipe_committed(app):
    """Committed tests get no rollback: afterwards, delete every row that was not there before the test (children
    first), so that the reference data loaded by the migrations stays and nothing else is left behind."""
    tables = db.metadata.sorted_tables
    with app.app_context():
        before = {table.name: _row_keys(table) for table in tables}
        db.session.rollback()
    yield
    with app.app_context():
        db.session.rollback()
        with audit_rule_lifted(db.session):  # the audit log is append-only (migration 0018)
            for table in reversed(tables):
                columns = list(table.primary_key.columns)
                for key in _row_keys(table) - before[table.name]:
                    db.session.execute(table.delete().where(*(c == v for c, v in zip(columns, key, strict=True))))
        db.session.commit()
        left = {table.name for table in tables if _row_keys(table) != before[table.name]}
        assert not left, f"rows left behind in {sorted(left)}"


def wait_for_document(document_id: int, statuses: tuple[str, ...], seconds: float = 180) -> Document:
    """Poll the document's row (as committed by the worker) until its status is one of `statuses`, or the deadline.

    The deadline is generous because a busy machine (two cores shared with other test runs) can take long to start a
    render; the poll returns as soon as the state is reached, so a fast run stays fast."""
    deadline = time.monotonic() + seconds
    while True:
        db.session.rollback()  # end the read transaction so that this poll sees the worker's commits
        db.session.expire_all()
        document = db.session.get(Document, document_id)
        if document.status in statuses or time.monotonic() > deadline:
            return document
        time.sleep(0.3)


def worker_diagnosis(app, worker, document: Document) -> str:
    """What a failing assertion shows: the row, whether the job still waits in the run's queue, the worker's log."""
    celery = app.extensions["celery"]
    queue = celery.conf.task_default_queue
    try:
        with celery.connection_for_write() as conn:
            waiting = conn.default_channel.client.llen(queue)
    except Exception as exc:  # the diagnosis must not hide the assertion
        waiting = f"unknown ({exc})"
    return (
        f"status {document.status!r}, attempts {document.attempts}, error {document.error!r}; "
        f"messages waiting in {queue}: {waiting}\n{worker.log_path.read_text()[-4000:]}"
    )


@pytest.mark.services
@pytest.mark.committed
def test_the_worker_renders_the_award_letter(app, wipe_committed, real_broker, session, consortium):
    grant = award_grant(consortium.proposal, amount=AMOUNT, start_date=START, end_date=END, by=consortium.manager)
    db.session.commit()  # the job is sent to Redis after this commit; nothing renders in this process
    document_id = grant.current_letter.id

    document = wait_for_document(document_id, ("ready", "failed"))
    assert document.status == "ready", worker_diagnosis(app, real_broker, document)
    assert document.attempts == 1
    assert "documents.render_award_letter" in real_broker.log_path.read_text()

    data = storage.get(document.storage_key)
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert grant.agreement_number in text
    assert "€150,000.00" in text
    assert "Association Jeunesse et Migration" in text
    assert document.verification_code in text
