"""A portal process for tests/ops/test_redis_outage.py: its rate limits and its Celery broker are a Redis server that
the test stops and starts. Reads one command per line on stdin, answers one JSON line on stdout.

Run as `python -m tests.ops.redis_probe` with DATABASE_URL and REDIS_URL set. It is a process of its own because
Flask-Limiter keeps its storage on the one `limiter` object that every app of the test session shares."""

from __future__ import annotations

import json
import sys

from flask_migrate import upgrade
from sqlalchemy import func, select

from portal import create_app
from portal.accounts.models import User
from portal.extensions import db
from portal.notifications.models import OutboxMessage

EMAIL, PASSWORD = "probe@ngo.example", "a long and unusual passphrase 7"


def main() -> None:
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False  # what is tested here is Redis going away, not CSRF (tests/core has it)
    with app.app_context():
        upgrade()
        user = User(email=EMAIL, role="applicant", full_name="Awa Probe")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    client = app.test_client()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "wrong":
            response = client.post("/login", data={"email": EMAIL, "password": "not the password"})
            answer = {"status": response.status_code, "retry_after": response.headers.get("Retry-After")}
        elif command == "sign-in":
            signed_in = app.test_client()
            response = signed_in.post("/login", data={"email": EMAIL, "password": PASSWORD})
            answer = {"status": response.status_code, "location": response.headers.get("Location", "")}
        elif command == "reset":
            response = client.post("/password/forgot", data={"email": EMAIL})
            with app.app_context():
                queued = db.session.scalar(select(func.count(OutboxMessage.id)))
            answer = {"status": response.status_code, "outbox": queued}
        else:
            answer = {"error": f"unknown command {command!r}"}
        if "status" in answer:
            answer["page"] = response.get_data(as_text=True)[:20000]
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
