"""Documents: download of a rendered letter (access through its grant) or submission receipt (through its proposal),
retry of a failed render (staff), and the public verification page for the code printed on each document."""

from __future__ import annotations

import io
import logging

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.access import authenticated, load, public, role_required
from portal.core.storage import StorageError
from portal.documents import operations
from portal.documents.models import Document
from portal.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("documents", __name__)


@bp.route("/documents/<int:document_id>/download", methods=["GET"])
@authenticated
def download(document_id: int):
    document = load(Document, document_id, need="download")
    if not document.is_ready:
        return render_template("documents/not_ready.html", document=document), 409
    try:
        data = operations.read_pdf(document)
    except StorageError:
        log.exception("document %s is ready but its file is missing", document.id)
        abort(500)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=document.filename,
        etag=document.sha256,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/documents/<int:document_id>/retry", methods=["POST"])
@role_required("manager")
def retry(document_id: int):
    document = load(Document, document_id, need="retry")
    try:
        operations.retry_document(document, by=current_user)
    except operations.DocumentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        if document.is_ranked_list:
            flash(_("The ranked list is queued again; it will be ready in a moment."), "success")
        elif document.is_receipt:
            flash(_("The submission receipt is queued again; it will be ready in a moment."), "success")
        elif document.is_decision_letter:
            flash(_("The decision letter is queued again; it will be ready in a moment."), "success")
        else:
            flash(_("The award letter is queued again; it will be ready in a moment."), "success")
    if document.is_ranked_list:
        return redirect(url_for("evaluation.committee_page", call_id=document.call_id, stage_id=document.stage_id))
    if document.is_receipt or document.is_decision_letter:
        return redirect(url_for("proposals.view", proposal_id=document.proposal.id))
    return redirect(url_for("grants.view", grant_id=document.grant_id))


@bp.route("/verify/<code>", methods=["GET"])
@bp.route("/verify/<path:code>", methods=["GET"])  # a code typed with a slash in it gets the same answer
@public
def verify(code: str):
    document = operations.find_by_code(code)
    if document is None:
        return render_template("documents/verify_unknown.html", code=code), 404
    # Only what identifies the document is shown: for a receipt, the proposal's reference and the lead organisation,
    # as a letter shows its grant's number and holder; never the proposal's content or status.
    return render_template(
        "documents/verify.html",
        document=document,
        grant=document.grant,
        snapshot=document.snapshot,
        latest_version=operations.latest_version(document),
    )


from portal.documents import manage_routes as _manage_routes  # noqa: E402, F401
from portal.documents import ranking_routes as _ranking_routes  # noqa: E402, F401
