"""The real services for tests marked `services`: Redis as broker and a Celery worker process.

Under CI they must be there (a missing one fails the test); elsewhere the tests run when TEST_REDIS_URL is set
and are skipped otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() == "true"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def pytest_collection_modifyitems(config, items):
    if CI or TEST_REDIS_URL:
        return
    skip = pytest.mark.skip(reason="needs Redis and a Celery worker: run with CI=true or TEST_REDIS_URL set")
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    if not TEST_REDIS_URL:
        pytest.fail("TEST_REDIS_URL is not set: tests marked `services` need Redis")
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.fail(f"Redis is required at {TEST_REDIS_URL} but is not reachable: {exc}")
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def celery_worker(app, redis_url, database_url, storage_dir, tmp_path_factory):
    """A real `celery worker` process against the test database and Redis, for the whole session."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STORAGE_DIR": str(storage_dir),
        "MAIL_BACKEND": "console",
    }
    celery = app.extensions["celery"]
    # Messages left in the test broker by an earlier, interrupted run would name rows of a database that is gone.
    with celery.connection_for_write() as conn:
        celery.control.purge(connection=conn)
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
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
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log_path  # tests print the worker's log when it does not do what they expect
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if celery.control.ping(timeout=1.0):
                break
        except Exception:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"the Celery worker did not answer within 60 s:\n{log_path.read_text()[-3000:]}")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def real_broker(app, celery_worker, monkeypatch):
    """Within the test, send tasks to Redis for the worker instead of running them in-process."""
    monkeypatch.setitem(app.extensions["celery"].conf, "task_always_eager", False)
    return celery_worker
