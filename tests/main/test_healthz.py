"""GET /healthz: database, broker and storage reachability, 503 naming the failing part."""

from __future__ import annotations

import pytest

from portal.core import storage


def test_healthz_ok_in_eager_mode(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "eager", "storage": "ok"}


@pytest.mark.committed  # the other app needs its own engine, not the test transaction
def test_healthz_names_the_database_when_it_is_down(other_app):
    down = other_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "unreachable"
    assert body["failing"] == ["database"]
    assert body["status"] == "failing"


def test_healthz_names_the_broker_when_it_is_down(app, client, monkeypatch):
    conf = app.extensions["celery"].conf
    monkeypatch.setitem(conf, "task_always_eager", False)
    monkeypatch.setitem(conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["broker"] == "unreachable"
    assert response.get_json()["failing"] == ["broker"]


def test_healthz_names_the_storage_when_it_cannot_be_written(app, client, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder")
    monkeypatch.setitem(app.extensions, "storage", storage.LocalBackend(blocker / "storage"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["storage"] == "unreachable"
    assert response.get_json()["failing"] == ["storage"]


@pytest.mark.services
def test_healthz_reports_a_real_broker(app, client, redis_url, monkeypatch):
    conf = app.extensions["celery"].conf
    monkeypatch.setitem(conf, "task_always_eager", False)
    monkeypatch.setitem(conf, "broker_url", redis_url)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}
