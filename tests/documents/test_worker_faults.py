"""Dependability of the letters through the real services (committed data, Redis, Celery worker processes): Redis down
when the committee decides, the worker killed in the middle of a render, the same job delivered twice — each ends with
exactly one correct letter, and the public verification page confirms it (and rejects a forged code)."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import subprocess
import sys
import time

import pytest

from portal.core import storage
from portal.core.audit import AuditEntry
from portal.documents import operations, tasks
from portal.documents.models import Document
from portal.documents.template_models import DocumentTemplate
from portal.extensions import db
from portal.grants.models import Grant
from portal.grants.operations import award_grant
from tests.documents.test_letter import pdf_text
from tests.documents.test_worker import wait_for_document, wipe_committed  # noqa: F401 - a fixture
from tests.grants.conftest import AMOUNT, END, START
from tests.services import ROOT, wait_until_consuming, worker_env, worker_hostname

pytestmark = [pytest.mark.services, pytest.mark.committed, pytest.mark.usefixtures("wipe_committed")]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # released on exit: nothing listens there


def _point_broker(celery, url: str) -> None:
    """Send the next tasks to `url` (Celery keeps a connection pool per broker: drop the current one)."""
    celery.conf.broker_url = url
    celery._pool = None  # kombu keeps one pool per URL: the working one stays open for when it comes back
    celery.amqp._producer_pool = None


@pytest.fixture
def own_workers(app, celery_worker, monkeypatch, database_url, storage_dir, redis_url):
    """Workers this test starts and kills itself. The session's worker stops consuming meanwhile (so that the job
    goes to ours), and consumes again afterwards."""
    celery = app.extensions["celery"]
    monkeypatch.setitem(celery.conf, "task_always_eager", False)
    queue = celery.conf.task_default_queue
    names = [celery_worker.hostname]  # only this run's worker: never another run's on the same Redis
    celery.control.cancel_consumer(queue, destination=names, reply=True, timeout=5.0)
    started: list[subprocess.Popen] = []
    env = worker_env(app, database_url, redis_url, storage_dir)

    def start() -> subprocess.Popen:
        name = worker_hostname("fault")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proc)
        wait_until_consuming(celery, proc, name, None)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    celery.control.add_consumer(queue, destination=names, reply=True, timeout=5.0)


def _wait_for(document_id: int, statuses: tuple[str, ...], seconds: float = 180) -> Document:
    return wait_for_document(document_id, statuses, seconds)


def _one_correct_letter(grant_id: int, client) -> Document:
    db.session.rollback()
    grant = db.session.get(Grant, grant_id)
    letters = db.session.scalars(db.select(Document).where(Document.grant_id == grant_id)).all()
    assert len(letters) == 1, [(d.id, d.version, d.status) for d in letters]
    letter = letters[0]
    assert letter.status == "ready", letter.error
    rendered = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "document.rendered", AuditEntry.object_id == str(letter.id))
    ).all()
    assert len(rendered) == 1  # rendered and stored once, whatever happened on the way
    text = pdf_text(storage.get(letter.storage_key))
    assert grant.agreement_number in text
    assert "€150,000.00" in text
    assert "Association Jeunesse et Migration" in text and "Institut Malien de Recherche" in text
    assert letter.verification_code in text
    page = client.get(f"/verify/{letter.verification_code}")
    assert page.status_code == 200 and letter.sha256 in page.get_data(as_text=True)
    forged = letter.verification_code[:-1] + ("2" if letter.verification_code[-1] != "2" else "3")
    assert client.get(f"/verify/{forged}").status_code == 404
    return letter


def test_redis_down_at_decision_time_then_the_sweep(app, own_workers, session, consortium, client):
    celery = app.extensions["celery"]
    working_url = celery.conf.broker_url
    _point_broker(celery, f"redis://127.0.0.1:{_closed_port()}/0")
    try:
        grant = award_grant(consortium.proposal, amount=AMOUNT, start_date=START, end_date=END, by=consortium.manager)
        db.session.commit()  # the decision is kept; sending the job fails and is only logged
    finally:
        _point_broker(celery, working_url)
    grant_id, document_id = grant.id, grant.current_letter.id
    own_workers()
    assert _wait_for(document_id, ("ready", "failed"), seconds=5).status == "queued"  # nothing reached Redis

    ids = operations.requeue_stalled(0)  # the periodic sweep, once Redis is back
    db.session.commit()
    assert ids == [document_id]
    assert _wait_for(document_id, ("ready", "failed")).status == "ready"
    letter = _one_correct_letter(grant_id, client)
    assert letter.attempts == 1


SLOW = """<html><head><link rel="stylesheet" href="portal-static:/css/letter.css"></head><body>
<p>{{ letter.agreement_number }} {{ letter.amount|money }} {{ letter.verification_code }}</p>
{% for member in letter.consortium %}<p>{{ member.name }}</p>{% endfor %}
{% for i in range(6000) %}<p>{{ i }}: {{ letter.title }} — {{ letter.lead_name }}</p>{% endfor %}
</body></html>"""


def test_the_worker_killed_in_the_middle_of_a_render(
    app,
    own_workers,
    session,
    consortium,
    client,
    monkeypatch,
):
    # A long template makes the render last long enough to kill the worker in the middle of it.
    db.session.add(DocumentTemplate(kind="award_letter", version=1, html=SLOW, css="", active=True))
    db.session.commit()
    worker = own_workers()
    grant = award_grant(consortium.proposal, amount=AMOUNT, start_date=START, end_date=END, by=consortium.manager)
    db.session.commit()
    grant_id, document_id = grant.id, grant.current_letter.id
    assert _wait_for(document_id, ("running", "ready", "failed"), seconds=60).status == "running"
    time.sleep(1.0)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    document = _wait_for(document_id, ("ready", "failed"), seconds=2)
    assert document.status == "running" and document.storage_key is None  # nothing half-stored

    # The sweep takes a render "running" for longer than RUNNING_TIMEOUT as lost (here: at once).
    monkeypatch.setattr(operations, "RUNNING_TIMEOUT", dt.timedelta(0))
    db.session.execute(db.update(DocumentTemplate).values(active=False))  # back to the built-in letter
    ids = operations.requeue_stalled(3600)
    db.session.commit()
    assert ids == [document_id]
    own_workers()
    assert _wait_for(document_id, ("ready", "failed")).status == "ready"
    letter = _one_correct_letter(grant_id, client)
    assert letter.attempts == 2


def test_the_same_job_delivered_twice(app, own_workers, session, consortium, client):
    own_workers()
    grant = award_grant(consortium.proposal, amount=AMOUNT, start_date=START, end_date=END, by=consortium.manager)
    db.session.commit()
    grant_id, document_id = grant.id, grant.current_letter.id
    tasks.render_award_letter.delay(document_id)  # a second delivery of the same job
    tasks.render_award_letter.delay(document_id)  # and a third
    assert _wait_for(document_id, ("ready", "failed")).status == "ready"
    time.sleep(3)  # let the duplicates run
    letter = _one_correct_letter(grant_id, client)
    assert letter.attempts == 1
