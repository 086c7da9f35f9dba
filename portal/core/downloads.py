"""Sending a stored file (an attachment, a report, a call's document) to someone the route has already checked may
have it: as a download under its safe name, never interpreted by the browser (nosniff, a sandboxing CSP), never kept
in a shared cache. A file missing from storage is a 404 for the reader and an error in the log."""

from __future__ import annotations

import io
import logging

from flask import Response, abort, send_file

from portal.core import storage

log = logging.getLogger(__name__)


def send_stored(
    storage_key: str, *, filename: str, content_type: str, sha256: str | None, what: str, private: bool = True
) -> Response:
    """The file at `storage_key` as a download; `what` names it in the log if it is missing ("attachment 12")."""
    try:
        data = storage.get(storage_key)
    except storage.StorageError:
        log.exception("%s: its stored file is missing", what)
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
        etag=sha256 or False,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache" if private else "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
