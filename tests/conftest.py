"""Test session set-up.

- One app for the whole session, one database per test run (a fresh PostgreSQL database under CI, a SQLite file
  otherwise), built by the real Alembic migrations.
- Each test runs inside a transaction that is rolled back; the app's own commits become savepoints.
- Tests marked `services` need PostgreSQL, Redis and a real Celery worker; they run under CI (where a missing
  service fails the run) or when TEST_REDIS_URL is set, and are skipped otherwise.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy import orm

from config import TestingConfig
from portal import create_app
from portal.accounts import models as account_models
from portal.core import mail
from portal.extensions import db

TestingConfig.__test__ = False  # not a test class, despite its name

pytest_plugins = ["tests.factories", "tests.services"]

CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def _create_postgres_database(admin_url: str) -> tuple[str, callable]:
    """Create `portal_test_<random>` on the server of `admin_url`; return its URL and a function that drops it."""
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        pytest.exit(f"PostgreSQL is required at {admin_url} but is not reachable: {exc}", returncode=3)
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if CI and not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.exit("CI=true needs TEST_DATABASE_URL pointing at PostgreSQL", returncode=3)
    if TEST_DATABASE_URL.startswith("postgresql"):
        url, drop = _create_postgres_database(TEST_DATABASE_URL)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"


@pytest.fixture(scope="session")
def storage_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("storage")


@pytest.fixture(scope="session")
def app(database_url, storage_dir):
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.STORAGE_DIR = str(storage_dir)
    # Tasks run eagerly in-process unless a test asks for the real worker (tests/services.py).
    config.CELERY["broker_url"] = TEST_REDIS_URL or "memory://"
    config.CELERY["task_always_eager"] = True
    # A queue of this run's own: another run sharing the Redis never takes (or purges) its jobs (tests/services.py).
    config.CELERY["task_default_queue"] = f"portal-test-{uuid.uuid4().hex[:10]}"
    application = create_app(config)
    # A test keeps an app context pushed, and Flask reuses it for the test client's requests; give every request
    # a fresh `g` (signed-in user, locale, CSRF token) as it would have in production.
    request_started.connect(_fresh_globals, application)
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _fresh_globals(sender, **extra) -> None:
    g.__dict__.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    """Argon2 with its cheapest parameters: still real hashing and verification, a hundred times faster."""
    monkeypatch.setattr(account_models, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def _db_transaction(request, app):
    """Every test inside one outer transaction, rolled back at the end. Tests marked `committed` opt out
    (they need other processes to see their data) and clean up after themselves."""
    if request.node.get_closest_marker("committed"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy Session bound to the test connection; Flask-SQLAlchemy's own Session would pick the
        # engine and escape the transaction. Commits inside the app become SAVEPOINT releases.
        db.session = orm.scoped_session(
            orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=original.registry.scopefunc,
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _empty_outbox(app):
    with app.app_context():
        mail.outbox().clear()
    yield


@pytest.fixture
def outbox(app):
    with app.app_context():
        return mail.outbox()


@pytest.fixture
def other_app(app, tmp_path):
    """A second app for a test that needs other settings (mark the test `committed`: it must not run inside the
    session app's test transaction). The session app's Celery is made current again afterwards."""

    def make(**settings):
        config = TestingConfig()
        config.STORAGE_DIR = str(tmp_path / "storage")
        for key, value in settings.items():
            setattr(config, key, value)
        return create_app(config)

    yield make
    # Creating a Celery app makes it the thread's current one: give that back to the session app's.
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """The database session, inside an app context, for arranging and checking data."""
    with app.app_context():
        yield db.session
