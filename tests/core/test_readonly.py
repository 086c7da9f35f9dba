"""A request that only read ends with COMMIT on PostgreSQL, so psycopg keeps its prepared statements
(portal/core/readonly.py); anything that wrote, or might write, still ends with ROLLBACK.

These need real transactions on PostgreSQL (an app of their own on the test database, outside the test
transaction): they run under CI, and are skipped on SQLite, where the rule does not apply."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from portal.calls.models import Dialogue
from portal.core import jobs, readonly
from portal.extensions import db


@pytest.fixture
def pg_portal(other_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's transactions and prepared statements (runs under CI)")
    portal = other_app(SQLALCHEMY_DATABASE_URI=database_url)
    yield portal
    with portal.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.committed
def test_a_page_that_only_reads_ends_with_commit_and_its_statements_stay_prepared(pg_portal):
    with pg_portal.app_context():
        engine = db.engine
    ends: list[str] = []
    event.listen(engine, "commit", lambda conn: ends.append("commit"))
    event.listen(engine, "rollback", lambda conn: ends.append("rollback"))
    client = pg_portal.test_client()
    for _ in range(8):  # psycopg prepares a statement at its fifth execution on a connection
        assert client.get("/calls").status_code == 200
    assert ends and set(ends) == {"commit"}
    with pg_portal.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM calls" in statement for statement in prepared), prepared


@pytest.mark.committed
def test_anything_that_wrote_or_might_write_is_rolled_back(pg_portal):
    with pg_portal.app_context():
        dialogue_id, name = db.session.execute(select(Dialogue.id, Dialogue.name_en).limit(1)).one()

        # Only reads: committed (and the session, if used again, still expires its objects at a commit).
        db.session.scalars(select(Dialogue)).all()
        assert readonly.commit_if_read_only(db.session()) is True
        assert db.session().expire_on_commit is True

        # An object changed but not flushed (changed for display, say): never saved.
        db.session.get(Dialogue, dialogue_id).name_en = "Changed for display only"
        assert readonly.commit_if_read_only(db.session()) is False
        db.session.rollback()

        # A statement that writes, flushed or raw: rolled back.
        db.session.execute(text("UPDATE dialogues SET name_en = 'Written' WHERE id = :id"), {"id": dialogue_id})
        assert readonly.commit_if_read_only(db.session()) is False
        db.session.rollback()

        # Work waiting for a commit (a task to queue, an e-mail): it must not be sent by a read.
        db.session.scalars(select(Dialogue)).all()
        sent = []
        jobs.after_commit(db.session(), lambda: sent.append(True))
        assert readonly.commit_if_read_only(db.session()) is False
        db.session.rollback()
        assert sent == []

        db.session.remove()
        assert db.session.scalar(select(Dialogue.name_en).where(Dialogue.id == dialogue_id)) == name


@pytest.mark.committed
def test_a_request_that_failed_is_rolled_back(pg_portal):
    ends: list[str] = []
    with pg_portal.app_context():
        event.listen(db.engine, "commit", lambda conn: ends.append("commit"))
        with pytest.raises(RuntimeError), pg_portal.app_context():
            db.session.scalars(select(Dialogue)).all()
            raise RuntimeError("the request failed")
    assert ends == []
