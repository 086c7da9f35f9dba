"""Driving the served portal: signing in per role, checking each URL once (status 200, queries per request, time to
first byte), then wrk at 1 and 16 connections."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import requests

LUA = Path(__file__).with_name("bench.lua")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Target:
    """One page to measure: who asks for it, and how."""

    name: str
    path: str
    cookie: str = ""
    authorization: str = ""
    export: bool = False  # an open-data export: time to first byte is measured and has its own target

    def headers(self) -> dict[str, str]:
        headers = {"Accept-Encoding": "gzip, deflate, br"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.authorization:
            headers["Authorization"] = self.authorization
        return headers


@dataclass
class Run:
    connections: int
    requests_per_second: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    errors: int = 0
    error: str = ""


@dataclass
class Measure:
    target: Target
    status: int | None = None
    queries: str = ""  # the X-SQL-Queries header, or why there is none
    ttfb_ms: float | None = None
    runs: list[Run] = field(default_factory=list)
    error: str = ""


def sign_in(base_url: str, email: str, password: str, totp_secret: str | None = None) -> str:
    """The `Cookie` header of a session signed in as `email`, through the login form (with its CSRF token).

    Production cookies are `Secure`: a client on plain HTTP would not send them back, so the cookies are carried by
    hand (the bench talks to 127.0.0.1 without TLS)."""
    jar: dict[str, str] = {}

    def remember(response) -> None:
        for cookie in response.cookies:
            jar[cookie.name] = cookie.value

    def cookie_header() -> str:
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    page = requests.get(f"{base_url}/login", timeout=30, allow_redirects=False)
    page.raise_for_status()
    remember(page)
    match = CSRF.search(page.text)
    if not match:
        raise RuntimeError("no CSRF token in the login form")
    token = match.group(1) or match.group(2)
    response = requests.post(
        f"{base_url}/login",
        data={"csrf_token": token, "email": email, "password": password, "next": ""},
        headers={"Cookie": cookie_header()},
        timeout=30,
        allow_redirects=False,
    )
    remember(response)
    if response.status_code != 302:
        raise RuntimeError(f"signing in as {email} answered {response.status_code}, not a redirect")
    if "/login/two-factor" in response.headers.get("Location", ""):
        # Managers sign in with a second factor in production (portal/accounts/two_factor.py).
        if not totp_secret:
            raise RuntimeError(f"{email} must give a two-factor code and the bench has no secret for it")
        page = requests.get(f"{base_url}/login/two-factor", headers={"Cookie": cookie_header()}, timeout=30)
        page.raise_for_status()
        remember(page)
        match = CSRF.search(page.text)
        if not match:
            raise RuntimeError("no CSRF token in the two-factor form")
        # The code of the next time step: the one of this step may have been spent by the enrolment (a code works
        # once), and the portal accepts one step of drift either way.
        code = pyotp.TOTP(totp_secret).at(time.time() + 30)
        response = requests.post(
            f"{base_url}/login/two-factor",
            data={"csrf_token": match.group(1) or match.group(2), "code": code},
            headers={"Cookie": cookie_header()},
            timeout=30,
            allow_redirects=False,
        )
        remember(response)
        if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
            raise RuntimeError(f"the second step of signing in as {email} answered {response.status_code}")
    return cookie_header()


CHECK_FETCHES = 8


def check(base_url: str, target: Target) -> Measure:
    """Fetch the URL a few times (no redirects): its status, its query count, and for exports the time to first byte
    (median of five requests: from sending the request to the status line). The first request a worker serves also
    reads what the process keeps (reference data, the forms of a grid): the count is the fewest of the fetches, a warm
    worker's, which is what every later request costs."""
    measure = Measure(target)
    counts = []
    for _ in range(CHECK_FETCHES):
        response = requests.get(base_url + target.path, headers=target.headers(), timeout=120, allow_redirects=False)
        measure.status = response.status_code
        if response.status_code != 200:
            measure.error = f"answered {response.status_code} (expected 200)"
            return measure
        if (header := response.headers.get("X-SQL-Queries", "")).isdigit():
            counts.append(int(header))
    missing = "streamed" if target.export else "no header (COUNT_QUERIES off?)"
    measure.queries = str(min(counts)) if counts else missing
    if target.export:
        measure.ttfb_ms = statistics.median(time_to_first_byte(base_url, target) for _ in range(5))
    return measure


def time_to_first_byte(base_url: str, target: Target) -> float:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.connect()
        started = time.perf_counter()
        connection.request("GET", target.path, headers=target.headers())
        response = connection.getresponse()  # returns once the status line and headers have arrived
        elapsed = (time.perf_counter() - started) * 1000
        response.read()
        return elapsed
    finally:
        connection.close()


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(base_url: str, target: Target, connections: int, duration: float) -> Run:
    run = Run(connections)
    wrk = wrk_path()
    if wrk is None:
        run.error = "wrk is not installed (make bench-deps)"
        return run
    threads = max(1, min(connections, os.cpu_count() or 1))
    env = {**os.environ, "BENCH_COOKIE": target.cookie, "BENCH_AUTHORIZATION": target.authorization}
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        base_url + target.path,
    ]
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        command, env=env, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
    if done.returncode != 0 or line is None:
        run.error = f"wrk failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-300:]}"
        return run
    data = json.loads(line.removeprefix("BENCH-JSON "))
    seconds = data["duration_us"] / 1e6
    run.requests = data["requests"]
    run.errors = sum(data[k] for k in ("bad_status", "connect_errors", "read_errors", "write_errors", "timeouts"))
    run.requests_per_second = data["requests"] / seconds if seconds else None
    if not run.requests:  # wrk's percentiles of no request are zeros, which would look like a met target
        run.error = f"no request completed in {duration:g} s"
        return run
    run.p50_ms, run.p95_ms, run.p99_ms = (data[k] / 1000 for k in ("p50_us", "p95_us", "p99_us"))
    if run.errors:
        run.error = f"{run.errors} failed requests of {run.requests}"
    return run


def wait_idle(base_url: str, workers: int, timeout: float = 180.0) -> bool:
    """Wait until every gunicorn worker is free again: wrk closes its connections at the end of a run, but a sync
    worker finishes the slow request it is in (an export of thousands of grants) before it notices, and that work
    would be counted in the next page's run. Idle means: twice as many /healthz requests as workers, sent at once,
    all answered within a second."""

    def ping(_n: int) -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answered = list(pool.map(ping, range(2 * workers)))
            if all(answered) and time.perf_counter() - started < 1.0:
                return True
            time.sleep(0.5)
    return False
