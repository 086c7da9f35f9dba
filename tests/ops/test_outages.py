"""The database going away and coming back: a request meanwhile gets a 503 page saying so, with Retry-After, never a
stack trace; once the database is back, the portal works again without a restart."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal.extensions import db
from tests.accounts.helpers import text_of

pytestmark = pytest.mark.committed  # apps of their own, outside the session's test transaction

SIGN_IN = {"email": "nobody@ngo.example", "password": "not the password"}


def _assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = text_of(response)
    assert "The portal is briefly unavailable" in page
    assert "cannot reach its database" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_database_unreachable_then_back(other_app, tmp_path):
    """SQLite in a folder that does not exist yet: unreachable; the folder and the schema appear: reachable."""
    folder = tmp_path / "not-mounted-yet"
    portal = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'portal.sqlite3'}")
    client = portal.test_client()

    _assert_unavailable(client.post("/login", data=SIGN_IN))
    _assert_unavailable(client.post("/login", data=SIGN_IN))  # and again: no state left broken by the first
    signed_in = portal.test_client()  # someone signed in: loading their account is what fails
    with signed_in.session_transaction() as session:
        session["_user_id"] = "1:any"
    _assert_unavailable(signed_in.get("/proposals"))

    folder.mkdir()  # the database comes back
    with portal.app_context():
        upgrade()
    back = client.post("/login", data=SIGN_IN)
    assert back.status_code == 200
    assert "briefly unavailable" not in text_of(back)
    with portal.app_context():
        db.engine.dispose()


def test_postgresql_refusing_connections_gives_503(other_app):
    portal = other_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://portal@127.0.0.1:9/portal?connect_timeout=2")
    client = portal.test_client()
    _assert_unavailable(client.post("/login", data=SIGN_IN))


def test_the_api_answers_503_in_json(other_app, tmp_path):
    portal = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'portal.sqlite3'}")
    response = portal.test_client().get("/api/v1/grants", headers={"Authorization": "Bearer some-token"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"] == "service_unavailable"


def test_other_database_errors_are_not_called_an_outage(app):
    from portal.core.outages import _disconnected

    assert _disconnected(sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert not _disconnected(sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key")))


def test_postgresql_connections_killed_then_the_portal_goes_on(other_app, database_url):
    """PostgreSQL restarted under the portal (every connection terminated): the next requests work, on fresh
    connections, with no restart of the portal."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (runs under CI)")
    portal = other_app(SQLALCHEMY_DATABASE_URI=database_url)
    client = portal.test_client()
    assert client.post("/login", data=SIGN_IN).status_code == 200
    name = sa.engine.make_url(database_url).database
    killer = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar()
    killer.dispose()
    assert killed >= 1
    for _ in range(3):
        response = client.post("/login", data=SIGN_IN)
        assert response.status_code == 200, text_of(response)
    with portal.app_context():
        db.engine.dispose()
