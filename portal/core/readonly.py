"""A request that only read ends its transaction with COMMIT instead of ROLLBACK, on PostgreSQL.

Why: psycopg prepares a statement on the server once a connection has run it five times (`prepare_threshold`), and
PostgreSQL then plans it once instead of at every execution. But psycopg forgets every prepared statement at each
ROLLBACK (a rolled-back transaction may have changed the schema), and Flask-SQLAlchemy ends every request with one
when it closes the session. So no statement was ever prepared: PostgreSQL planned every query of every page again,
half of the database time of a page (the proposal page's main query, seven joined relations, took 3.5 ms, 3 of them
planning). For a transaction that wrote nothing, COMMIT and ROLLBACK are the same thing to the data; only the
statement cache differs.

"Wrote nothing" is decided conservatively, per transaction, on the connection: any statement that does not start
with SELECT (an INSERT, an UPDATE, a SAVEPOINT, a SET, a WITH that might write) marks it as having written. The
request then ends as before, with ROLLBACK of whatever it left uncommitted. So do a request that raised, a session
holding unflushed changes (an object changed only for display is never saved), and one with work waiting for a
commit (portal.core.jobs). Celery tasks and commands get the same rule when their app context ends.

Deploying: prepared statements live in each server connection. A migration that changes the type of a column that a
running worker's statements read makes those statements fail until the worker restarts (deploys restart them); a
pooler in front of PostgreSQL must support prepared statements (PgBouncer 1.21 and later, in transaction mode)."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_WROTE = "portal_wrote"
_CONNECTION = "portal_connection"


@event.listens_for(Engine, "begin")
def _new_transaction(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn: Connection, cursor, statement: str, parameters, context, executemany) -> None:
    if statement[:64].lstrip()[:6].upper() != "SELECT":  # the head only: statements run to kilobytes
        conn.info[_WROTE] = True


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, transaction, connection: Connection) -> None:
    session.info[_CONNECTION] = connection


def wrote(connection: Connection) -> bool:
    """Whether the connection's current transaction ran anything but SELECT."""
    return bool(connection.info.get(_WROTE))


def commit_if_read_only(session: Session) -> bool:
    """COMMIT the session's transaction when it is certain that it wrote nothing (see the module's text); True if
    it did. Otherwise nothing is done, and closing the session rolls back as always."""
    from portal.core import jobs

    connection = session.info.get(_CONNECTION)
    if connection is None or connection.closed or connection.dialect.name != "postgresql":
        return False
    if not session.in_transaction() or session.in_nested_transaction() or not connection.in_transaction():
        return False
    if wrote(connection) or session.new or session.dirty or session.deleted or session.info.get(jobs.QUEUE_KEY):
        return False
    expire = session.expire_on_commit
    session.expire_on_commit = False  # the session is closed next: expiring every object it holds is wasted
    try:
        session.commit()
    except Exception:  # the connection was lost meanwhile: nothing was written, so nothing is lost either
        log.warning("could not end a read-only transaction with COMMIT", exc_info=True)
        session.rollback()
        return False
    finally:
        session.expire_on_commit = expire  # a session used again afterwards (a command, a test) behaves as before
    return True


def init_app(app: Flask) -> None:
    from portal.extensions import db

    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (Flask runs them in reverse order).
    @app.teardown_appcontext
    def _end_read_only_transaction(exc: BaseException | None) -> None:
        session = db.session()
        try:
            if exc is None:
                commit_if_read_only(session)
        finally:
            session.info.pop(_CONNECTION, None)
