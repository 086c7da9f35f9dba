"""portal.core.storage: the same behaviour from the local folder and from S3-compatible object storage (a real moto
server process, tests/services.py), through the module's public API."""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

import pytest

from config import TestingConfig
from portal.core import storage
from portal.core.storage import StorageError

HEX = "0123456789abcdef" * 2
INVALID_KEYS = [
    "",
    "documents",
    "../etc/passwd",
    "/etc/passwd",
    f"documents/../../{HEX}",
    f"../{HEX}",
    f"documents/{HEX}/../../x",
    f"Documents/{HEX}",
    f"documents/{HEX[:-1]}",
    f"documents/{HEX}0",
    f"documents/{HEX.upper()}",
    f"documents\\{HEX}",
    f"documents/{HEX}.pdf/x",
    f"documents/{HEX}.toolongext",
    f"a/b/{HEX}",
    f"documents/{HEX}\n",
    f"documents/{HEX}\x00.pdf",
]


class FailingStream(io.RawIOBase):
    """A body that breaks after its first chunk, as a client that disconnects half-way would."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.sent = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self.sent:
            self.sent = True
            return self.first
        raise OSError("connection lost half-way")

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_new_key_is_random_and_valid(any_storage):
    keys = {storage.new_key("documents", ".pdf") for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        prefix, name = key.split("/")
        assert prefix == "documents"
        assert name.endswith(".pdf")
        assert len(name) == 32 + 4
    assert storage.new_key("calls").startswith("calls/")


@pytest.mark.parametrize(("prefix", "suffix"), [("Calls", ""), ("calls/x", ""), ("../x", ""), ("calls", ".p/f")])
def test_new_key_refuses_prefixes_and_suffixes_that_make_bad_keys(any_storage, prefix, suffix):
    with pytest.raises(StorageError):
        storage.new_key(prefix, suffix)


def test_put_get_exists_size_delete(any_storage):
    key = storage.new_key("documents", ".pdf")
    data = b"%PDF-1.7\n" + secrets.token_bytes(5000)
    assert not storage.exists(key)
    storage.put(key, data)
    assert storage.exists(key)
    assert storage.get(key) == data
    assert storage.size(key) == len(data)
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(StorageError, match="missing"):
        storage.get(key)
    storage.delete(key)  # deleting what is already gone is not an error


def test_put_replaces_the_whole_file(any_storage):
    key = storage.new_key("documents")
    storage.put(key, b"first version, rather long " * 100)
    storage.put(key, b"second")
    assert storage.get(key) == b"second"


def test_files_are_separate(any_storage):
    first, second = storage.new_key("a"), storage.new_key("b")
    storage.put(first, b"one")
    storage.put(second, b"two")
    storage.delete(first)
    assert storage.get(second) == b"two"


def test_put_from_a_stream_and_read_in_chunks(any_storage):
    # Over boto3's 8 MB threshold: the S3 backend uploads this one in parts.
    data = secrets.token_bytes(9 * 1024 * 1024 + 17)
    key = storage.new_key("uploads", ".bin")
    storage.put(key, io.BytesIO(data))
    chunks = list(storage.iter_chunks(key, chunk_size=1024 * 1024))
    assert len(chunks) >= 9
    assert all(len(chunk) <= 1024 * 1024 for chunk in chunks)
    assert b"".join(chunks) == data
    assert storage.get(key) == data


def test_missing_file(any_storage):
    key = storage.new_key("documents", ".pdf")
    with pytest.raises(StorageError, match="missing"):
        storage.get(key)
    with pytest.raises(StorageError, match="missing"):
        storage.size(key)
    # Raised when the file is opened, before a response starts streaming it.
    with pytest.raises(StorageError, match="missing"):
        storage.iter_chunks(key)
    assert storage.exists(key) is False


def test_a_failed_write_leaves_nothing(any_storage, storage_settings):
    key = storage.new_key("uploads", ".bin")
    with pytest.raises((StorageError, OSError)):
        storage.put(key, FailingStream(b"x" * 1000))
    assert not storage.exists(key)
    if storage_settings["STORAGE_BACKEND"] == "local":
        leftovers = [p for p in Path(storage_settings["STORAGE_DIR"]).rglob("*") if p.is_file()]
        assert leftovers == []


def test_a_failed_rewrite_keeps_the_old_file_whole(any_storage):
    key = storage.new_key("uploads", ".bin")
    storage.put(key, b"the old file, whole")
    with pytest.raises((StorageError, OSError)):
        storage.put(key, FailingStream(b"the new file, half"))
    assert storage.get(key) == b"the old file, whole"


@pytest.mark.parametrize("key", INVALID_KEYS)
def test_keys_not_made_by_new_key_are_refused(any_storage, storage_settings, key):
    for call in (
        lambda: storage.put(key, b"x"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.size(key),
        lambda: storage.iter_chunks(key),
    ):
        with pytest.raises(StorageError, match="invalid storage key"):
            call()
    if storage_settings["STORAGE_BACKEND"] == "local":
        assert not Path(storage_settings["STORAGE_DIR"]).exists() or not any(
            Path(storage_settings["STORAGE_DIR"]).iterdir()
        )


def test_non_string_keys_are_refused(any_storage):
    for key in (None, 42, b"documents/" + HEX.encode()):
        with pytest.raises(StorageError):
            storage.get(key)


def test_another_server_sees_the_same_files(any_storage, storage_settings):
    """What one web server or worker stores, another (its own backend, same settings) reads and deletes."""
    key = storage.new_key("documents", ".pdf")
    storage.put(key, b"shared")
    other = storage.make_backend(storage_settings)
    assert other is not any_storage
    assert other.get(key) == b"shared"
    other.delete(key)
    assert not storage.exists(key)


def test_ping(any_storage):
    storage.ping()


def test_ping_fails_when_the_storage_cannot_be_reached(app, storage_settings, tmp_path, monkeypatch):
    broken = dict(storage_settings)
    if broken["STORAGE_BACKEND"] == "local":
        blocker = tmp_path / "a-file"
        blocker.write_bytes(b"not a folder")
        broken["STORAGE_DIR"] = str(blocker / "storage")
    else:
        broken["S3_BUCKET"] = "no-such-bucket"
    monkeypatch.setitem(app.extensions, "storage", storage.make_backend(broken))
    with app.app_context(), pytest.raises(StorageError):
        storage.ping()


def test_s3_objects_live_under_the_prefix(app, s3_settings, monkeypatch):
    import boto3

    backend = storage.make_backend(s3_settings)
    monkeypatch.setitem(app.extensions, "storage", backend)
    with app.app_context():
        key = storage.new_key("documents", ".pdf")
        storage.put(key, b"%PDF-")
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_settings["S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    listed = client.list_objects_v2(Bucket=s3_settings["S3_BUCKET"], Prefix=s3_settings["S3_PREFIX"] + "/")
    assert [item["Key"] for item in listed["Contents"]] == [f"{s3_settings['S3_PREFIX']}/{key}"]


def test_s3_unreachable_endpoint_is_a_storage_error(app, s3_settings, monkeypatch):
    s3_settings["S3_ENDPOINT_URL"] = "http://127.0.0.1:1"
    monkeypatch.setitem(app.extensions, "storage", storage.make_backend(s3_settings))
    with app.app_context():
        with pytest.raises(StorageError, match="cannot read"):
            storage.get(storage.new_key("documents"))
        with pytest.raises(StorageError):
            storage.ping()


# --- choosing the backend from the configuration --------------------------------------------------------------------


def test_the_default_backend_is_the_local_folder(app, storage_dir):
    with app.app_context():
        backend = storage.backend()
        assert backend.name == "local"
        assert backend.root == Path(storage_dir)
        assert storage.backend() is backend  # built once per app and process


@pytest.mark.committed  # the other app must not take the session app's test transaction
def test_an_app_configured_for_s3_stores_there_and_reports_it_healthy(other_app, s3_settings):
    s3_app = other_app(**s3_settings)
    with s3_app.app_context():
        backend = storage.backend()
        assert backend.name == "s3"
        assert storage.backend() is backend
        assert backend.client is storage.backend().client  # one boto3 client per app
        key = storage.new_key("documents", ".pdf")
        storage.put(key, b"%PDF-1.7 from the s3 app")
        assert storage.get(key) == b"%PDF-1.7 from the s3 app"
    response = s3_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["storage"] == "ok"


@pytest.mark.committed
def test_healthz_names_the_storage_when_the_bucket_is_missing(other_app, s3_settings):
    s3_app = other_app(**{**s3_settings, "S3_BUCKET": "no-such-bucket"})
    response = s3_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["storage"] == "unreachable"
    assert response.get_json()["failing"] == ["storage"]


def test_a_new_process_builds_its_own_backend(app, monkeypatch):
    """boto3 clients must not cross a fork: a worker process forked from the app builds its own backend."""
    with app.app_context():
        first = storage.backend()
        monkeypatch.setattr(os, "getpid", lambda: first.pid + 1)
        second = storage.backend()
        assert second is not first
        assert storage.backend() is second
    monkeypatch.undo()
    with app.app_context():
        app.extensions.pop("storage")
        assert storage.backend().pid == os.getpid()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be local or s3"),
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
    ],
)
def test_configuration_refuses_an_unusable_storage(monkeypatch, settings, message):
    for name, value in settings.items():
        monkeypatch.setattr(TestingConfig, name, value)
    with pytest.raises(RuntimeError, match=message):
        TestingConfig()


def test_make_backend_refuses_an_unknown_backend(tmp_path):
    with pytest.raises(StorageError, match="unknown STORAGE_BACKEND"):
        storage.make_backend({"STORAGE_BACKEND": "ftp", "STORAGE_DIR": str(tmp_path)})
    with pytest.raises(StorageError, match="S3_BUCKET"):
        storage.make_backend({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""})
