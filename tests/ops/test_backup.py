"""Backup and restore round trip: a database with data and a folder of stored files are backed up, restored into a
fresh database and folder, and found identical (row counts of every table, SHA-256 of every file). SQLite always;
PostgreSQL (pg_dump -Fc / pg_restore) when the tests run on it, as under CI."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal.core.audit import record
from portal.extensions import db
from scripts.ops import backup as ops

pytestmark = pytest.mark.committed  # databases of their own, outside the session's test transaction

ROOT = Path(__file__).resolve().parents[2]


def _fill(portal, storage: Path) -> None:
    """Some rows in several tables (users, organisations, audit) and files in nested folders, one binary."""
    from portal.accounts.models import User
    from portal.organisations.models import Organisation

    with portal.app_context():
        upgrade()
        for i in range(3):
            user = User(email=f"person{i}@ngo.example", role="applicant", full_name=f"Person {i}")
            user.set_password("a long enough password")
            db.session.add(user)
            db.session.flush()
            record("user.created", user, actor=user, after={"email": user.email, "name": "Société Générale"})
        db.session.add(
            Organisation(legal_name="Association Jeunesse", type="ngo", country="SN", registration_number="SN-1")
        )
        db.session.commit()
        db.engine.dispose()
    (storage / "ab" / "cd").mkdir(parents=True)
    (storage / "ab" / "cd" / "letter.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (storage / "notes.txt").write_text("Rapport intermédiaire", encoding="utf-8")


def _round_trip(source_url: str, target_url: str, tmp_path: Path, portal) -> None:
    storage = tmp_path / "storage"
    storage.mkdir()
    _fill(portal, storage)
    folder = ops.backup(source_url, storage, tmp_path / "backups")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_counts"]["users"] == 3 and manifest["row_counts"]["audit_entries"] == 3
    assert set(manifest["files"]) == {"ab/cd/letter.pdf", "notes.txt"}

    restored = tmp_path / "restored-storage"
    assert ops.restore(folder, target_url, restored) == []
    assert ops.row_counts(target_url) == ops.row_counts(source_url)
    assert ops.file_hashes(restored) == ops.file_hashes(storage)

    # The restored audit log is still append-only (the triggers came back with the schema).
    engine = sa.create_engine(target_url)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_entries"))
    finally:
        engine.dispose()

    # A difference is reported, never hidden.
    (restored / "notes.txt").write_text("changed", encoding="utf-8")
    (restored / "ab" / "cd" / "letter.pdf").unlink()
    manifest_problems = ops.verify(manifest, target_url, restored)
    assert "file notes.txt: different content" in manifest_problems
    assert "file ab/cd/letter.pdf: missing" in manifest_problems


def test_sqlite_round_trip(other_app, tmp_path):
    source = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    portal = other_app(SQLALCHEMY_DATABASE_URI=source)
    _round_trip(source, f"sqlite:///{tmp_path / 'fresh' / 'restored.sqlite3'}", tmp_path, portal)


@pytest.fixture
def postgres_databases(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (runs under CI)")
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    names = [f"portal_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(database_url)
    yield [url.set(database=name).render_as_string(hide_password=False) for name in names]
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_postgresql_round_trip(other_app, tmp_path, postgres_databases):
    source, target = postgres_databases
    portal = other_app(SQLALCHEMY_DATABASE_URI=source)
    _round_trip(source, target, tmp_path, portal)


def test_the_command_line(tmp_path):
    """`make backup` / `make restore` run this module: a backup folder, then a checked restore, exit code 0."""
    storage = tmp_path / "files"
    storage.mkdir()
    (storage / "one.bin").write_bytes(b"\x00\x01")
    database = tmp_path / "cli.sqlite3"
    with sa.create_engine(f"sqlite:///{database}").begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1), (2)"))
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{database}", "STORAGE_DIR": str(storage)}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "scripts.ops.backup", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )

    made = run("backup", "--to", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    (folder,) = (tmp_path / "backups").iterdir()
    restored = run(
        "restore",
        "--from",
        str(folder),
        "--database-url",
        f"sqlite:///{tmp_path / 'r.sqlite3'}",
        "--storage-dir",
        str(tmp_path / "r-files"),
    )
    assert restored.returncode == 0, restored.stderr
    assert "every row count and file hash matches" in restored.stdout
    assert (tmp_path / "r-files" / "one.bin").read_bytes() == b"\x00\x01"
    incomplete = tmp_path / "backups" / "half"
    incomplete.mkdir()
    refused = run("restore", "--from", str(incomplete))
    assert refused.returncode == 2 and "not a complete backup" in refused.stderr
