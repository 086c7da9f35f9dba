"""The machine, the targets, and the two Markdown files: docs/benchmarks.md (the results, each number next to its
target, met / NOT met) and docs/benchmarks-notes.md (EXPLAIN ANALYZE of the dashboard's aggregates, below the
notes written by hand, which are kept)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

NOTES_MARKER = "<!-- bench:explain (everything below is rewritten by `make bench`) -->"

# The targets of issue 9.
P50_1_MS = 15.0
P95_16_MS = 100.0
P99_16_MS = 200.0
TTFB_MS = 200.0
LETTERS_RATIO = 1.10
ASSIGN_S = 5.0
AGGREGATE_MS = 20.0


@dataclass
class Verdict:
    met: bool | None  # None: not measured

    def __str__(self) -> str:
        return {True: "met", False: "**NOT met**", None: "not measured"}[self.met]


def at_most(value: float | None, limit: float) -> Verdict:
    return Verdict(None if value is None else value <= limit)


def below(value: float | None, limit: float) -> Verdict:
    return Verdict(None if value is None else value < limit)


# -- the machine ---------------------------------------------------------------------------------------------------


def machine(app, redis_url: str) -> dict[str, str]:
    from redis import Redis
    from sqlalchemy import text

    from portal.extensions import db

    info = {
        "CPU": _cpu_model(),
        "Cores (logical)": str(os.cpu_count()),
        "RAM": _ram(),
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }
    try:
        with app.app_context():
            info["PostgreSQL"] = db.session.execute(text("SHOW server_version")).scalar_one()
            db.session.rollback()
    except Exception as exc:
        info["PostgreSQL"] = f"unknown ({exc})"
    try:
        info["Redis"] = Redis.from_url(redis_url, socket_connect_timeout=3).info("server")["redis_version"]
    except Exception as exc:
        info["Redis"] = f"unknown ({exc})"
    info["wrk"] = _first_line(["wrk", "-v"]).split(" Copyright")[0]
    info["gunicorn"] = _version("gunicorn")
    info["WeasyPrint"] = _version("weasyprint")
    info["Celery"] = _version("celery")
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if match:
            return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    except OSError:
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


# -- formatting ----------------------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_report(path: Path, *, options, sizes: dict, generated_s, pages, letters, assign, explained, machine_info):
    verdicts: list[Verdict] = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {now} (`scripts/bench`; options: scale {options.scale}, "
        f"{options.duration:g} s per wrk run, {options.letters} letters"
        f"{', bench database reused' if options.reuse and generated_s is None else ''}).",
        "",
    ]
    if options.scale != 1:
        out += [
            f"> **Scale {options.scale}**: a smaller facility than the one the targets are set for; these numbers "
            "check that the benchmark works, they are not the facility's results.",
            "",
        ]
    out += ["## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_cell(v)} |" for k, v in machine_info.items()]
    out += [
        "",
        f"The portal is served by gunicorn ({options.workers} sync workers, as the Dockerfile deploys it; "
        "127.0.0.1:5108, `PORTAL_ENV=production`) against "
        "PostgreSQL and Redis on 127.0.0.1; wrk runs on the same machine (it takes CPU from the server: the numbers "
        "are a floor).",
        "",
        "## Data",
        "",
    ]
    if generated_s is not None:
        out.append(f"Generated with COPY in {generated_s:.1f} s.")
        out.append("")
    out += ["| Table | Rows |", "|---|---:|"]
    out += [f"| {name} | {count:,} |" for name, count in sizes.items()]

    out += [
        "",
        "## Pages",
        "",
        "Each page is fetched eight times first: it must answer 200 (a redirect to the login page would look fast), "
        "and its `X-SQL-Queries` header (COUNT_QUERIES=1, portal/core/querycount.py) gives the SQL queries per "
        "request: the fewest of the eight, a warm worker's (a worker's first request also reads what the process "
        "keeps). "
        "Streamed exports send their headers before their queries: tests/main/test_query_counts.py counts them. "
        f"Targets: p50 ≤ {P50_1_MS:g} ms at 1 connection; p95 ≤ {P95_16_MS:g} ms and p99 ≤ {P99_16_MS:g} ms at 16.",
        "",
        "| Page | URL | Queries | Connections | Requests/s | p50 | p95 | p99 | Target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    exports = []
    for measure in pages:
        t = measure.target
        if measure.error:
            out.append(f"| {t.name} | `{t.path}` | – | – | – | – | – | – | **NOT measured**: {_cell(measure.error)} |")
            verdicts.append(Verdict(False))
            continue
        for run in measure.runs:
            if run.error and run.p50_ms is None:
                target = f"**NOT measured**: {_cell(run.error)}"
                verdicts.append(Verdict(False))
            elif run.connections == 1:
                v = at_most(run.p50_ms, P50_1_MS)
                verdicts.append(v)
                target = f"p50 ≤ {P50_1_MS:g} ms: {v}"
            else:
                v95, v99 = at_most(run.p95_ms, P95_16_MS), at_most(run.p99_ms, P99_16_MS)
                verdicts += [v95, v99]
                target = f"p95 ≤ {P95_16_MS:g} ms: {v95}; p99 ≤ {P99_16_MS:g} ms: {v99}"
            if run.error and run.p50_ms is not None:
                target += f" ({_cell(run.error)})"
                verdicts.append(Verdict(False))
            out.append(
                f"| {t.name} | `{t.path}` | {measure.queries} | {run.connections} | {_num(run.requests_per_second)} | "
                f"{_ms(run.p50_ms)} | {_ms(run.p95_ms)} | {_ms(run.p99_ms)} | {target} |"
            )
        if t.export:
            exports.append(measure)

    out += [
        "",
        "### Open-data exports: time to first byte",
        "",
        "From sending the request to receiving the status line and headers, median of five, one at a time.",
        "",
        "| Export | URL | First byte | Target |",
        "|---|---|---:|---|",
    ]
    for measure in exports:
        v = at_most(measure.ttfb_ms, TTFB_MS)
        verdicts.append(v)
        t = measure.target
        out.append(f"| {t.name} | `{t.path}` | {_ms(measure.ttfb_ms)} | ≤ {TTFB_MS:g} ms: {v} |")

    out += ["", "## Award letters", ""]
    if letters is None:
        out.append("Not run.")
    elif letters.error:
        verdicts.append(Verdict(False))
        out.append(f"**NOT measured**: {_cell(letters.error)}")
    else:
        v = at_most(letters.ratio, LETTERS_RATIO)
        verdicts.append(v)
        out += [
            f"{letters.letters} letters, after a warm-up of two. Direct: WeasyPrint in one process, one after the "
            "other (`render_award_letter_pdf`). Celery: requested and committed as the portal does, sent through "
            "Redis, rendered and stored by a worker with concurrency 2; timed from the commit to the last letter's "
            "`rendered_at`.",
            "",
            "| | Time per letter | Target |",
            "|---|---:|---|",
            f"| Direct | {_num(letters.direct_per_letter_s, 3)} s | |",
            f"| Celery (concurrency 2) | {_num(letters.celery_per_letter_s, 3)} s | |",
            f"| Ratio Celery / direct | {_num(letters.ratio, 2)} | ≤ {LETTERS_RATIO:.2f}: {v} |",
        ]
        if letters.failed:
            verdicts.append(Verdict(False))
            out += ["", f"**{letters.failed} letters failed** (see the worker's log)."]

    out += ["", "## Evaluator assignment", ""]
    if assign is None:
        out.append("Not run.")
    elif assign.error:
        verdicts.append(Verdict(None))
        out.append(f"{_cell(assign.error)}: not measured.")
    else:
        v = below(assign.seconds, ASSIGN_S)
        verdicts.append(v)
        out += [
            f"`plan_stage` (what the manager's automatic-assignment page runs: loading the proposals, their "
            f"consortia and the evaluators' profiles, finding conflicts of interest, solving) for the "
            f"{assign.proposals:,} eligible proposals of BENCH-ASSIGN × 3 evaluators, among {assign.evaluators:,} "
            f"evaluators: {_num(assign.seconds, 2)} s (target < {ASSIGN_S:g} s: {v}); {assign.pairs:,} pairs proposed, "
            f"{assign.unassignable:,} evaluators missing, loads differing by at most {assign.spread}.",
        ]

    out += ["", "## Portfolio dashboard aggregates", ""]
    if explained is None:
        out.append("Not run.")
    elif explained.error:
        verdicts.append(Verdict(False))
        out.append(f"**NOT measured**: {_cell(explained.error)}")
    else:
        out += [
            f"EXPLAIN ANALYZE of each query the dashboard sends (plans in docs/benchmarks-notes.md). "
            f"Target: each ≤ {AGGREGATE_MS:g} ms of execution.",
            "",
            "| Query | Execution | Target |",
            "|---|---:|---|",
        ]
        for item in explained.items:
            v = at_most(item.execution_ms, AGGREGATE_MS)
            verdicts.append(v)
            out.append(f"| {item.label} | {_ms(item.execution_ms)} | ≤ {AGGREGATE_MS:g} ms: {v} |")

    met = sum(1 for v in verdicts if v.met is True)
    not_met = sum(1 for v in verdicts if v.met is False)
    out[4:4] = [f"**{met} targets met, {not_met} NOT met**, {len(verdicts) - met - not_met} not measured.", ""]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return met, not_met


def write_notes(path: Path, explained) -> None:
    """Keep what is above the marker (written by hand), rewrite the plans below it."""
    head = path.read_text(encoding="utf-8").split(NOTES_MARKER)[0].rstrip() if path.exists() else "# Benchmark notes"
    out = [head, "", NOTES_MARKER, "", "## EXPLAIN ANALYZE of the portfolio dashboard's aggregates", ""]
    if explained is None or explained.error:
        out.append(f"Not measured: {explained.error if explained else 'not run'}.")
    else:
        out.append(f"Written {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}.")
        for item in explained.items:
            out += [
                "",
                f"### {item.label}: {_ms(item.execution_ms)} (planning {_ms(item.planning_ms)})",
                "",
                "```sql",
                item.statement.strip(),
                "```",
                "",
                "```",
                item.plan,
                "```",
            ]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
