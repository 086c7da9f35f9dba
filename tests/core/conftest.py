"""Storage backends for the tests of portal/core: `any_storage` runs a test once on the local folder and once on the
S3-compatible server process (tests/services.py), through the module's public API."""

from __future__ import annotations

import pytest

from portal.core import storage


@pytest.fixture(params=["local", "s3"])
def storage_settings(request, tmp_path) -> dict[str, str]:
    if request.param == "local":
        return {"STORAGE_BACKEND": "local", "STORAGE_DIR": str(tmp_path / "storage")}
    return request.getfixturevalue("s3_settings")


@pytest.fixture
def any_storage(app, storage_settings, monkeypatch):
    """The app's storage replaced, for this test, by a backend built from `storage_settings`; yields that backend."""
    backend = storage.make_backend(storage_settings)
    monkeypatch.setitem(app.extensions, "storage", backend)
    with app.app_context():
        yield backend
