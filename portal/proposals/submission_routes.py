"""Routes of the proposals area for what surrounds submission: the attachments page and file downloads, withdrawal
and reopening, and the two stages of a two-stage call (a manager's invitation, the lead's full application).

They live on the proposals blueprint (portal.proposals.routes.bp) and stay thin: load and check access, call an
operation, commit, flash, redirect."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import storage
from portal.core.access import authenticated, load, role_required
from portal.core.downloads import send_stored
from portal.core.i18n import select_timezone
from portal.core.ids import parse_id
from portal.core.uploads import accept_attribute, accepted_list, format_size
from portal.extensions import db
from portal.proposals import attachments as ops_attachments
from portal.proposals import queries, submission
from portal.proposals.models import Proposal, ProposalAttachment
from portal.proposals.operations import ProposalError
from portal.proposals.routes import bp
from portal.proposals.states import STATUS_LABELS

log = logging.getLogger(__name__)


# -- the proposal page's panel (included by templates/proposals/view.html) ------------------------------------------


@bp.app_template_global()
def submission_panel(proposal: Proposal, snapshots: list | None = None) -> dict:
    """What the proposal page shows about submission, for the current user: the submissions with their receipts,
    and the actions they may take (withdraw, reopen, invite, start the full application). `snapshots`: the
    proposal's submitted versions when the page has read them already (queries.snapshots_of)."""
    from portal.documents.models import Document, DocumentKind

    user = current_user
    if snapshots is None:
        snapshots = queries.snapshots_of(proposal)
    receipts = (
        {
            d.snapshot_id: d
            for d in db.session.scalars(
                db.select(Document).where(
                    Document.kind == DocumentKind.SUBMISSION_RECEIPT.value,
                    Document.snapshot_id.in_([s.id for s in snapshots]),
                )
            )
        }
        if snapshots
        else {}
    )
    deadline = submission.submission_deadline(proposal)
    return {
        "submissions": [(s, receipts.get(s.id)) for s in snapshots],
        "deadline": deadline,
        "call_tz": proposal.call.timezone,
        "reader_tz": select_timezone(),
        "can_withdraw": proposal.can_withdraw(user) and submission.deadline_problem(proposal) is None,
        "can_reopen": submission.can_reopen(proposal, user),
        "can_invite": submission.can_invite_full_application(proposal, user),
        "can_start_full_application": submission.can_start_full_application(proposal, user),
        "full_application": proposal.full_application,
        "parent": proposal.parent,
        "attachments": len(proposal.attachments),
        "missing_attachments": ops_attachments.attachment_problems(proposal) if proposal.is_draft else [],
        "can_manage_attachments": ops_attachments.can_manage_attachments(proposal, user),
    }


# -- attachments ---------------------------------------------------------------------------------------------------


def _attachments_page(proposal: Proposal, errors: dict | None = None, titles: dict | None = None, status: int = 200):
    from portal.accounts.models import User

    requirements = ops_attachments.requirements_for(proposal)
    uploader_ids = {a.uploaded_by_id for a in proposal.attachments if a.uploaded_by_id}
    uploaders = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(uploader_ids or [-1])))}
    return (
        render_template(
            "proposals/attachments.html",
            proposal=proposal,
            call=proposal.call,
            requirements=requirements,
            labels={r.id: ops_attachments.requirement_label(r) for r in requirements},
            files_for=lambda r: ops_attachments.files_for(proposal, r),
            can_manage=ops_attachments.can_manage_attachments(proposal, current_user),
            can_remove=lambda a: ops_attachments.can_remove(a, current_user),
            errors=errors or {},
            titles=titles or {},
            accepted=accepted_list(ops_attachments.ALLOWED_KINDS),
            accept=accept_attribute(ops_attachments.ALLOWED_KINDS),
            max_size=format_size(_upload_limit()),
            format_size=format_size,
            uploaders=uploaders,
            status_labels=STATUS_LABELS,
        ),
        status,
    )


def _upload_limit() -> int:
    from flask import current_app

    return current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)


@bp.route("/proposals/<int:proposal_id>/attachments", methods=["GET", "POST"])
@authenticated
def attachments(proposal_id: int):
    proposal = load(Proposal, proposal_id)
    if request.method == "GET":
        return _attachments_page(proposal)
    if not ops_attachments.can_manage_attachments(proposal, current_user):
        abort(403)
    if request.form.get("action") == "remove":
        return _remove_attachment(proposal)
    return _upload(proposal)


def _upload(proposal: Proposal):
    """Every file of the form is taken on its own: the good ones are kept even when another one is refused."""
    proposal_id = proposal.id
    by_id = {r.id: r for r in ops_attachments.requirements_for(proposal)}
    wanted: list[tuple[str, object, str | None]] = []  # (field, requirement or None, title)
    for name, upload in request.files.items(multi=True):
        if not upload or not upload.filename:
            continue
        if name == "file-other":
            wanted.append((name, None, request.form.get("title-other", "")))
        elif name.startswith("file-") and parse_id(name[5:]) in by_id:
            wanted.append((name, int(name[5:]), None))
    titles = {"title-other": request.form.get("title-other", "")}
    if not wanted:
        return _attachments_page(proposal, errors={"form": [_("Choose a file to upload.")]}, titles=titles, status=422)

    errors: dict[str, list[str]] = {}
    added = 0
    for field, requirement_id, title in wanted:
        upload = request.files.get(field)
        proposal = db.session.get(Proposal, proposal_id)
        requirement = next(
            (r for r in proposal.call.attachment_requirements if r.id == requirement_id), None
        )  # re-read: a rollback below expires what was loaded
        try:
            ops_attachments.add_attachment(
                proposal,
                by=current_user,
                filename=upload.filename,
                data=upload.stream,
                requirement=requirement,
                title=title or "",
                field=field,
            )
            db.session.commit()
        except (ops_attachments.UploadError, ProposalError) as exc:
            db.session.rollback()
            errors.setdefault(field, []).extend(exc.messages)
        except storage.StorageError:
            db.session.rollback()
            log.exception("upload to proposal %s: the file could not be stored", proposal_id)
            errors.setdefault(field, []).append(
                _(
                    "“%(name)s” could not be stored just now; please upload it again in a moment.",
                    name=upload.filename,
                )
            )
        else:
            added += 1
            if field == "file-other":
                titles = {}
    proposal = db.session.get(Proposal, proposal_id)
    if errors:
        if added:
            flash(_("The other files were uploaded; correct the ones marked below."), "warning")
        return _attachments_page(proposal, errors=errors, titles=titles, status=422)
    flash(_("File uploaded.") if added == 1 else _("Files uploaded."), "success")
    return redirect(url_for("proposals.attachments", proposal_id=proposal.id))


def _remove_attachment(proposal: Proposal):
    raw = (request.form.get("attachment_id") or "").strip()
    attachment = db.session.get(ProposalAttachment, parse_id(raw)) if parse_id(raw) else None
    if attachment is None or attachment.proposal_id != proposal.id:
        abort(404)
    name = attachment.filename
    try:
        ops_attachments.remove_attachment(attachment, by=current_user)
        db.session.commit()
    except ProposalError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("“%(name)s” was removed.", name=name), "success")
    return redirect(url_for("proposals.attachments", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/attachments/<int:attachment_id>", methods=["GET"])
@authenticated
def download_attachment(proposal_id: int, attachment_id: int):
    proposal = load(Proposal, proposal_id)
    attachment = db.session.get(ProposalAttachment, attachment_id)
    if attachment is None or attachment.proposal_id != proposal.id:
        abort(404)
    return send_stored(
        attachment.storage_key,
        filename=attachment.filename,
        content_type=attachment.content_type,
        sha256=attachment.sha256,
        what=f"attachment {attachment.id} of proposal {proposal.id}",
    )


# -- withdrawal and reopening --------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@authenticated
def withdraw(proposal_id: int):
    proposal = load(Proposal, proposal_id, need="withdraw")
    late = submission.deadline_problem(proposal)
    reason = request.form.get("reason", "")
    errors: list[str] = []
    if request.method == "POST":
        try:
            submission.withdraw_proposal(proposal, by=current_user, reason=reason)
            db.session.commit()
        except ProposalError as exc:
            db.session.rollback()
            errors = exc.messages
            proposal = db.session.get(Proposal, proposal_id)
        else:
            flash(
                _(
                    "Your proposal %(reference)s is withdrawn. You may reopen it as a draft and submit it again "
                    "before the deadline.",
                    reference=proposal.reference,
                ),
                "success",
            )
            return redirect(url_for("proposals.view", proposal_id=proposal.id))
    elif late:
        errors = [
            _(
                "The deadline was %(deadline)s: a proposal can no longer be withdrawn after it.",
                deadline=_deadline_text(proposal),
            )
        ]
    return (
        render_template(
            "proposals/withdraw.html",
            proposal=proposal,
            call=proposal.call,
            deadline=submission.submission_deadline(proposal),
            reader_tz=select_timezone(),
            reason=reason,
            errors=errors,
            late=bool(late),
        ),
        422 if errors and request.method == "POST" else 200,
    )


def _deadline_text(proposal: Proposal) -> str:
    from portal.core.i18n import instant

    return instant(submission.submission_deadline(proposal), proposal.call.timezone)


@bp.route("/proposals/<int:proposal_id>/reopen", methods=["POST"])
@authenticated
def reopen(proposal_id: int):
    proposal = load(Proposal, proposal_id)
    if not proposal.is_applicant_member(current_user):
        abort(403)
    try:
        submission.reopen_proposal(proposal, by=current_user)
        db.session.commit()
    except ProposalError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(
            _("Your proposal is a draft again. Submit it before the deadline: it will be recorded as a new version."),
            "success",
        )
    return redirect(url_for("proposals.view", proposal_id=proposal_id))


# -- two-stage calls -------------------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/invite-full-application", methods=["POST"])
@role_required("manager")
def invite_full_application(proposal_id: int):
    proposal = load(Proposal, proposal_id)
    try:
        submission.invite_full_application(proposal, by=current_user)
        db.session.commit()
    except ProposalError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(
            _(
                "The lead applicant of %(reference)s is invited to submit a full application and has been told by "
                "e-mail.",
                reference=proposal.reference,
            ),
            "success",
        )
    return redirect(url_for("proposals.view", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/full-application", methods=["POST"])
@authenticated
def start_full_application(proposal_id: int):
    note = load(Proposal, proposal_id)
    if not note.is_applicant_member(current_user):
        abort(403)
    try:
        application = submission.start_full_application(note, by=current_user)
        db.session.commit()
    except ProposalError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(url_for("proposals.view", proposal_id=proposal_id))
    flash(
        _(
            "Your full application %(reference)s is started, pre-filled from the concept note. Complete it and "
            "submit it before the deadline.",
            reference=application.reference,
        ),
        "success",
    )
    return redirect(url_for("proposals.edit", proposal_id=application.id))
