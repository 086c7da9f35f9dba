"""Figures shared between requests while the database is unchanged (portal/core/datacache.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.core import datacache
from portal.extensions import db


@pytest.fixture(autouse=True)
def _empty_cache():
    datacache.clear()
    yield
    datacache.clear()


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"computed": self.calls}


def _postgres(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@pytest.mark.committed  # an app of its own on SQLite, so that this runs under CI (PostgreSQL) too
def test_without_postgresql_nothing_is_shared(other_app, tmp_path):
    portal = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    with portal.app_context():
        compute = Counter()
        assert datacache.shared("test.figures", ("en",), compute) == {"computed": 1}
        assert datacache.shared("test.figures", ("en",), compute) == {"computed": 2}
        db.session.remove()
        db.engine.dispose()


def test_shared_while_the_database_is_unchanged(session):
    if not _postgres(session):
        pytest.skip("PostgreSQL's write position (runs under CI)")
    # The position is the server's: the other test processes (pytest-xdist) write to their own databases of the same
    # server and move it too. The promise is about a database that stood still, so look at a moment when it did.
    for _attempt in range(50):
        datacache.clear()
        compute = Counter()
        before = datacache.write_position()
        first = datacache.shared("test.figures", ("en",), compute)
        again = datacache.shared("test.figures", ("en",), compute)
        if datacache.write_position() == before:
            break
    else:
        pytest.fail("the server's write position never stood still for two reads")
    assert again is first
    assert compute.calls == 1
    # Another key (another language, other filters) is computed on its own.
    assert datacache.shared("test.figures", ("fr",), compute) == {"computed": 2}


def test_any_write_to_the_database_ends_the_sharing(session, app):
    if not _postgres(session):
        pytest.skip("PostgreSQL's write position (runs under CI)")
    compute = Counter()
    datacache.shared("test.figures", ("en",), compute)
    # A write by another connection (here a message written to the write-ahead log, touching no table).
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT pg_logical_emit_message(false, 'portal-test', 'a write')"))
        other.commit()
    assert datacache.shared("test.figures", ("en",), compute) == {"computed": 2}


def test_a_request_that_wrote_shares_nothing(session):
    if not _postgres(session):
        pytest.skip("PostgreSQL's write position (runs under CI)")
    session.add(User(email="cache-writer@example.org", full_name="Cache Writer", role="applicant"))
    session.flush()  # this transaction has written: what it computes may include changes nobody else sees yet
    compute = Counter()
    datacache.shared("test.figures", ("en",), compute)
    datacache.shared("test.figures", ("en",), compute)
    assert compute.calls == 2
