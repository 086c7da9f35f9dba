"""`make loadtest`: a reproducible load test of a call's last minutes, against gunicorn + PostgreSQL + Redis on
127.0.0.1, then a check of the database. Run from the repository root:

    python -m scripts.loadtest.run [--users 200] [--spawn-rate 2] [--close-after SECONDS] [--write-docs]

1. Makes a database of its own (LOADTEST_ADMIN_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres,
   creates `portal_loadtest`, dropped first if it exists) and builds it with the migrations.
2. Makes a call that closes `--close-after` seconds after the load starts (by default 90 s after the last applicant
   has signed in), and N applicants with a complete draft each.
3. Starts gunicorn (the portal as it runs in production: `wsgi:app`, gthread workers) with REDIS_URL
   (LOADTEST_REDIS_URL, default redis://127.0.0.1:6379/13: submission receipts are queued there, no worker needed).
4. Runs Locust headless (scripts/loadtest/locustfile.py): every applicant saves its draft again and again and
   submits at a random instant between 60 s before and 20 s after the deadline.
5. Checks: no HTTP error and no unexpected answer; every proposal stored as submitted has submitted_at before the
   deadline and its snapshot; every submission accepted by the portal is in the database and the other way round;
   every submission sent after the deadline was refused.
Prints the result (and with --write-docs writes it into docs/reliability.md); exits 1 when a check fails."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCS = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- loadtest:begin -->", "<!-- loadtest:end -->"


def _database(admin_url: str, name: str) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _environment(database_url: str, redis_url: str, storage: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PORTAL_ENV": "development",  # plain HTTP on 127.0.0.1: production's secure cookies would not come back
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STORAGE_DIR": str(storage),
        "MAIL_BACKEND": "memory",
        "LANGUAGES": "en",
    }


def _prepare(env: dict[str, str], users: int, closes_at: dt.datetime, accounts: Path) -> float:
    code = (
        "import datetime as dt, sys\n"
        "from pathlib import Path\n"
        "from flask_migrate import upgrade\n"
        "from portal import create_app\n"
        "from scripts.loadtest.prepare import prepare\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade()\n"
        "    prepare(int(sys.argv[1]), dt.datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3]))\n"
    )
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, str(users), closes_at.isoformat(), str(accounts)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return time.monotonic() - started


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server on 127.0.0.1
                return
        except Exception:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer on {url}")


def _count(conn, sql: str, **params) -> int:
    return conn.execute(sa.text(sql), params).scalar_one()


def check(database_url: str, closes_at: dt.datetime, attempts: list[dict], stats: dict) -> dict:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        submitted = conn.execute(
            sa.text(
                "SELECT p.id, p.submitted_at, count(s.id) AS snapshots FROM proposals p "
                "LEFT JOIN proposal_snapshots s ON s.proposal_id = p.id "
                "WHERE p.submitted_at IS NOT NULL GROUP BY p.id, p.submitted_at"
            )
        ).all()
        drafts = _count(conn, "SELECT count(*) FROM proposals WHERE status = 'draft'")
        audited = _count(conn, "SELECT count(*) FROM audit_entries WHERE action = 'proposal.snapshot'")
    engine.dispose()
    accepted = {a["proposal_id"] for a in attempts if a["outcome"] == "accepted"}
    refused = [a for a in attempts if a["outcome"] == "refused"]
    close = closes_at.timestamp()
    stored = {row.id for row in submitted}
    result = {
        "applicants": stats["applicants"],
        "requests": stats["requests"],
        "http_failures": stats["failures"],
        "median_ms": stats["median_ms"],
        "p95_ms": stats["p95_ms"],
        "max_ms": stats["max_ms"],
        "submit_attempts": len(attempts),
        "accepted": len(accepted),
        "refused": len(refused),
        "unexpected": sum(a["outcome"] == "unexpected" for a in attempts),
        "sent_after_deadline": sum(a["sent"] >= close for a in attempts),
        "in_flight_at_deadline": sum(a["sent"] < close <= a["answered"] for a in attempts),
        "stored_submitted": len(stored),
        "still_draft": drafts,
        "snapshots_audited": audited,
    }
    checks = {
        "no HTTP error or unexpected answer": result["http_failures"] == 0 and result["unexpected"] == 0,
        "every applicant tried to submit": len(attempts) == stats["applicants"],
        "every stored submission is before the deadline": all(row.submitted_at < closes_at for row in submitted),
        "every stored submission has its snapshot": all(row.snapshots == 1 for row in submitted),
        "accepted by the portal = stored as submitted": accepted == stored,
        "every submission sent after the deadline was refused": all(
            a["outcome"] == "refused" for a in attempts if a["sent"] >= close
        ),
        "every submission answered before the deadline was accepted": all(
            a["outcome"] == "accepted" for a in attempts if a["answered"] < close
        ),
        "the deadline was inside the run (some accepted, some refused)": bool(accepted) and bool(refused),
    }
    return {"result": result, "checks": checks}


def _locust_stats(prefix: Path, applicants: int) -> dict:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    http = [r for r in rows if r["Type"] not in {"SUBMIT", ""} and r["Name"] != "Aggregated"]
    return {
        "applicants": applicants,
        "requests": sum(int(r["Request Count"]) for r in http),
        "failures": int(total["Failure Count"]),
        "median_ms": total["Median Response Time"],
        "p95_ms": total["95%"],
        "max_ms": round(float(total["Max Response Time"])),
        "endpoints": {
            f"{r['Type']} {r['Name']}": {
                "requests": int(r["Request Count"]),
                "failures": int(r["Failure Count"]),
                "median_ms": r["Median Response Time"],
                "p95_ms": r["95%"],
            }
            for r in rows
            if r["Name"] != "Aggregated"
        },
    }


def _locust_errors(prefix: Path) -> dict[str, int]:
    errors: dict[str, int] = {}
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            # One line per kind of error, not per account ("could not sign in as applicant042@...").
            key = f"{row['Method']} {row['Name']}: {row['Error'].split(' as ')[0]}"
            errors[key] = errors.get(key, 0) + int(row["Occurrences"])
    return errors


def _markdown(report: dict, settings: dict) -> str:
    r = report["result"]
    lines = [
        BEGIN,
        f"Last run: {settings['ran_at']} — {settings['users']} applicants, the call closing "
        f"{settings['close_after']} s after the load started, gunicorn {settings['workers']} workers × "
        f"{settings['threads']} threads, PostgreSQL and Redis on 127.0.0.1, {os.cpu_count()} CPU cores "
        f"(preparation of the accounts and drafts: {settings['prepare_seconds']:.0f} s; load average of the machine "
        f"before the run: {settings['load_before']:.1f}).",
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| HTTP requests (sign-in, pages, saves, submissions) | {r['requests']} |",
        f"| HTTP errors or unexpected answers | {r['http_failures'] + r['unexpected']} |",
        f"| Response time: median / 95th percentile / max (ms) | {r['median_ms']} / {r['p95_ms']} / {r['max_ms']} |",
        f"| Submissions tried | {r['submit_attempts']} |",
        f"| Accepted (all stored before the deadline, each with its snapshot) | {r['accepted']} |",
        f"| Refused after the deadline | {r['refused']} (sent after it: {r['sent_after_deadline']}; "
        f"in flight at the deadline: {r['in_flight_at_deadline']}) |",
        f"| Stored as submitted / still draft | {r['stored_submitted']} / {r['still_draft']} |",
        "",
        "| Check | Result |",
        "| --- | --- |",
        *(f"| {name} | {'pass' if ok else '**FAIL**'} |" for name, ok in report["checks"].items()),
        "",
        "| Request | Count | Failures | Median ms | 95% ms |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {e['requests']} | {e['failures']} | {e['median_ms']} | {e['p95_ms']} |"
            for name, e in settings["endpoints"].items()
        ),
        *(
            ["", "Errors:", "", *(f"- {count} × {error}" for error, count in settings["errors"].items())]
            if settings["errors"]
            else []
        ),
        END,
    ]
    return "\n".join(lines)


def write_docs(markdown: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + markdown + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + markdown + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--close-after",
        type=int,
        help="seconds from the start of the load to the deadline (default: 90 s after every applicant signed in)",
    )
    parser.add_argument("--spawn-rate", type=float, default=2, help="applicants signing in per second")
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("LOADTEST_WORKERS", 2 * (os.cpu_count() or 1) + 1))
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOADTEST_PORT", 8765)))
    parser.add_argument("--write-docs", action="store_true", help="write the result into docs/reliability.md")
    args = parser.parse_args(argv)
    if args.close_after is None:  # people sign in before the last minutes; the rush is saving and submitting
        args.close_after = int(args.users / args.spawn_rate) + 90

    admin_url = os.environ.get("LOADTEST_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    work = Path(tempfile.mkdtemp(prefix="portal-loadtest-"))
    database_url = _database(admin_url, os.environ.get("LOADTEST_DATABASE", "portal_loadtest"))
    env = _environment(database_url, redis_url, work / "storage")
    accounts, attempts_file, prefix = work / "accounts.json", work / "attempts.jsonl", work / "locust"

    # The deadline counts from the end of the preparation: estimate it, then move the call's deadline to the real one.
    print(f"Preparing {args.users} applicants with a complete draft each in {database_url} ...", flush=True)
    provisional = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    prepare_seconds = _prepare(env, args.users, provisional, accounts)
    load_before = os.getloadavg()[0]  # other work on the machine weighs on the response times

    gunicorn = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "wsgi:app",
            f"--bind=127.0.0.1:{args.port}",
            f"--workers={args.workers}",
            "--worker-class=gthread",
            f"--threads={args.threads}",
            "--timeout=60",
            # Longer than the clients' pauses, as behind a proxy: a connection that gunicorn closes just as a client
            # reuses it would fail a request that never reached the portal.
            "--keep-alive=75",
            "--log-level=warning",
            f"--error-logfile={work / 'gunicorn.log'}",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(f"http://127.0.0.1:{args.port}/login", 60)
        closes_at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=args.close_after)).replace(microsecond=0)
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE calls SET closes_at = :at WHERE reference = 'CFP-LOAD-01'"), {"at": closes_at})
        engine.dispose()
        info = json.loads(accounts.read_text(encoding="utf-8"))
        info["closes_at"] = closes_at.isoformat()
        accounts.write_text(json.dumps(info), encoding="utf-8")
        print(f"gunicorn up; the call closes at {closes_at.isoformat()}; Locust starts.", flush=True)
        run_time = args.close_after + 40
        subprocess.run(  # noqa: S603
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "scripts" / "loadtest" / "locustfile.py"),
                "--headless",
                f"--users={args.users}",
                f"--spawn-rate={args.spawn_rate}",
                f"--run-time={run_time}s",
                f"--host=http://127.0.0.1:{args.port}",
                f"--csv={prefix}",
                "--only-summary",
                "--exit-code-on-error=0",
            ],
            cwd=ROOT,
            env={**env, "LOADTEST_ACCOUNTS": str(accounts), "LOADTEST_ATTEMPTS": str(attempts_file)},
            check=True,
        )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)

    attempts = (
        [json.loads(line) for line in attempts_file.read_text(encoding="utf-8").splitlines()]
        if attempts_file.exists()
        else []
    )
    stats = _locust_stats(prefix, args.users)
    report = check(database_url, closes_at, attempts, stats)
    settings = {
        "ran_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "users": args.users,
        "close_after": args.close_after,
        "workers": args.workers,
        "threads": args.threads,
        "prepare_seconds": prepare_seconds,
        "load_before": load_before,
        "endpoints": stats["endpoints"],
        "errors": _locust_errors(prefix),
    }
    markdown = _markdown(report, settings)
    print(markdown)
    print(f"(work files in {work})")
    if args.write_docs:
        write_docs(markdown)
    return 0 if all(report["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
