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
