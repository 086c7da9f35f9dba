"""The documents attached to a proposal: those the call asks for (required or optional, at each stage) and any
"other" documents the applicants add.

Files are checked by their content (portal.core.uploads: PDF, DOCX, XLSX, ODT, PNG, JPEG, at most UPLOAD_MAX_BYTES
each), stored under random keys (portal.core.storage) and fetched only through a route that checks access. Each
organisation of the consortium holds one file per requirement (uploading again replaces its own file, never another
organisation's); "other" documents are as many as needed, each with a title.

Who changes them: while the proposal is a draft, the lead's users, and co-applicants who were given at least one
section of the form (Proposal.can_contribute); a co-applicant removes only its own organisation's files."""

from __future__ import annotations

import logging
from typing import NamedTuple

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.calls.models import AttachmentKind, AttachmentRequirement
from portal.core import audit, jobs, storage
from portal.core.db import utcnow
from portal.core.uploads import DEFAULT_KINDS, UploadError, check_upload, store_upload
from portal.core.urls import external_url
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalAttachment

log = logging.getLogger(__name__)

# Every kind portal.core.uploads accepts: PDF, Word, Excel, OpenDocument text, PNG and JPEG.
ALLOWED_KINDS = DEFAULT_KINDS
TITLE_MAX_LENGTH = 300

KIND_LABELS = {
    AttachmentKind.STATUTES: _l("Statutes"),
    AttachmentKind.REGISTRATION: _l("Proof of registration"),
    AttachmentKind.ACCOUNTS: _l("Financial accounts"),
    AttachmentKind.CV: _l("CVs of key staff"),
    AttachmentKind.SUPPORT_LETTER: _l("Letters of support"),
    AttachmentKind.OTHER: _l("Other document"),
}

__all__ = [
    "ALLOWED_KINDS",
    "AttachmentProblem",
    "UploadError",
    "add_attachment",
    "attachment_problems",
    "remove_attachment",
]


def _proposal_error(message: str, field: str | None = None):
    from portal.proposals.operations import ProposalError

    return ProposalError(message, field=field)


def requirement_label(requirement: AttachmentRequirement) -> str:
    return requirement.label or str(KIND_LABELS.get(requirement.kind, requirement.kind))


def requirements_for(proposal: Proposal) -> list[AttachmentRequirement]:
    """What the call asks for at the proposal's stage, in the call's order."""
    return [r for r in proposal.call.attachment_requirements if r.applies_to(proposal.stage)]


def can_manage_attachments(proposal: Proposal, user) -> bool:
    return proposal.can_contribute(user)


def can_remove(attachment: ProposalAttachment, user) -> bool:
    proposal = attachment.proposal
    if not proposal.can_contribute(user):
        return False
    if proposal.is_applicant_member(user):
        return True
    partner = proposal.partner_for(user)
    return partner is not None and attachment.partner_id == partner.id


def _owner_partner_id(proposal: Proposal, user) -> int | None:
    """The consortium member a user uploads for: None for the lead's users, the co-applicant otherwise."""
    if proposal.is_applicant_member(user):
        return None
    partner = proposal.partner_for(user)
    return partner.id if partner is not None else None


def files_for(proposal: Proposal, requirement: AttachmentRequirement | None) -> list[ProposalAttachment]:
    requirement_id = requirement.id if requirement is not None else None
    return [a for a in proposal.attachments if a.requirement_id == requirement_id]


# -- changing ----------------------------------------------------------------------------------------------------


def add_attachment(
    proposal: Proposal,
    *,
    by,
    filename: str | None,
    data,
    requirement: AttachmentRequirement | None = None,
    title: str = "",
    field: str | None = None,
    max_bytes: int | None = None,
) -> ProposalAttachment:
    """Check a file by its content and attach it, for `requirement` (replacing the file the uploader's organisation
    gave for it before) or as an "other" document with a `title`. Raises UploadError (the file) or ProposalError
    (the rule), tied to the form `field`.

    The file is stored at once; the replaced file is deleted once the caller commits."""
    if not proposal.is_draft:
        raise _proposal_error(_("This proposal has been submitted: its attachments can no longer change."), field)
    if not can_manage_attachments(proposal, by):
        raise _proposal_error(_("You cannot change the attachments of this proposal."), field)
    if requirement is not None and (
        requirement.call_id != proposal.call_id or not requirement.applies_to(proposal.stage)
    ):
        raise _proposal_error(_("The call does not ask for this document at this stage."), field)
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX_LENGTH:
        raise _proposal_error(_("Use at most 300 characters."), field)

    info = check_upload(filename, data, allowed=ALLOWED_KINDS, max_bytes=max_bytes, field=field)
    owner = _owner_partner_id(proposal, by)
    replaced = [a for a in files_for(proposal, requirement) if a.partner_id == owner] if requirement is not None else []
    key = store_upload(info, prefix="attachments")
    try:
        attachment = ProposalAttachment(
            proposal=proposal,
            requirement_id=requirement.id if requirement is not None else None,
            kind=requirement.kind if requirement is not None else AttachmentKind.OTHER.value,
            partner_id=owner,
            title=title if requirement is None else "",
            filename=info.filename,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            storage_key=key,
            uploaded_at=utcnow(),
            uploaded_by_id=by.id,
        )
        for old in replaced:
            proposal.attachments.remove(old)
            db.session.delete(old)
            _delete_after_commit(old.storage_key)
        db.session.add(attachment)
        db.session.flush()
        audit.record(
            "proposal.attachment_replaced" if replaced else "proposal.attachment_added",
            proposal,
            actor=by,
            before={"attachments": [_facts(a) for a in replaced]} if replaced else None,
            after={"attachment": _facts(attachment)},
        )
        db.session.flush()
    except Exception:
        _delete_quietly(key)  # nothing points at it
        raise
    return attachment


def remove_attachment(attachment: ProposalAttachment, *, by) -> None:
    """Remove an attachment of a draft; its file is deleted once the caller commits."""
    proposal = attachment.proposal
    if not proposal.is_draft:
        raise _proposal_error(_("This proposal has been submitted: its attachments can no longer change."))
    if not can_remove(attachment, by):
        raise _proposal_error(_("You cannot remove this file: it belongs to another organisation of the consortium."))
    facts = _facts(attachment)
    proposal.attachments.remove(attachment)
    db.session.delete(attachment)
    _delete_after_commit(attachment.storage_key)
    audit.record("proposal.attachment_removed", proposal, actor=by, before={"attachment": facts})
    db.session.flush()


def _facts(attachment: ProposalAttachment) -> dict:
    return {
        "id": attachment.id,
        "kind": attachment.kind,
        "requirement_id": attachment.requirement_id,
        "partner_id": attachment.partner_id,
        "filename": attachment.filename,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def _delete_quietly(key: str) -> None:
    try:
        storage.delete(key)
    except Exception:  # a left-over file is harmless; a failed request is not
        log.exception("could not delete stored file %s", key)


def _delete_after_commit(key: str) -> None:
    # Only once the row is gone for good: on rollback the row, and so the file, stay.
    jobs.after_commit(db.session(), lambda: _delete_quietly(key))


# -- the pre-submission check --------------------------------------------------------------------------------------


class AttachmentProblem(NamedTuple):
    """A required document that is missing: `field` and `message` as in ProposalError, and where to fix it."""

    field: str
    message: str
    url: str


def attachments_url(proposal: Proposal, anchor: str | None = None) -> str:
    if has_request_context():
        return url_for("proposals.attachments", proposal_id=proposal.id, _anchor=anchor)
    return external_url("proposals.attachments", proposal_id=proposal.id, _anchor=anchor)


def attachment_problems(proposal: Proposal) -> list[AttachmentProblem]:
    """The required documents of the proposal's stage that nobody has attached yet, each with a link to its place
    on the attachments page."""
    attached = {a.requirement_id for a in proposal.attachments}
    return [
        AttachmentProblem(
            "attachments",
            _("Attach the required document “%(document)s”.", document=requirement_label(requirement)),
            attachments_url(proposal, f"requirement-{requirement.id}"),
        )
        for requirement in requirements_for(proposal)
        if requirement.required and requirement.id not in attached
    ]
