"""Browser tests: the real portal served by a separate process on the demo facility, driven by Playwright in
Debian's Chromium. Screenshots of the main steps are kept in test-artifacts/screenshots/."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, _create_postgres_database

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`flask db upgrade`, `flask seed-demo`, then `flask run` in a subprocess on a fresh database."""
    with serve_demo(tmp_path_factory.mktemp("live")) as base:
        yield base


@contextlib.contextmanager
def serve_demo(workdir: Path):
    """The seeded demo served on a fresh database in `workdir`; yields its base URL. Tests that change the demo
    in ways others must not see take their own (see test_journeys.py)."""
    drop = None
    if TEST_DATABASE_URL.startswith("postgresql"):
        database_url, drop = _create_postgres_database(TEST_DATABASE_URL)
    else:
        database_url = f"sqlite:///{workdir / 'live.sqlite3'}"
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(workdir / "storage"),
        "REDIS_URL": "",
        "MAIL_BACKEND": "console",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TWO_FACTOR_REQUIRED_ROLES": "none",  # the demo's staff sign in with a password only (tests/accounts: 2FA)
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    log_path = workdir / "server.log"
    for command in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the portal did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        if drop:
            drop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in():
    def do(page, email: str, password: str = "demo-pass-2026"):
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.locator("form", has=page.locator("input[name=password]")).locator("[type=submit]").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, f"sign-in as {email} failed"

    return do
