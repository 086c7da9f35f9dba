"""The award-letter pipeline: N letters rendered by Celery workers through Redis (the portal's own path: request the
letter, commit, the job is sent after the commit, a worker renders and stores it) against the same N letters rendered
by WeasyPrint directly in one process (portal.documents.operations.render_award_letter_pdf).

Both sides are warmed up first (fonts and templates loaded) with letters that are not timed. The Celery time runs
from the commit that queues the jobs to the last letter's `rendered_at`, as the database records it."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

log = logging.getLogger("bench.letters")
WARM_UP = 2


@dataclass
class LettersResult:
    letters: int
    direct_per_letter_s: float | None = None
    celery_per_letter_s: float | None = None
    failed: int = 0
    error: str = ""

    @property
    def ratio(self) -> float | None:
        if self.direct_per_letter_s and self.celery_per_letter_s:
            return self.celery_per_letter_s / self.direct_per_letter_s
        return None


def _grants(n: int) -> list:
    from portal.extensions import db
    from portal.grants.models import Grant

    return list(db.session.scalars(select(Grant).order_by(Grant.id).limit(n)))


def _manager():
    from portal.accounts.models import User
    from portal.extensions import db

    return db.session.scalar(select(User).where(User.role == "manager").order_by(User.id).limit(1))


def direct(app, n: int) -> float:
    """Seconds per letter, rendered one after the other in this process (the documents are not kept)."""
    from portal.documents.operations import render_award_letter_pdf, request_award_letter
    from portal.extensions import db

    with app.app_context():
        grants = _grants(n + WARM_UP)
        manager = _manager()
        documents = [request_award_letter(grant, by=manager) for grant in grants]
        db.session.flush()
        for document in documents[:WARM_UP]:
            render_award_letter_pdf(document)
        started = time.perf_counter()
        for document in documents[WARM_UP:]:
            render_award_letter_pdf(document)
        elapsed = time.perf_counter() - started
        db.session.rollback()  # nothing was committed: no job was sent
    return elapsed / max(1, len(documents) - WARM_UP)


def start_worker(env: dict, root: Path, log_path: Path) -> subprocess.Popen:
    log_file = open(log_path, "wb")  # noqa: SIM115 - closed when the worker stops
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            "bench@%h",
        ],
        cwd=root,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    proc.log_file = log_file
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker stopped at start-up (see {log_path})")
        if b" ready." in log_path.read_bytes():
            return proc
        time.sleep(0.3)
    raise RuntimeError(f"the Celery worker did not become ready in 90 s (see {log_path})")


def _wait(app, ids: list[int], timeout: float) -> tuple[int, int]:
    """Wait until every document is ready or failed; returns (ready, failed)."""
    from portal.documents.models import Document
    from portal.extensions import db

    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            rows = dict(
                db.session.execute(
                    select(Document.status, func.count()).where(Document.id.in_(ids)).group_by(Document.status)
                ).all()
            )
        ready, failed = rows.get("ready", 0), rows.get("failed", 0)
        if ready + failed >= len(ids) or time.monotonic() > deadline:
            return ready, failed
        time.sleep(0.25)


def through_celery(app, n: int, timeout: float) -> tuple[float, int]:
    """Seconds per letter through Redis and the running worker(s); and the number that failed."""
    from portal.documents.models import Document
    from portal.documents.operations import request_award_letter
    from portal.extensions import db

    with app.app_context():
        grants = _grants(n + WARM_UP)
        manager = _manager()
        warm = [request_award_letter(grant, by=manager).id for grant in grants[:WARM_UP]]
        db.session.commit()
    _wait(app, warm, timeout)
    with app.app_context():
        grants = _grants(n + WARM_UP)
        manager = _manager()
        documents = [request_award_letter(grant, by=manager) for grant in grants[WARM_UP:]]
        db.session.flush()
        ids = [d.id for d in documents]
        started_at = time.time()
        db.session.commit()  # the jobs are sent now
    ready, failed = _wait(app, ids, timeout)
    if ready + failed < len(ids):
        raise RuntimeError(f"only {ready + failed} of {len(ids)} letters were done after {timeout:.0f} s")
    with app.app_context():
        last = db.session.scalar(select(func.max(Document.rendered_at)).where(Document.id.in_(ids)))
    elapsed = (last.timestamp() - started_at) if last is not None else float("nan")
    return elapsed / len(ids), failed


def bench_letters(app, env: dict, root: Path, n: int, workdir: Path) -> LettersResult:
    result = LettersResult(letters=n)
    try:
        with app.app_context():
            available = len(_grants(n + WARM_UP))
        if available < 1 + WARM_UP:
            raise RuntimeError(f"the bench database has {available} grants: at least {1 + WARM_UP} are needed")
        if available < n + WARM_UP:
            result.letters = n = available - WARM_UP
            log.warning("only %s grants: %s letters", available, n)
        result.direct_per_letter_s = direct(app, n)
        _purge(app)
        worker = start_worker(env, root, workdir / "celery-worker.log")
        try:
            result.celery_per_letter_s, result.failed = through_celery(app, n, timeout=max(120.0, n * 5.0))
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            worker.log_file.close()
    except Exception as exc:  # reported on its line, the rest of the benchmark goes on
        log.exception("letters benchmark failed")
        result.error = str(exc)
    return result


def _purge(app) -> None:
    """Messages left in the bench broker by an interrupted run name documents of a database that may be gone."""
    celery = app.extensions["celery"]
    with celery.connection_for_write() as conn:
        celery.control.purge(connection=conn)
