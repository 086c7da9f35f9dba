"""Static assets: fingerprinted URLs cached for a year, and compressed responses.

Every `url_for("static", filename=...)` gets `?v=<first 12 hex digits of the file's SHA-256>`, so a changed file
has a new URL. A request whose `v` matches the file's current fingerprint is answered with
`Cache-Control: public, max-age=31536000, immutable`; any other static request (no `v`, or an old one after a
deploy) gets a short cache, so a browser never keeps a stale file for long.

Hand-written (about forty lines) rather than Flask-Static-Digest or Flask-Assets: those need a build step that
writes digested copies of the files (and a manifest to deploy with them); a query-string fingerprint computed on
first use needs neither and keeps every existing `url_for("static", ...)` in the templates working unchanged.

Compression is Flask-Compress (zstd, brotli, gzip or deflate, whichever the browser accepts) for HTML, CSS,
JavaScript, SVG and JSON; PDFs, images and uploaded files are already compressed and are left as they are. Pages are
compressed on every request, so the levels are the fast ones: on the 400 KB portfolio dashboard Brotli's default
quality 4 took 3 ms (a third of the page's time), quality 2 takes 1.7 ms for 3 % more bytes; gzip's default level 6
took 16 ms, level 3 takes 4 ms for 9 % more. zstd level 3 (tried first) takes under 1 ms. The open-data files are
compressed once, when they are published (portal/opendata/publication.py).
Known limit (BREACH): compressed HTML pages carry the session's CSRF token, whose leading part is the same on every
page of a session; an attacker who both injects text into such a page and watches the sizes of the encrypted
responses could guess it a character at a time. Masking the token per response would close this; it is not done yet.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

ONE_YEAR = 31_536_000
SHORT = 300  # seconds an unfingerprinted (or outdated) static URL may be cached
_cache: dict[str, tuple[float, str | None]] = {}
compress = Compress()


def fingerprint(filename: str) -> str | None:
    """The file's content hash, or None when there is no such file. Remembered per file; recomputed when the file
    changes on disk (its modification time), so the development server never serves an outdated fingerprint."""
    path = safe_join(current_app.static_folder, filename)
    if path is None:
        return None
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return None
    known = _cache.get(path)
    if known and known[0] == mtime:
        return known[1]
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    _cache[path] = (mtime, digest)
    return digest


def _add_fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values and "filename" in values:
        digest = fingerprint(values["filename"])
        if digest:
            values["v"] = digest


def _cache_headers(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    current = fingerprint(filename)
    response.headers.pop("Expires", None)
    if current and request.args.get("v") == current:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = f"public, max-age={SHORT}"
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/plain",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
            "text/csv",
            "application/xml",
        ],
    )
    app.config.setdefault("COMPRESS_BR_LEVEL", 2)
    app.config.setdefault("COMPRESS_LEVEL", 3)
    compress.init_app(app)
    app.url_defaults(_add_fingerprint)
    app.after_request(_cache_headers)
