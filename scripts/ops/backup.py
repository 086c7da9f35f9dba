"""Backup and restore of the portal: the database and the stored files, in one folder per backup.

    python -m scripts.ops.backup backup  [--to backups/]            -> backups/portal-YYYYmmddTHHMMSSZ/
    python -m scripts.ops.backup restore --from backups/portal-...  [--database-url URL] [--storage-dir DIR]

A backup folder holds
- database.dump (PostgreSQL: `pg_dump -Fc`) or database.sqlite3 (SQLite: the sqlite3 online backup API, consistent
  while the portal runs),
- storage.tar.gz, the stored files directory (STORAGE_DIR; the `s3` backend is backed up by the bucket's own
  versioning and replication instead, see docs/reliability.md),
- manifest.json: the row count of every table and the SHA-256 of every stored file at the time of the backup.

`restore` loads the database into DATABASE_URL (or --database-url), which should be a new, empty database (PostgreSQL:
`createdb` first; `pg_restore --clean --if-exists` also replaces an existing schema), unpacks the files into STORAGE_DIR
(or --storage-dir), then checks row counts and file hashes against the manifest and exits non-zero on any difference.
Settings come from the environment, as for the portal itself (.env is read)."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import sqlalchemy as sa

MANIFEST = "manifest.json"
STORAGE_ARCHIVE = "storage.tar.gz"


class BackupError(Exception):
    pass


# -- the database ------------------------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for pg_dump/pg_restore (without the SQLAlchemy driver), the password in the
    environment rather than on the command line."""
    parsed = sa.engine.make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def dump_database(url: str, folder: Path) -> Path:
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "postgresql":
        target = folder / "database.dump"
        uri, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", uri], env)
        return target
    if backend == "sqlite":
        target = folder / "database.sqlite3"
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target
    raise BackupError(f"No backup method for the {backend} database.")


def restore_database(url: str, folder: Path) -> None:
    backend = sa.engine.make_url(url).get_backend_name()
    if backend == "postgresql":
        dump = folder / "database.dump"
        uri, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "-d",
                uri,
                str(dump),
            ],
            env,
        )
    elif backend == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / "database.sqlite3")
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        raise BackupError(f"No restore method for the {backend} database.")


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(sa.inspect(conn).get_table_names())
            return {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one() for t in tables}
    finally:
        engine.dispose()


# -- the stored files ----------------------------------------------------------------------------------------------


def file_hashes(storage_dir: Path) -> dict[str, str]:
    hashes = {}
    if storage_dir.is_dir():
        for path in sorted(p for p in storage_dir.rglob("*") if p.is_file()):
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1024 * 1024), b""):
                    digest.update(chunk)
            hashes[path.relative_to(storage_dir).as_posix()] = digest.hexdigest()
    return hashes


def archive_files(storage_dir: Path, folder: Path) -> Path:
    target = folder / STORAGE_ARCHIVE
    with tarfile.open(target, "w:gz") as tar:
        if storage_dir.is_dir():
            for path in sorted(storage_dir.rglob("*")):
                tar.add(path, arcname=path.relative_to(storage_dir).as_posix(), recursive=False)
    return target


def unpack_files(folder: Path, storage_dir: Path) -> None:
    storage_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / STORAGE_ARCHIVE, "r:gz") as tar:
        tar.extractall(storage_dir, filter="data")  # no absolute paths, no "..", no device files


# -- the two commands ----------------------------------------------------------------------------------------------


def backup(database_url: str, storage_dir: Path, to: Path, now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now(dt.UTC)
    folder = to / f"portal-{now.strftime('%Y%m%dT%H%M%SZ')}"
    folder.mkdir(parents=True, exist_ok=False)
    try:
        # Counted before the dump: on a live portal the dump may hold a few more rows, never fewer.
        manifest = {
            "created_at": now.isoformat(),
            "backend": sa.engine.make_url(database_url).get_backend_name(),
            "row_counts": row_counts(database_url),
            "files": file_hashes(storage_dir),
        }
        dump_database(database_url, folder)
        archive_files(storage_dir, folder)
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)  # never leave a half backup that looks complete
        raise
    return folder


def verify(manifest: dict, database_url: str, storage_dir: Path) -> list[str]:
    """Differences between the manifest and what is restored (empty: the restore is complete)."""
    problems = []
    counts = row_counts(database_url)
    for table, expected in manifest["row_counts"].items():
        if counts.get(table) != expected:
            problems.append(f"table {table}: {counts.get(table)} rows restored, {expected} backed up")
    hashes = file_hashes(storage_dir)
    for name, digest in manifest["files"].items():
        if hashes.get(name) != digest:
            problems.append(f"file {name}: {'different content' if name in hashes else 'missing'}")
    return problems


def restore(folder: Path, database_url: str, storage_dir: Path) -> list[str]:
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{folder} is not a complete backup (no {MANIFEST}).")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    backend = sa.engine.make_url(database_url).get_backend_name()
    if backend != manifest["backend"]:
        raise BackupError(f"This backup is of a {manifest['backend']} database; {database_url!r} is {backend}.")
    restore_database(database_url, folder)
    unpack_files(folder, storage_dir)
    return verify(manifest, database_url, storage_dir)


def _settings() -> tuple[str, Path]:
    from dotenv import load_dotenv

    load_dotenv()
    from config import config_from_env

    config = config_from_env()
    if config.STORAGE_BACKEND != "local":
        print("STORAGE_BACKEND is not local: only the database is backed up here (see docs/reliability.md).")
    return config.SQLALCHEMY_DATABASE_URI, Path(config.STORAGE_DIR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="back up the database and the stored files")
    make.add_argument("--to", type=Path, default=Path("backups"), help="folder that receives the backup folder")
    back = commands.add_parser("restore", help="restore a backup folder and check it against its manifest")
    back.add_argument("--from", dest="source", type=Path, required=True, help="a backup folder (portal-...)")
    back.add_argument("--database-url", help="where to restore (default: DATABASE_URL)")
    back.add_argument("--storage-dir", type=Path, help="where to unpack the files (default: STORAGE_DIR)")
    args = parser.parse_args(argv)

    database_url, storage_dir = _settings()
    try:
        if args.command == "backup":
            folder = backup(database_url, storage_dir, args.to)
            print(f"Backup written to {folder}")
            return 0
        problems = restore(args.source, args.database_url or database_url, args.storage_dir or storage_dir)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if problems:
        print("Restored, but it does not match the backup:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"Restored {args.source}: every row count and file hash matches the backup.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
