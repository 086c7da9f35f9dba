"""`make bench` (python -m scripts.bench): generate a large facility in its own PostgreSQL database, serve it with
gunicorn, measure the pages with wrk, the award-letter pipeline, the evaluator assignment and the dashboard's
aggregates, and write docs/benchmarks.md and docs/benchmarks-notes.md.

    python -m scripts.bench --scale 0.05 --duration 5 --letters 20 --reuse
    python -m scripts.bench --drop          # remove the bench database

Settings (environment): BENCH_ADMIN_URL, the PostgreSQL server to create the database on (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; PGPASSWORD is honoured); BENCH_REDIS_URL (default
redis://127.0.0.1:6379/14, purged before the letters are sent).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parents[2]
WORKDIR = ROOT / "instance" / "bench"
HOST, PORT = "127.0.0.1", 5108
BASE_URL = f"http://{HOST}:{PORT}"
WARM_UP_S = 2.0
# The portal is measured as it is deployed: the Dockerfile and docker-compose.yml run gunicorn with 3 sync workers.
# On this 2-core machine, shared with wrk and PostgreSQL, 2 and 3 workers served more requests a second than 4 or 5
# (benchmarks-notes.md); 3 leaves one worker free while another holds a slow request (an export, a preview).
GUNICORN_WORKERS = 3
log = logging.getLogger("bench")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of the facility (1: 20,000 proposals)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default 10)")
    parser.add_argument("--letters", type=int, default=500, help="award letters per side (default 500)")
    parser.add_argument("--reuse", action="store_true", help="keep the bench database if it exists")
    parser.add_argument("--connections", default="1,16", help="wrk connections, comma-separated (default 1,16)")
    parser.add_argument(
        "--workers",
        type=int,
        default=GUNICORN_WORKERS,
        help=f"gunicorn sync workers (default {GUNICORN_WORKERS}, as the Dockerfile and docker-compose.yml deploy it)",
    )
    parser.add_argument("--database", default="portal_bench", help="name of the bench database")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--notes", type=Path, default=ROOT / "docs" / "benchmarks-notes.md")
    parser.add_argument("--drop", action="store_true", help="drop the bench database and stop")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="measure the pages and print them, without the letters, the assignment or writing docs/ (for perf work)",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.duration <= 0 or args.letters < 1 or args.workers < 1:
        parser.error("--scale and --duration must be positive, --letters and --workers at least 1")
    try:
        args.connection_list = [int(c) for c in args.connections.split(",") if c.strip()]
    except ValueError:
        parser.error("--connections takes numbers separated by commas, e.g. 1,16")
    return args


# -- the database --------------------------------------------------------------------------------------------------


def _urls(database: str) -> tuple[str, str, str]:
    """(admin libpq URL, bench SQLAlchemy URL, bench libpq URL)."""
    from sqlalchemy.engine import make_url

    admin = make_url(os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    bench = admin.set(database=database)
    plain = admin.set(drivername="postgresql")

    def render(url) -> str:
        return url.render_as_string(hide_password=False)

    return render(plain), render(bench), render(plain.set(database=database))


def database_exists(admin_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def create_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_env(database_url: str) -> dict[str, str]:
    """The production-like settings of the served portal, its worker and this process."""
    key_file = WORKDIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
    return {
        "PORTAL_ENV": "production",
        "SECRET_KEY": key_file.read_text().strip(),
        "DATA_ENCRYPTION_KEYS": base64.urlsafe_b64encode(hashlib.sha256(key_file.read_bytes()).digest()).decode(),
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(WORKDIR / "storage"),
        "MAIL_BACKEND": "console",
        "PUBLIC_BASE_URL": BASE_URL,
        "COUNT_QUERIES": "1",
    }


# -- the server ----------------------------------------------------------------------------------------------------


def _port_free() -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, PORT)) != 0


def start_gunicorn(env: dict, workers: int = GUNICORN_WORKERS) -> subprocess.Popen:
    if not _port_free():
        raise RuntimeError(f"{HOST}:{PORT} is already in use: stop what listens there first")
    log_file = open(WORKDIR / "gunicorn.log", "wb")  # noqa: SIM115 - closed when the server stops
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{PORT}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    proc.log_file = log_file
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start-up (see {WORKDIR / 'gunicorn.log'})")
        try:
            with urllib.request.urlopen(f"{BASE_URL}/healthz", timeout=5) as response:  # noqa: S310 - our server
                if response.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("gunicorn did not answer /healthz in 60 s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if getattr(proc, "log_file", None):
        proc.log_file.close()


# -- what is measured ------------------------------------------------------------------------------------------


def api_token(app) -> str:
    """A fresh token for the first manager; the bench's earlier tokens are revoked (there is a cap per person)."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.api.operations import create_token, revoke_token, tokens_of
    from portal.extensions import db

    with app.app_context():
        manager = db.session.scalar(select(User).where(User.role == "manager").order_by(User.id).limit(1))
        for token in tokens_of(manager):
            if token.is_active() and token.name.startswith("Benchmark"):
                revoke_token(token, by=manager)
        _row, secret = create_token(manager, f"Benchmark {int(time.time())}", 30, by=manager)
        db.session.commit()
        return secret


def targets(app, cookies: dict[str, str], secret: str):
    """The pages of issue 9, with the ids of this database."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.calls.models import Call
    from portal.evaluation.models import Assignment
    from portal.extensions import db
    from portal.organisations.models import Membership
    from portal.proposals.models import Proposal
    from scripts.bench.generate import RANKING_CALL
    from scripts.bench.load import Target

    with app.app_context():
        applicant = db.session.scalar(select(User).where(User.email == cookies["applicant_email"]))
        org_ids = select(Membership.organisation_id).where(Membership.user_id == applicant.id)
        proposal_id = db.session.scalar(
            select(Proposal.id).where(Proposal.organisation_id.in_(org_ids)).order_by(Proposal.id).limit(1)
        )
        evaluator = db.session.scalar(select(User).where(User.email == cookies["evaluator_email"]))
        assignment_id = db.session.scalar(
            select(Assignment.id)
            .where(Assignment.evaluator_id == evaluator.id, Assignment.status.in_(("in_progress", "submitted")))
            .order_by(Assignment.status, Assignment.id)
            .limit(1)
        )
        call_id = db.session.scalar(select(Call.id).where(Call.reference == RANKING_CALL))
        db.session.rollback()
    bearer = f"Bearer {secret}"
    return [
        Target("Applicant's dashboard", "/proposals", cookie=cookies["applicant"]),
        Target("Proposal page", f"/proposals/{proposal_id}", cookie=cookies["applicant"]),
        Target("Evaluator's queue", "/evaluation", cookie=cookies["evaluator"]),
        Target("Scoring page", f"/evaluation/assignments/{assignment_id}", cookie=cookies["evaluator"]),
        Target("Call ranking", f"/manage/calls/{call_id}/ranking", cookie=cookies["manager"]),
        Target("Portfolio dashboard", "/portfolio", cookie=cookies["manager"]),
        Target(
            "Portfolio dashboard, filtered",
            "/portfolio?country=SN&status=active&year=2024&year=2025&domain=1",
            cookie=cookies["manager"],
        ),
        Target("Country page (SN)", "/portfolio/countries/SN", cookie=cookies["manager"]),
        Target("Grants API", "/api/v1/grants", authorization=bearer),
        Target("IATI export", "/open-data/iati.xml", export=True),
        Target("360Giving export", "/open-data/360giving.json", export=True),
    ]


def manager_second_factor(app, email: str) -> str:
    """The TOTP secret of the bench's manager, enrolled through the portal's own operations: production requires
    two-factor sign-in of managers, so the bench signs in as a real manager would. The secret is kept in the bench's
    work folder; without it (or without two-factor on) the enrolment is made again."""
    from sqlalchemy import select

    from portal.accounts import two_factor
    from portal.accounts.models import User
    from portal.extensions import db

    secret_file = WORKDIR / "manager_totp_secret"
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        if user.two_factor_enabled and secret_file.exists():
            return secret_file.read_text().strip()
        if user.two_factor_enabled:
            two_factor.reset_two_factor(user, reason="make bench: the stored secret is lost")
        secret = two_factor.start_enrolment(user)
        two_factor.confirm_enrolment(user, pyotp.TOTP(secret).now())
        db.session.commit()
    secret_file.write_text(secret)
    return secret


def sign_in_roles(app) -> dict[str, str]:
    from scripts.bench.generate import BENCH_PASSWORD, DOMAIN
    from scripts.bench.load import sign_in

    people = {
        "applicant": f"bench-applicant-0001@{DOMAIN}",
        "evaluator": f"bench-evaluator-001@{DOMAIN}",
        "manager": f"bench-manager-1@{DOMAIN}",
    }
    secrets_by_role = {"manager": manager_second_factor(app, people["manager"])}
    cookies = {
        role: sign_in(BASE_URL, email, BENCH_PASSWORD, secrets_by_role.get(role)) for role, email in people.items()
    }
    cookies.update({f"{role}_email": email for role, email in people.items()})
    return cookies


def table_sizes(app) -> dict[str, int]:
    from sqlalchemy import text

    from portal.extensions import db

    names = [
        "calls",
        "organisations",
        "users",
        "proposals",
        "proposal_partners",
        "budget_lines",
        "assignments",
        "scores",
        "grants",
        "grant_tranches",
        "grant_reports",
    ]
    with app.app_context():
        sizes = {n: db.session.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}
        db.session.rollback()
    return sizes


def measure_pages(page_targets, args) -> list:
    from scripts.bench.load import check, run_wrk, wait_idle

    results = []
    for target in page_targets:
        if not wait_idle(BASE_URL, args.workers):
            log.warning("the server is still busy after 180 s; measuring %s anyway", target.name)
        log.info("page %s (%s)", target.name, target.path)
        measure = check(BASE_URL, target)
        if not measure.error:
            # Every gunicorn worker compiles the templates and fills its caches on its first requests: not measured.
            run_wrk(BASE_URL, target, max(4, args.workers), WARM_UP_S)
            for connections in args.connection_list:
                wait_idle(BASE_URL, args.workers)
                run = run_wrk(BASE_URL, target, connections, args.duration)
                log.info(
                    "  %s connections: %s req/s, p50 %s ms, p99 %s ms %s",
                    connections,
                    run.requests_per_second and round(run.requests_per_second, 1),
                    run.p50_ms,
                    run.p99_ms,
                    run.error,
                )
                measure.runs.append(run)
        else:
            log.warning("  %s", measure.error)
        results.append(measure)
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    admin_url, database_url, _plain = _urls(args.database)
    if args.drop:
        drop_database(admin_url, args.database)
        log.info("dropped %s", args.database)
        return 0

    env = bench_env(database_url)
    os.environ.update(env)  # before the portal is imported: config.py reads the environment at import
    sys.path.insert(0, str(ROOT))
    full_env = {**os.environ, **env}

    generated_s = None
    if args.reuse and database_exists(admin_url, args.database):
        log.info("reusing the database %s; migrating it to the code's head", args.database)
    else:
        drop_database(admin_url, args.database)
        create_database(admin_url, args.database)
        log.info("created %s; migrating", args.database)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=full_env, check=True
    )
    from portal import create_app
    from scripts.bench import assign, explain, letters, report
    from scripts.bench.generate import ASSIGN_CALL, Sizes, generate

    app = create_app()
    logging.getLogger("portal").setLevel(logging.WARNING)  # not one audit line per letter requested
    with app.app_context():
        from sqlalchemy import text

        from portal.extensions import db

        empty = db.session.execute(text("SELECT count(*) FROM calls")).scalar_one() == 0
        db.session.rollback()
    if empty:
        sizes = Sizes.at(args.scale)
        log.info("generating %s", sizes)
        started = time.perf_counter()
        try:
            generate(app, sizes)
        except BaseException:
            with app.app_context():
                db.engine.dispose()
            drop_database(admin_url, args.database)  # half a facility must not be reused
            raise
        generated_s = time.perf_counter() - started
    secret = api_token(app)
    with app.app_context():  # the open-data files, as the beat keeps them current (portal/opendata/publication.py)
        from portal.opendata.publication import publish

        publish()

    server = None
    try:
        server = start_gunicorn(full_env, args.workers)
        cookies = sign_in_roles(app)
        pages = measure_pages(targets(app, cookies, secret), args)
    finally:
        stop(server)
    if args.pages_only:
        for measure in pages:
            for run in measure.runs:
                log.info(
                    "%-40s %s queries, %2d conn: %s req/s, p50 %s, p95 %s, p99 %s ms",
                    measure.target.name, measure.queries, run.connections, run.requests_per_second,
                    run.p50_ms, run.p95_ms, run.p99_ms,
                )  # fmt: skip
        return 0
    log.info("award letters: %s per side", args.letters)
    letters_result = letters.bench_letters(app, full_env, ROOT, args.letters, WORKDIR)
    log.info("evaluator assignment")
    assign_result = assign.bench_assignment(app, ASSIGN_CALL)
    log.info("EXPLAIN ANALYZE of the dashboard's aggregates")
    explained = explain.explain_dashboard(app)

    met, not_met = report.write_report(
        args.output,
        options=args,
        sizes=table_sizes(app),
        generated_s=generated_s,
        pages=pages,
        letters=letters_result,
        assign=assign_result,
        explained=explained,
        machine_info=report.machine(app, env["REDIS_URL"]),
    )
    report.write_notes(args.notes, explained)
    log.info("%s targets met, %s NOT met: see %s and %s", met, not_met, args.output, args.notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
