"""For test clean-up only: lift the database's append-only rule on audit_entries for the statements of a block.

Tests marked `committed` get no rollback and delete the rows they made, audit entries included. On PostgreSQL the
table's owner (the role that ran the migrations, as in tests) may disable its own triggers inside the transaction;
the portal's production role is not the owner and cannot (docs/reliability.md). On SQLite the triggers are dropped
and created again."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

SQLITE_TRIGGERS = {
    "audit_entries_no_update": "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END",
    "audit_entries_no_delete": "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END",
}


@contextmanager
def audit_rule_lifted(session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        yield
        session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
    else:
        for name in SQLITE_TRIGGERS:
            session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        yield
        for statement in SQLITE_TRIGGERS.values():
            session.execute(text(statement))
