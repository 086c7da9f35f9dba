"""Queueing a new version of a generated document: what every kind (award letter, decision letters, submission
receipt, ranked list) does the same way. Earlier versions still current are marked superseded, the new row is added
as queued, the request is audited, and its render job is sent once the caller commits."""

from __future__ import annotations

from collections.abc import Iterable

from portal.core import audit, jobs
from portal.core.db import utcnow
from portal.documents.models import Document, DocumentStatus
from portal.extensions import db


def queue_new_version(
    previous: Iterable[Document], task, *, by, details: dict, version: int | None = None, **fields
) -> Document:
    """The next version of a document whose earlier versions are `previous`, rendered by `task`.

    `fields` are the new row's own columns (kind, what it belongs to, language, ...); `version` defaults to one more
    than the latest; `details` are what the audit entry says of the subject (its reference, say)."""
    previous = list(previous)
    now = utcnow()
    superseded = [d for d in previous if d.superseded_at is None]
    for earlier in superseded:
        earlier.superseded_at = now
    if version is None:
        version = max((d.version for d in previous), default=0) + 1
    # Linking the row to its grant (or decision, snapshot) may load that object's documents: the new row must not
    # be flushed half-made meanwhile.
    with db.session.no_autoflush:
        document = Document(
            version=version,
            status=DocumentStatus.QUEUED.value,
            created_by_id=getattr(by, "id", None),
            queued_at=now,
            **fields,
        )
        db.session.add(document)
    db.session.flush()
    audit.record(
        "document.requested",
        document,
        actor=by,
        after={
            "kind": document.kind,
            **details,
            "version": document.version,
            "language": document.language,
            "superseded_versions": [d.version for d in superseded],
        },
    )
    jobs.enqueue(db.session(), task, document.id)
    return document
