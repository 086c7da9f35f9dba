"""The Alembic migrations build the schema from empty, and agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal.extensions import db


def _differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    # SQLite reports no difference for types it cannot tell apart; anything listed is a real disagreement.
    return diff


def test_session_database_matches_models(app):
    """The test database (PostgreSQL under CI) was built by `flask db upgrade`; the models must agree with it."""
    with app.app_context():
        assert _differences(db.engine) == []


@pytest.mark.committed  # a separate database, outside the test transaction
def test_upgrade_builds_sqlite_schema_from_empty(other_app, tmp_path):
    fresh = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with fresh.app_context():
        upgrade()
        assert _differences(db.engine) == []
        from portal.calls.models import Dialogue, JvapDomain

        assert db.session.query(Dialogue).count() == 4
        assert db.session.query(JvapDomain).count() == 5


def test_production_refuses_the_default_secret(monkeypatch):
    from config import ProductionConfig

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()


@pytest.mark.committed  # a separate database, outside the test transaction
def test_upgrading_a_sqlite_database_that_holds_data(other_app, tmp_path):
    """A `make run` database from an earlier release: its users are referred to by other rows, and a migration that
    rebuilds the users table (SQLite's batch mode) must not fail on foreign keys nor lose those rows."""
    import sqlalchemy as sa

    older = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'older.sqlite3'}")
    with older.app_context():
        upgrade(revision="0016_document_templates")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, full_name, role, active, locale, timezone, created_at) "
                    "VALUES (1, 'awa@ngo.example', 'Awa', 'applicant', true, 'fr', 'UTC', '2026-01-02 03:04:05')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO organisations (id, legal_name, acronym, type, country, registration_number, "
                    "created_at) VALUES (1, 'Association Awa', 'AA', 'ngo', 'SN', 'SN-1', '2026-01-02 03:04:05')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO memberships (user_id, organisation_id, is_contact, created_at) "
                    "VALUES (1, 1, true, '2026-01-02 03:04:05')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM memberships WHERE user_id = 1")).scalar_one() == 1
            assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        assert _differences(db.engine) == []
        db.engine.dispose()
