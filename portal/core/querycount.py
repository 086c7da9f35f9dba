"""Counting the SQL queries of a request, to catch pages whose number of queries grows with the data (N+1).

- With COUNT_QUERIES=1 in the environment (or the COUNT_QUERIES config key), every response carries an
  `X-SQL-Queries` header: the number of statements the request sent to the database before its response was
  returned. A streamed response (the open-data exports) runs most of its queries while it is being sent, after the
  headers: it gets no header rather than a wrong number. The benchmark (scripts/bench) reads the header.
- `counting()` counts every statement sent by any engine of the process while the block runs (tests, the benchmark's
  EXPLAIN ANALYZE); `recorder.statements` keeps each statement with its parameters.

The listener is attached once to SQLAlchemy's Engine class; outside a request or a `counting()` block it does
nothing but look at two context variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import Flask, Response, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

HEADER = "X-SQL-Queries"
_G_KEY = "_sql_query_count"


@dataclass
class QueryRecorder:
    """The statements seen inside a `counting()` block."""

    keep_statements: bool = False
    count: int = 0
    statements: list[tuple[str, object]] = field(default_factory=list)

    def add(self, statement: str, parameters) -> None:
        self.count += 1
        if self.keep_statements:
            self.statements.append((statement, parameters))


_active: ContextVar[tuple[QueryRecorder, ...]] = ContextVar("querycount_recorders", default=())
_listening = False


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
    for recorder in _active.get():
        recorder.add(statement, parameters)
    if has_request_context() and hasattr(g, _G_KEY):
        setattr(g, _G_KEY, getattr(g, _G_KEY) + 1)


def _listen() -> None:
    global _listening
    if not _listening:
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        _listening = True


@contextmanager
def counting(keep_statements: bool = False) -> Iterator[QueryRecorder]:
    """Count (and optionally keep) the SQL statements sent while the block runs:

    with counting() as queries:
        client.get("/portfolio")
    assert queries.count == 7
    """
    _listen()
    recorder = QueryRecorder(keep_statements=keep_statements)
    token = _active.set((*_active.get(), recorder))
    try:
        yield recorder
    finally:
        _active.reset(token)


def enabled_by_environment() -> bool:
    return os.environ.get("COUNT_QUERIES", "").strip().lower() in {"1", "true", "yes", "on"}


def init_app(app: Flask) -> None:
    """Add the `X-SQL-Queries` header to every response when COUNT_QUERIES is on (checked per request, so a test can
    switch it on for the session-wide app)."""
    app.config.setdefault("COUNT_QUERIES", enabled_by_environment())
    _listen()

    @app.before_request
    def _start_counting() -> None:
        if app.config.get("COUNT_QUERIES"):
            setattr(g, _G_KEY, 0)

    @app.after_request
    def _report_count(response: Response) -> Response:
        if hasattr(g, _G_KEY) and not response.is_streamed:
            response.headers[HEADER] = str(getattr(g, _G_KEY))
        return response
