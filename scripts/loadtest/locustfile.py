"""Two hundred applicants in the last minutes before a call closes (run by scripts/loadtest/run.py).

Each simulated applicant signs in with its own account, opens its draft, saves a section again and again (as people
polish their text until the end), and submits at an instant drawn at random in the window around the deadline:
most before it, some after it. Each submission is recorded as a custom Locust event (`SUBMIT accepted` or
`SUBMIT refused`) and as a line in LOADTEST_ATTEMPTS (JSON lines: when the request left, when its answer came back,
what the portal said), which run.py compares with the database."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import threading
import time
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.exception import StopUser

INFO = json.loads(Path(os.environ["LOADTEST_ACCOUNTS"]).read_text(encoding="utf-8"))
CLOSES_AT = dt.datetime.fromisoformat(INFO["closes_at"]).timestamp()
SUBMIT_FROM = CLOSES_AT - float(os.environ.get("LOADTEST_SUBMIT_BEFORE", "60"))
SUBMIT_TO = CLOSES_AT + float(os.environ.get("LOADTEST_SUBMIT_AFTER", "20"))
ATTEMPTS = Path(os.environ["LOADTEST_ATTEMPTS"])

_accounts = list(INFO["accounts"])
_lock = threading.Lock()

# WTForms writes name="csrf_token" type="hidden" value="..."; the POST buttons name="csrf_token" value="...".
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')
ACCEPTED = "was submitted"
REFUSED = "submissions are no longer accepted"


def _field(pattern: re.Pattern, html: str) -> str:
    found = pattern.search(html)
    return found.group(1) if found else ""


def _write_attempt(record: dict) -> None:
    with _lock, ATTEMPTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


class Applicant(HttpUser):
    wait_time = between(5, 15)  # a save every few seconds: people polishing their text, plus the autosave

    def on_start(self) -> None:
        with _lock:
            if not _accounts:
                raise StopUser()
            self.account = _accounts.pop()
        self.proposal_id = self.account["proposal_id"]
        self.submit_at = random.uniform(SUBMIT_FROM, SUBMIT_TO)
        page = self.client.get("/login", name="/login")
        token = _field(CSRF, page.text)
        with self.client.post(
            "/login",
            data={"email": self.account["email"], "password": self.account["password"], "csrf_token": token},
            name="/login",
            catch_response=True,
        ) as signed_in:
            if "Sign out" not in signed_in.text and "/logout" not in signed_in.text:
                signed_in.failure(f"could not sign in (HTTP {signed_in.status_code}: {signed_in.url})")
                raise StopUser()

    @task
    def work_on_the_draft(self) -> None:
        if time.time() >= self.submit_at:
            self.submit()
            return
        url = f"/proposals/{self.proposal_id}/sections/summary"
        page = self.client.get(url, name="/proposals/[id]/sections/summary")
        if page.status_code != 200:
            return
        self.client.post(
            url,
            data={
                "csrf_token": _field(CSRF, page.text),
                "version": _field(VERSION, page.text),
                "summary": f"Our summary, reworded at {dt.datetime.now(dt.UTC).isoformat()}.",
            },
            name="/proposals/[id]/sections/summary (save)",
        )

    def submit(self) -> None:
        page = self.client.get(f"/proposals/{self.proposal_id}", name="/proposals/[id]")
        token = _field(CSRF, page.text)
        sent = time.time()
        with self.client.post(
            f"/proposals/{self.proposal_id}/submit",
            data={"csrf_token": token},
            name="/proposals/[id]/submit",
            catch_response=True,
        ) as answer:
            answered = time.time()
            if ACCEPTED in answer.text:
                outcome = "accepted"
            elif REFUSED in answer.text:
                outcome = "refused"
                answer.success()  # the portal's right answer after the deadline, not an error
            else:
                outcome = "unexpected"
                answer.failure(f"neither accepted nor refused (HTTP {answer.status_code})")
        events.request.fire(
            request_type="SUBMIT",
            name=outcome,
            response_time=(answered - sent) * 1000,
            response_length=0,
            exception=None if outcome != "unexpected" else RuntimeError("unexpected answer"),
            context={},
        )
        _write_attempt(
            {
                "proposal_id": self.proposal_id,
                "sent": sent,
                "answered": answered,
                "outcome": outcome,
                "status": answer.status_code,
            }
        )
        raise StopUser()
