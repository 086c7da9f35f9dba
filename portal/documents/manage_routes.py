"""Managers' pages of the documents area: the editor of document templates (with a preview on sample data), a
grant's special conditions, the bulk issue of a call's award letters with its progress, and the jobs page
(documents and e-mails of the last days). Thin handlers: load -> check access -> operation -> commit."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.calls.models import Call
from portal.core.access import load, role_required
from portal.core.db import utcnow
from portal.core.i18n import select_timezone
from portal.documents import letters, templates
from portal.documents.models import DOCUMENT_STATUS_VALUES, Document, DocumentStatus
from portal.documents.operations import DocumentError
from portal.documents.routes import bp
from portal.documents.template_models import DocumentTemplate
from portal.extensions import db
from portal.grants.models import Grant
from portal.notifications.models import MessageStatus, OutboxMessage

JOB_DAYS = (1, 3, 7, 30)
KIND_LABELS = {
    "award_letter": _l("Award letter"),
    "rejection_letter": _l("Rejection letter"),
    "reserve_letter": _l("Reserve-list letter"),
    "submission_receipt": _l("Submission receipt"),
    "committee_ranking": _l("Committee's ranked list"),
}


class TemplateForm(FlaskForm):
    html = TextAreaField(_l("HTML template"), render_kw={"rows": 30, "spellcheck": "false"})
    css = TextAreaField(
        _l("Additional CSS"),
        validators=[Optional()],
        description=_l("Applied after the letter's own stylesheet (letter.css)."),
        render_kw={"rows": 8, "spellcheck": "false"},
    )
    note = StringField(_l("What changed"), validators=[Optional()], description=_l("Kept in the history."))
    language = SelectField(_l("Preview language"), validate_choice=False)


class SpecialConditionsForm(FlaskForm):
    text = TextAreaField(
        _l("Special conditions"),
        validators=[Optional()],
        description=_l("Printed in the award letter; separate paragraphs with a blank line."),
        render_kw={"rows": 10},
    )
    reissue = BooleanField(_l("Issue a new version of the award letter now"))


class CallLettersForm(FlaskForm):
    reissue = BooleanField(_l("Issue every letter again (a new version for every grant)"))
    reason = TextAreaField(
        _l("Reason for issuing every letter again"),
        validators=[Optional()],
        description=_l("Required when every letter is issued again; kept in the audit log."),
    )


@bp.app_context_processor
def _document_helpers() -> dict:
    def decision_letter_of(proposal):
        """The current decision letter of the proposal, if the signed-in user may download it (else None)."""
        decision = getattr(proposal, "decision", None)
        if decision is None or not current_user.is_authenticated:
            return None
        document = db.session.scalar(
            db.select(Document)
            .where(Document.decision_id == decision.id, Document.superseded_at.is_(None))
            .order_by(Document.version.desc())
            .limit(1)
        )
        return document if document is not None and document.can_download(current_user) else None

    return {"decision_letter_of": decision_letter_of}


# -- document templates --------------------------------------------------------------------------------------------


def _kind_or_404(kind: str) -> str:
    if kind not in templates.EDITABLE:
        abort(404)
    return kind


def _language_choices() -> list[tuple[str, str]]:
    from portal.core.i18n import language_name

    return [(code, language_name(code)) for code in current_app.config["LANGUAGES"]]


def _editor(kind: str, form: TemplateForm, *, problem=None, code: int = 200):
    line_text = None
    if problem is not None and problem.line:
        lines = (form.html.data or "").splitlines()
        if 0 < problem.line <= len(lines):
            line_text = lines[problem.line - 1]
    return (
        render_template(
            "documents/template_editor.html",
            kind=kind,
            kind_label=templates.EDITABLE[kind],
            form=form,
            problem=problem,
            line_text=line_text,
            active=templates.active_template(kind),
            versions=templates.versions(kind),
            preview_seconds=current_app.config["DOCUMENT_PREVIEW_SECONDS"],
        ),
        code,
    )


@bp.route("/manage/document-templates", methods=["GET"])
@role_required("manager")
def template_list():
    kinds = [(kind, label, templates.active_template(kind)) for kind, label in templates.EDITABLE.items()]
    return render_template("documents/template_list.html", kinds=kinds)


@bp.route("/manage/document-templates/<kind>", methods=["GET", "POST"])
@role_required("manager")
def template_editor(kind: str):
    kind = _kind_or_404(kind)
    form = TemplateForm()
    form.language.choices = _language_choices()
    if request.method == "GET":
        source = templates.active_template(kind)
        from_version = request.args.get("version", type=int)
        if from_version is not None:
            source = db.session.scalar(
                db.select(DocumentTemplate).where(
                    DocumentTemplate.kind == kind, DocumentTemplate.version == from_version
                )
            )
            if source is None:
                abort(404)
        form.html.data = source.html if source is not None else templates.builtin_source(kind)
        form.css.data = source.css if source is not None else ""
        return _editor(kind, form)
    if not form.validate():
        return _editor(kind, form, code=400)
    action = request.form.get("action")
    try:
        if action == "preview":
            data = templates.preview(kind, form.html.data or "", form.css.data or "", language=form.language.data)
            response = make_response(data)
            response.headers["Content-Type"] = "application/pdf"
            response.headers["Content-Disposition"] = f'inline; filename="preview-{kind}.pdf"'
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response
        if action != "save":
            abort(400)
        saved = templates.save_template(
            kind, form.html.data or "", form.css.data or "", note=form.note.data or "", by=current_user
        )
    except templates.TemplateEditError as exc:
        db.session.rollback()
        return _editor(kind, form, problem=exc, code=422)
    db.session.commit()
    flash(_("Version %(version)d saved: new documents of this kind use it.", version=saved.version), "success")
    return redirect(url_for("documents.template_editor", kind=kind))


@bp.route("/manage/document-templates/<kind>/default", methods=["POST"])
@role_required("manager")
def template_default(kind: str):
    kind = _kind_or_404(kind)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        templates.restore_default(kind, by=current_user)
    except templates.TemplateEditError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The built-in template is in use again; the saved versions are kept."), "success")
    return redirect(url_for("documents.template_editor", kind=kind))


@bp.route("/manage/document-templates/<kind>/versions/<int:version>/restore", methods=["POST"])
@role_required("manager")
def template_restore(kind: str, version: int):
    kind = _kind_or_404(kind)
    if not FlaskForm().validate_on_submit():
        abort(400)
    old = db.session.scalar(
        db.select(DocumentTemplate).where(DocumentTemplate.kind == kind, DocumentTemplate.version == version)
    )
    if old is None:
        abort(404)
    try:
        restored = templates.restore_version(old, by=current_user)
    except templates.TemplateEditError as exc:
        db.session.rollback()
        flash(_("Version %(version)d cannot be restored: %(reason)s", version=version, reason=exc.message), "error")
    else:
        db.session.commit()
        flash(_("Version %(old)d restored as version %(new)d.", old=version, new=restored.version), "success")
    return redirect(url_for("documents.template_editor", kind=kind))


# -- a grant's special conditions ----------------------------------------------------------------------------------


@bp.route("/grants/<int:grant_id>/letter/conditions", methods=["GET", "POST"])
@role_required("manager")
def special_conditions(grant_id: int):
    grant = load(Grant, grant_id, need="manage")
    form = SpecialConditionsForm()
    if request.method == "GET":
        form.text.data = grant.special_conditions or ""
    elif form.validate():
        try:
            letters.set_special_conditions(grant, form.text.data or "", by=current_user)
            if form.reissue.data:
                letters.request_award_letter(grant, by=current_user)
        except DocumentError as exc:
            db.session.rollback()
            form.text.errors.append(str(exc))
        else:
            db.session.commit()
            if form.reissue.data:
                flash(_("Special conditions saved; a new version of the award letter is being prepared."), "success")
            else:
                flash(_("Special conditions saved; they will appear in the next version of the letter."), "success")
            return redirect(url_for("grants.view", grant_id=grant.id))
    code = 422 if form.errors else 200
    return render_template("documents/special_conditions.html", grant=grant, form=form), code


# -- the award letters of a call -----------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/letters", methods=["GET", "POST"])
@role_required("manager")
def call_letters(call_id: int):
    call = load(Call, call_id, need="manage")
    form = CallLettersForm()
    if request.method == "POST" and form.validate():
        try:
            queued = letters.issue_call_letters(
                call, by=current_user, reissue=form.reissue.data, reason=form.reason.data or ""
            )
        except DocumentError as exc:
            db.session.rollback()
            form.reason.errors.append(str(exc))
        else:
            db.session.commit()  # the render jobs are sent after this commit
            if queued:
                flash(ngettext("%(num)d award letter queued.", "%(num)d award letters queued.", len(queued)), "success")
            else:
                flash(_("Every grant of this call already has its award letter, ready or on its way."), "info")
            return redirect(url_for("documents.call_letters", call_id=call.id))
    counts = letters.call_letter_counts(call.id)
    pending = counts["queued"] + counts["running"]
    grants_without = db.session.scalar(
        db.select(db.func.count(Grant.id)).where(Grant.call_id == call.id, ~Grant.documents.any())
    )
    code = 422 if form.errors else 200
    return (
        render_template(
            "documents/call_letters.html",
            call=call,
            form=form,
            counts=counts,
            pending=pending,
            grants_without=grants_without,
            documents=letters.call_letters(call.id),
        ),
        code,
    )


# -- the jobs page -------------------------------------------------------------------------------------------------


def _job_filters() -> tuple[int, str | None, str | None]:
    days = request.args.get("days", 7, type=int)
    if days not in JOB_DAYS:
        days = 7
    status = request.args.get("status") or None
    if status not in (*DOCUMENT_STATUS_VALUES, None):
        status = None
    mail_status = request.args.get("mail_status") or None
    if mail_status not in (*(s.value for s in MessageStatus), None):
        mail_status = None
    return days, status, mail_status


@bp.route("/manage/jobs", methods=["GET"])
@role_required("manager")
def jobs():
    days, status, mail_status = _job_filters()
    since = utcnow() - dt.timedelta(days=days)
    documents = letters.recent_documents(days=days, status=status)
    query = db.select(OutboxMessage).where(OutboxMessage.created_at >= since)
    if mail_status:
        query = query.where(OutboxMessage.status == mail_status)
    messages = list(db.session.scalars(query.order_by(OutboxMessage.created_at.desc()).limit(200)))
    document_counts = dict(
        db.session.execute(
            db.select(Document.status, db.func.count(Document.id))
            .where(Document.queued_at >= since)
            .group_by(Document.status)
        ).all()
    )
    pending = document_counts.get(DocumentStatus.QUEUED.value, 0) + document_counts.get(DocumentStatus.RUNNING.value, 0)
    return render_template(
        "documents/jobs.html",
        days=days,
        day_choices=JOB_DAYS,
        status=status,
        mail_status=mail_status,
        statuses=DOCUMENT_STATUS_VALUES,
        mail_statuses=[s.value for s in MessageStatus],
        documents=documents,
        messages=messages,
        document_counts=document_counts,
        pending=pending,
        kind_labels=KIND_LABELS,
        reader_tz=select_timezone(),  # named once above the tables, not in every cell
    )
