"""A request larger than MAX_CONTENT_LENGTH gets the portal's own 413 page, saying the limits, not a raw error."""

from __future__ import annotations

import io

from config import TestingConfig


def test_the_request_limit_leaves_room_for_three_uploads():
    config = TestingConfig()
    assert config.UPLOAD_MAX_BYTES == 10 * 1024 * 1024
    assert config.MAX_CONTENT_LENGTH == 31 * 1024 * 1024


def test_a_request_over_the_limit_gets_a_clear_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 3 * 1024 * 1024)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024 * 1024)
    response = client.post(
        "/login",
        data={"email": "amina@example.org", "password": "x", "file": (io.BytesIO(b"%" * (4 * 1024 * 1024)), "cv.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "<h1>What you sent is too large</h1>" in page
    assert (
        "The portal accepts up to 3 MB in one sending, and each file may be up to 1 MB. "
        "Nothing was saved: go back and send smaller files, or fewer at a time."
    ) in page
    assert 'href="/"' in page  # the page has the portal's layout and a way back


def test_a_text_field_over_werkzeugs_limit_gets_the_general_message(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FORM_MEMORY_SIZE", 1000)
    response = client.post("/login", data={"email": "a" * 5000, "password": "x"}, content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "<h1>What you sent is too large</h1>" in page
    assert "Part of what you sent is larger than the portal accepts." in page
