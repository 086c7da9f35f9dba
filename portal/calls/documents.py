"""Business rules of a call's documents: the guidelines and annexes published with it.

Files are checked by their content (portal.core.uploads) and stored under random keys (portal.core.storage); they
are served only through the access-checked route calls.download_document."""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _

from portal.calls.labels import DOCUMENT_KIND_LABELS, DOCUMENT_LANGUAGES
from portal.calls.models import Call, CallDocument, CallStatus
from portal.calls.operations import CallError, frozen_reason
from portal.core import audit, storage, uploads
from portal.extensions import db

# What guidelines and annexes may be: texts (PDF, Word, OpenDocument) and spreadsheets (budget templates).
DOCUMENT_FILE_KINDS = uploads.DOCUMENT_KINDS | uploads.SPREADSHEET_KINDS


def document_removal_refusal(call: Call) -> str | None:
    if call.status not in (CallStatus.DRAFT, CallStatus.PUBLISHED):
        return _("This call is in evaluation or later; its documents can no longer change.")
    if frozen_reason(call):
        return _(
            "Proposals have already been submitted under this call: its documents can no longer be removed. "
            "Add a corrigendum instead."
        )
    return None


def add_document(
    call: Call, *, title: str, kind: str, language: str, filename: str, data: bytes | BinaryIO | None, by
) -> CallDocument:
    """Check a guidelines or annex file by its content (portal.core.uploads) and store it under a random key."""
    errors: list[tuple[str | None, str]] = []
    if call.status not in (CallStatus.DRAFT, CallStatus.PUBLISHED):
        raise CallError(_("This call is in evaluation or later; its documents can no longer change."))
    title = (title or "").strip()
    if not title:
        errors.append(("title", _("Enter the title of the document.")))
    elif len(title) > 300:
        errors.append(("title", _("The title has at most 300 characters.")))
    if kind not in DOCUMENT_KIND_LABELS:
        errors.append(("kind", _("Choose the kind of document from the list.")))
    if language not in DOCUMENT_LANGUAGES:
        errors.append(("language", _("Choose the language from the list.")))
    info = None
    if data is None or (isinstance(data, bytes) and not data and not filename):
        errors.append(("file", _("Choose a file to upload.")))
    else:
        try:
            info = uploads.check_upload(filename or "", data, allowed=DOCUMENT_FILE_KINDS, field="file")
        except uploads.UploadError as exc:
            errors.extend(exc.errors)
    if errors:
        raise CallError(errors)
    key = uploads.store_upload(info, prefix="calls")
    try:
        position = max((d.position for d in call.documents), default=-1) + 1
        document = CallDocument(
            call=call,
            kind=kind,
            title=title,
            language=language,
            position=position,
            filename=info.filename,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            storage_key=key,
            uploaded_by_id=getattr(by, "id", None),
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            "call.document_added",
            call,
            actor=by,
            after={
                "document_id": document.id,
                "title": title,
                "kind": kind,
                "language": language,
                "filename": info.filename,
                "sha256": info.sha256,
                "size": info.size,
            },
        )
        db.session.flush()
    except Exception:
        storage.delete(key)  # nothing points at the file: do not leave it behind
        raise
    return document


def remove_document(document: CallDocument, *, by) -> None:
    call = document.call
    refusal = document_removal_refusal(call)
    if refusal:
        raise CallError(refusal)
    audit.record(
        "call.document_removed",
        call,
        actor=by,
        before={
            "document_id": document.id,
            "title": document.title,
            "filename": document.filename,
            "sha256": document.sha256,
        },
    )
    # The stored file is kept: the audit entry's fingerprint can still be matched against it.
    call.documents.remove(document)
    db.session.flush()
