"""Figures shared between the requests of one process while the database has not changed at all.

`shared(name, key, compute)` returns `compute()`, kept per process under (name, key, the database's write position).
On PostgreSQL the write position is `pg_current_wal_insert_lsn()`, read in one small query: every change to the
database, committed or not (and every roll-back of a change), is written to the write-ahead log first and moves that
position forward, so a value computed at position P is still the database's answer for as long as the position is P.
Any write anywhere in the PostgreSQL cluster ends the sharing (an audit entry, a sign-in, a checkpoint, another
database of the same server), which is coarse but never wrong. Nothing is shared by a request whose own transaction
has written (`pg_current_xact_id_if_assigned()`): what it computes may include changes nobody else sees yet. Pages
read far more often than anything is written (the portfolio dashboard) are then served from memory between writes.
Elsewhere (SQLite in development and tests, or a standby server) nothing is shared: `compute()` runs every time.

What is kept must not depend on who asks (only on `key`, which names the language and the arguments), and must not be
changed by the page that uses it. The values are plain data, or ORM objects whose columns were loaded when they were
computed (they are used detached: no lazy loading from them)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import text

from portal.extensions import db

T = TypeVar("T")

MAX_ENTRIES = 64
_entries: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()
_POSITION = text(
    "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn() END, "
    "pg_current_xact_id_if_assigned()"
)


def write_position() -> str | None:
    """The database's write position now, or None when nothing may be shared: not PostgreSQL, a standby, or this
    request's transaction has written (its changes are not yet everyone's)."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return None
    position, own_writes = db.session.execute(_POSITION).one()
    return None if position is None or own_writes is not None else str(position)


def shared(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, shared between the requests of this process while the database's write position is unchanged."""
    position = write_position()
    if position is None:
        return compute()
    # The write position is the server's: the database's address keeps two databases of one server apart (tests).
    entry_key = (name, key, db.session.get_bind().engine.url, position)
    with _lock:
        if entry_key in _entries:
            _entries.move_to_end(entry_key)
            return _entries[entry_key]  # type: ignore[return-value]
    value = compute()
    if write_position() != position:  # something was written meanwhile: the value may mix two states
        return value
    with _lock:
        _entries[entry_key] = value
        _entries.move_to_end(entry_key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
