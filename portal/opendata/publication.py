"""The open-data files published ahead of time, so that a download is a file read and not seconds of work.

Writing the IATI file of 4,000 grants takes about 3 s of CPU (loading 40,000 rows as objects and serialising
300,000 XML elements), the 360Giving file about 2.5 s: streamed on every request, each download held a web worker
that long, and four concurrent downloads stopped the portal. Made ten times cheaper it would still hold a worker for
a quarter of a second per download. So the files are written by a Celery task (`opendata.publish`: every few
minutes by the beat, and as soon as a download finds the published file out of date) and stored with the state of
the database they describe, and a download serves the stored file when it still describes the current state.

The state is a fingerprint read in one small query: the number, highest id, latest creation and the sum of the
version counters of the grants (every change of a grant's row increments its version) and of the payment tranches,
and the number of rows linking grants to countries, organisations and JVAP domains. A change the fingerprint does not
see (an organisation renamed, a country's share edited) is published by the next periodic run (REPUBLISH_EVERY).
When the stored file is missing or out of date, the download streams the document from the database as before: it
is never wrong, only slower, until the task has run.

Each file is also stored compressed, with Brotli and with gzip, when it is published: compressing 16 MB of XML on
every download cost about 50 ms of CPU per request (Flask-Compress compresses streamed responses as they leave), and
a stored compressed copy costs nothing to send. A download is served the copy its Accept-Encoding asks for
(routes.py), else the plain file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import brotli
from flask import current_app
from sqlalchemy import func, select, true

from portal.core import datacache, storage
from portal.core.db import utcnow
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, Tranche, grant_domains
from portal.opendata import giving360, iati
from portal.opendata.queries import published_grants

log = logging.getLogger(__name__)

PREFIX = "opendata"
# Which files are current, and for which state: a fixed key (storage keys are a prefix and 32 hex digits).
STATE_KEY = f"{PREFIX}/{'0' * 32}.json"
REPUBLISH_EVERY = 3600  # seconds: changes the fingerprint cannot see are published within the hour


@dataclass(frozen=True)
class Kind:
    name: str
    suffix: str
    write: Callable  # (grants, config) -> Iterator[str]


KINDS = {
    "iati": Kind("iati", ".xml", iati.document),
    "360giving": Kind("360giving", ".json", giving360.document),
}


def fingerprint() -> str:
    """The state of the published data in the database, as a short hash. Every download asks for it (is the stored
    file still the database's answer?); it counts and sums every grant and tranche, 10 ms in PostgreSQL at 4,000
    grants, so it is shared while the database's write position is unchanged (core/datacache.py: any write moves
    it, so the answer is never older than the data)."""
    return datacache.shared("opendata.fingerprint", None, _fingerprint)


def _fingerprint() -> str:
    grants = select(
        func.count(Grant.id), func.max(Grant.id), func.sum(Grant.version_id), func.max(Grant.created_at)
    ).subquery()
    tranches = select(func.count(Tranche.id), func.sum(Tranche.version_id)).subquery()
    row = db.session.execute(
        select(
            grants,
            tranches,
            select(func.count()).select_from(GrantCountry).scalar_subquery(),
            select(func.count()).select_from(GrantOrganisation).scalar_subquery(),
            select(func.count()).select_from(grant_domains).scalar_subquery(),
        ).select_from(grants.join(tranches, true()))
    ).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:32]


def _state() -> dict:
    try:
        return json.loads(storage.get(STATE_KEY))
    except (storage.StorageError, ValueError):
        return {}


@dataclass(frozen=True)
class Published:
    """A published file: its plain copy, and its compressed copies by encoding ("br", "gzip": (key, size))."""

    key: str
    size: int
    fingerprint: str
    encodings: dict[str, tuple[str, int]]


def current_file(kind: str, state_now: str | None = None) -> Published | None:
    """The published `kind` file when it describes the database as it is now; None when there is none or it is out
    of date."""
    state = _state()
    entry = state.get("files", {}).get(kind)
    if not entry or state.get("fingerprint") != (state_now or fingerprint()):
        return None
    encodings = {name: (e["key"], int(e["size"])) for name, e in (entry.get("encodings") or {}).items()}
    return Published(entry["key"], int(entry["size"]), state["fingerprint"], encodings)


def _keys(entry: dict) -> list[str]:
    return [entry["key"], *(e["key"] for e in (entry.get("encodings") or {}).values())]


def _chunks(pieces: Iterator[str], size: int = 256 * 1024) -> Iterator[bytes]:
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()


# The compressed copies, in the order a download prefers them when its Accept-Encoding allows several. Brotli at
# quality 9 and gzip at level 9 take a few seconds for the IATI file of 4,000 grants, in the worker, once per change.
BROTLI_QUALITY = 9
GZIP_LEVEL = 9


def _gzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def _brotli(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = brotli.Compressor(quality=BROTLI_QUALITY)
    for chunk in chunks:
        out = compressor.process(chunk)
        if out:
            yield out
    yield compressor.finish()


ENCODINGS: dict[str, Callable[[Iterator[bytes]], Iterator[bytes]]] = {"br": _brotli, "gzip": _gzip}


class _Reader:
    """A file-like view of a generator of bytes, for storage.put (which reads a file object to its end)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._pending, self.size = chunks, b"", 0

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._pending) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        if n < 0:
            out, self._pending = self._pending, b""
        else:
            out, self._pending = self._pending[:n], self._pending[n:]
        self.size += len(out)
        return out


def publish(force: bool = False) -> bool:
    """Write both files for the current state of the database and record them; nothing when they are already
    current (idempotent), unless `force` or they are older than REPUBLISH_EVERY. True when files were written."""
    state_now = fingerprint()
    old = _state()
    fresh = old.get("fingerprint") == state_now and time.time() - old.get("written", 0) < REPUBLISH_EVERY
    if fresh and not force and all(k in old.get("files", {}) for k in KINDS):
        return False
    config = current_app.config
    files = {}
    for kind in KINDS.values():
        key = storage.new_key(PREFIX, kind.suffix)
        reader = _Reader(_chunks(kind.write(published_grants(), config)))
        storage.put(key, reader)
        files[kind.name] = {"key": key, "size": reader.size, "encodings": {}}
        for encoding, compress in ENCODINGS.items():
            compressed_key = storage.new_key(PREFIX, f".{encoding}")
            compressed = _Reader(compress(storage.iter_chunks(key)))
            storage.put(compressed_key, compressed)
            files[kind.name]["encodings"][encoding] = {"key": compressed_key, "size": compressed.size}
    # The data may have changed while the files were written: they are recorded under the state read first, so a
    # later change is still seen as out of date.
    state = {"fingerprint": state_now, "written": time.time(), "at": utcnow().isoformat(), "files": files}
    storage.put(STATE_KEY, json.dumps(state).encode())
    for entry in old.get("files", {}).values():
        for old_key in _keys(entry):
            storage.delete(old_key)
    log.info("open data published (%s)", ", ".join(f"{k}: {v['size']} bytes" for k, v in files.items()))
    return True


_last_request: dict[str, float] = {}
REQUEST_AT_MOST_EVERY = 60.0  # seconds, per web process


def request_publication() -> None:
    """Ask a worker to publish again (a download found the file out of date); at most once a minute per process."""
    from portal.opendata.tasks import publish_open_data

    if current_app.extensions["celery"].conf.task_always_eager:
        return  # no worker (development without Redis, tests): the task would run inside this request
    now = time.monotonic()
    if now - _last_request.get("sent", -REQUEST_AT_MOST_EVERY) < REQUEST_AT_MOST_EVERY:
        return
    _last_request["sent"] = now
    try:
        publish_open_data.delay()
    except Exception:  # the broker is down: the beat's periodic run publishes later
        log.exception("could not queue the open-data publication")
