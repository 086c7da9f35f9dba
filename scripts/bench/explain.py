"""EXPLAIN ANALYZE of the portfolio dashboard's aggregate queries (portal/portfolio/queries.py, through
portal/portfolio/views.py): the statements the dashboard really sends are recorded (portal.core.querycount) while its
functions run, with and without filters, then each is explained with its own parameters."""

from __future__ import annotations

import json
import logging
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("bench.explain")
FILTERS = {"country": ["SN"], "status": ["active"], "year": ["2024", "2025"]}


@dataclass
class Explained:
    label: str
    statement: str
    execution_ms: float | None
    planning_ms: float | None
    plan: str


@dataclass
class ExplainResult:
    items: list[Explained] = field(default_factory=list)
    error: str = ""

    @property
    def slowest_ms(self) -> float | None:
        times = [i.execution_ms for i in self.items if i.execution_ms is not None]
        return max(times) if times else None


def _dashboard_statements(app, args: dict) -> list[tuple[str, object]]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from werkzeug.datastructures import MultiDict

    from portal.core import querycount
    from portal.portfolio import queries, views
    from portal.portfolio.filters import parse_filters

    callers: list[str] = []

    def caller(*_args) -> None:
        """The function of portal/portfolio that sent the statement (the innermost one)."""
        for frame in reversed(traceback.extract_stack(limit=60)):
            if "portal/portfolio/" in frame.filename.replace("\\", "/"):
                callers.append(f"{Path(frame.filename).stem}.{frame.name}")
                return
        callers.append("?")

    with app.test_request_context("/portfolio"):
        filters, _errors = parse_filters(MultiDict([(k, v) for k, vs in args.items() for v in vs]))
        event.listen(Engine, "before_cursor_execute", caller)
        try:
            with querycount.counting(keep_statements=True) as recorded:
                queries.summary(filters)
                views.dashboard(filters, "quarter")
                views.filter_options(queries.filter_choices())
        finally:
            event.remove(Engine, "before_cursor_execute", caller)
    return [
        (who, s, p)
        for who, (s, p) in zip(callers, recorded.statements, strict=True)
        if s.lstrip().upper().startswith(("SELECT", "WITH"))
    ]


def explain_dashboard(app) -> ExplainResult:
    from portal.extensions import db

    result = ExplainResult()
    try:
        for label, args in (("no filters", {}), ("filters " + _describe(FILTERS), FILTERS)):
            statements = _dashboard_statements(app, args)
            with app.app_context():
                raw = db.session.connection().connection.driver_connection
                for n, (caller, statement, parameters) in enumerate(statements, start=1):
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters or None)
                        plan = cursor.fetchone()[0]
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters or None)
                        text = "\n".join(row[0] for row in cursor.fetchall())
                    if isinstance(plan, str):
                        plan = json.loads(plan)
                    top = plan[0]
                    result.items.append(
                        Explained(
                            label=f"{caller} ({label}, query {n})",
                            statement=_shorter(statement),
                            execution_ms=top.get("Execution Time"),
                            planning_ms=top.get("Planning Time"),
                            plan=text,
                        )
                    )
                db.session.rollback()
    except Exception as exc:
        log.exception("EXPLAIN ANALYZE failed")
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def _describe(args: dict) -> str:
    return "&".join(f"{k}={v}" for k, vs in args.items() for v in vs)


def _shorter(statement: str) -> str:
    """The statement as the notes show it: long lists of bound values (country codes) cut to their first two."""
    return re.sub(r"((?:%\((\w+?)_\d+\)s(?:::\w+)?, ){2})(?:%\(\2_\d+\)s(?:::\w+)?, )+", r"\1… ", statement)
