"""Shared helpers of the calls tests."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from portal.calls.models import Call
from portal.core.audit import AuditEntry
from portal.extensions import db


def call_by_reference(session, reference="CFP-2030-01") -> Call | None:
    session.expire_all()
    return session.scalar(select(Call).where(Call.reference == reference))


def audit_entries(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


@contextmanager
def count_statements():
    """The SQL statements run inside the block (savepoint bookkeeping left out)."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
