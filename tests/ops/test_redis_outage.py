"""Redis going away and coming back, for the web side: the rate limits' counters and the Celery broker both live in
Redis. While it is away, people can still sign in and ask for a password reset (the e-mail waits in the outbox for
the sweep), failed sign-ins get the usual message, never an error page; once it is back, the limits count again,
without a restart. (The worker side, a decision taken while Redis is down, is in tests/documents/test_worker_faults.py.)

The portal runs in a process of its own (tests/ops/redis_probe.py) against a Redis server this test starts, stops and
starts again on the same port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.services  # needs the redis-server program (installed with Redis)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port: int, folder: Path):
        self.port, self.folder, self.proc = port, folder, None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is needed for this test (Debian package redis-server)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class Portal:
    """The probe process: one command per line, one JSON answer per line."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.redis_probe"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._read().get("ready"), "the portal process did not start"

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail(f"the portal process ended (exit code {self.proc.wait(10)})")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(_free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal(redis_server, tmp_path):
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "MAIL_BACKEND": "memory",
        "LIMIT_SIGN_IN_PER_ACCOUNT": "3 per 15 minutes",
    }
    for name in ("RATELIMIT_STORAGE_URI", "TEST_DATABASE_URL"):
        env.pop(name, None)
    process = Portal(env)
    yield process
    process.close()


def _limited(answer: dict) -> bool:
    return answer["status"] == 429 and answer["retry_after"] is not None


def test_redis_away_and_back(portal, redis_server):
    # Redis up: the fourth failed sign-in of the account is refused for a while.
    answers = [portal.ask("wrong") for _ in range(4)]
    assert [a["status"] for a in answers[:3]] == [200, 200, 200]
    assert _limited(answers[3])

    redis_server.stop()  # Redis goes away
    wrong = portal.ask("wrong")
    assert wrong["status"] == 200, "without the counters, a failed sign-in gets the usual message"
    assert "Traceback" not in wrong["page"] and "ConnectionError" not in wrong["page"]
    assert "The e-mail address or password is not correct." in wrong["page"]
    signed_in = portal.ask("sign-in")
    assert signed_in["status"] == 302 and "/login" not in signed_in["location"]
    reset = portal.ask("reset")
    assert reset["status"] in (200, 302), "a password reset is answered while the broker is away"
    assert reset["outbox"] >= 1, "its e-mail waits in the outbox for the sweep"

    redis_server.start()  # Redis comes back, empty (it keeps nothing on disk): the limits count from zero again
    answers = [portal.ask("wrong") for _ in range(4)]
    assert [a["status"] for a in answers[:3]] == [200, 200, 200]
    assert _limited(answers[3]), "the limits apply again once Redis is back, without a restart"
