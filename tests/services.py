"""The real services for tests marked `services`: Redis as broker and a Celery worker process.

Under CI they must be there (a missing one fails the test); elsewhere the tests run when TEST_REDIS_URL is set
and are skipped otherwise.

And an S3-compatible object storage server for the `s3` storage backend: moto's standalone server, a real HTTP server
process installed with the dev dependencies, so its tests always run (never skipped)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
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


def worker_env(app, database_url, redis_url, storage_dir) -> dict[str, str]:
    """The environment of a worker process of this test run: its database, storage and its own queue."""
    return {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STORAGE_DIR": str(storage_dir),
        "MAIL_BACKEND": "console",
        # The run's own queue (tests/conftest.py): a worker of another run sharing this Redis (another checkout's
        # tests, a worker left over by an interrupted run) neither takes these jobs nor purges them.
        "CELERY_QUEUE": app.extensions["celery"].conf.task_default_queue,
    }


def worker_hostname(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"


def wait_until_consuming(celery, proc: subprocess.Popen, hostname: str, log_path: Path | None, seconds: float = 90):
    """Wait until THIS worker answers a ping and consumes the run's queue. A ping to every worker would be answered
    by any worker on the broker (another run's) before ours is up; answering pings is not consuming either."""
    queue = celery.conf.task_default_queue
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = log_path.read_text()[-3000:] if log_path else ""
            pytest.fail(f"the Celery worker exited with {proc.returncode}:\n{detail}")
        try:
            replies = celery.control.inspect(destination=[hostname], timeout=1.0).active_queues() or {}
        except Exception:
            replies = {}
        if any(q.get("name") == queue for q in replies.get(hostname) or []):
            return
        time.sleep(0.3)
    proc.terminate()
    detail = log_path.read_text()[-3000:] if log_path else ""
    pytest.fail(f"the Celery worker {hostname} did not consume {queue} within {seconds:.0f} s:\n{detail}")


@pytest.fixture(scope="session")
def celery_worker(app, redis_url, database_url, storage_dir, tmp_path_factory):
    """A real `celery worker` process against the test database and Redis, for the whole session."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = worker_env(app, database_url, redis_url, storage_dir)
    celery = app.extensions["celery"]
    # Messages left in this run's queue (none should be: the name is new) would name rows of a database that is gone.
    with celery.connection_for_write() as conn:
        celery.control.purge(connection=conn)
    hostname = worker_hostname("test")
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
            hostname,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log_path  # tests print the worker's log when it does not do what they expect
    proc.hostname = hostname
    wait_until_consuming(celery, proc, hostname, log_path)
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


S3_TEST_BUCKET = "portal-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3-compatible server on a free loopback port for the whole session, with the bucket S3_TEST_BUCKET.
    Yields its URL."""
    import boto3

    log_path = tmp_path_factory.mktemp("s3") / "moto.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the S3 server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.terminate()
                pytest.fail(f"the S3 server did not answer within 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
    boto3.session.Session().client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    ).create_bucket(Bucket=S3_TEST_BUCKET)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def s3_settings(s3_server) -> dict[str, str]:
    """Configuration for the `s3` storage backend on the test server; each test gets its own S3_PREFIX."""
    return {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": S3_TEST_BUCKET,
        "S3_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }
