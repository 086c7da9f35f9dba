"""Calls for proposals: the public list (with filters) and page of each call, its documents and clarification
questions; the managers' pages to create, edit, publish and move calls along their statuses, extend deadlines,
upload documents and answer questions."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.calls import clarifications, labels, languages, operations, queries
from portal.calls import documents as call_documents
from portal.calls.forms import (
    AnswerForm,
    CallForm,
    DeadlineForm,
    DocumentForm,
    QuestionForm,
    StatusForm,
    TextsForm,
    add_errors,
)
from portal.calls.models import Call, CallDocument, CallQuestion, Dialogue, JvapDomain, QuestionStatus
from portal.calls.operations import CallError, create_call, edit_refusal, publish_call, update_call, utc_to_local
from portal.core import countries
from portal.core.access import load, public, role_required
from portal.core.db import utcnow
from portal.core.downloads import send_stored
from portal.core.i18n import locale_code, select_timezone
from portal.core.ids import whole_number
from portal.extensions import db
from portal.proposals.states import STATUS_LABELS

log = logging.getLogger(__name__)
bp = Blueprint("calls", __name__, url_prefix=None)


def _form(**kwargs) -> CallForm:
    form = CallForm(**kwargs)
    form.set_choices(
        db.session.scalars(select(Dialogue).order_by(Dialogue.id)),
        db.session.scalars(select(JvapDomain).order_by(JvapDomain.number)),
        countries.choices(locale_code()),
    )
    form.add_blank_requirements()
    return form


def _local(value, zone):
    return utc_to_local(value, zone) if value is not None else None


def _initial(call: Call) -> dict:
    return {
        "version": call.version_id,
        "reference": call.reference,
        "title": call.title,
        "description": call.description,
        "guidelines": call.guidelines,
        "budget_envelope": call.budget_envelope,
        "min_grant": call.min_grant,
        "max_grant": call.max_grant,
        "min_duration_months": call.min_duration_months,
        "max_duration_months": call.max_duration_months,
        "min_cofinancing_pct": call.min_cofinancing_pct,
        "max_indirect_cost_pct": call.max_indirect_cost_pct,
        "max_amount_change_pct": call.max_amount_change_pct,
        "summary_word_limit": call.summary_word_limit,
        "min_co_applicants": call.min_co_applicants,
        "max_co_applicants": call.max_co_applicants,
        "require_african_member": call.require_african_member,
        "eu_lead_needs_african_co_applicant": call.eu_lead_needs_african_co_applicant,
        "procedure": call.procedure,
        "dialogues": [d.id for d in call.dialogues],
        "domains": [d.id for d in call.domains],
        "themes": call.themes,
        "countries": call.countries,
        "lead_countries": call.lead_countries,
        "applicant_types": call.applicant_types,
        "opens_at": _local(call.opens_at, call.timezone),
        "closes_at": _local(call.closes_at, call.timezone),
        "full_application_closes_at": _local(call.full_application_closes_at, call.timezone),
        "questions_close_at": _local(call.questions_close_at, call.timezone),
        "timezone": call.timezone,
        "requirements": [
            {"kind": r.kind, "label": r.label, "required": "1" if r.required else "0", "stage": r.stage}
            for r in call.attachment_requirements
        ],
    }


def _version(field) -> int | None:
    return whole_number(field.data)


def _form_page(form: CallForm, call: Call | None, status: int = 200):
    return (
        render_template(
            "calls/form.html",
            form=form,
            call=call,
            country_groups=labels.country_groups(locale_code()),
        ),
        status,
    )


# -- public pages -------------------------------------------------------------------------------------------------


@bp.route("/calls", methods=["GET"])
@public
def public_list():
    now = utcnow()
    filters, problems = queries.resolve_filters(
        phase=request.args.get("phase"),
        dialogue=request.args.get("dialogue"),
        domain=request.args.get("domain"),
        country=request.args.get("country"),
    )
    dialogues, domains, country_codes = queries.filter_choices()
    calls = queries.filtered_public_calls(filters, now)
    page = render_template(
        "calls/public_list.html",
        calls=calls,
        filters=filters,
        problems=problems,
        dialogues=dialogues,
        domains=domains,
        country_choices=countries.choices(locale_code(), only=frozenset(country_codes)),
        now=now,
        reader_tz=select_timezone(),
    )
    return page, 400 if problems else 200


def _public_page(call_id: int, question_form: QuestionForm | None = None, status: int = 200):
    call = queries.call_with_details(call_id)
    now = utcnow()
    return (
        render_template(
            "calls/public_view.html",
            call=call,
            now=now,
            reader_tz=select_timezone(),
            phase=call.phase(now),
            questions=queries.published_questions(call),
            my_questions=queries.my_questions(call, current_user),
            question_refusal=clarifications.question_refusal(call, now),
            questions_cutoff=clarifications.questions_cutoff(call),
            question_form=question_form or QuestionForm(),
            labels=labels,
        ),
        status,
    )


@bp.route("/calls/<int:call_id>", methods=["GET"])
@public
def public_view(call_id: int):
    load(Call, call_id)  # 404 for drafts unless staff
    return _public_page(call_id)


@bp.route("/calls/<int:call_id>/questions", methods=["POST"])
@role_required("applicant")
def ask(call_id: int):
    call = load(Call, call_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            clarifications.ask_question(call, form.question.data, by=current_user)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
            if clarifications.question_refusal(call):  # the form is gone from the page: say why at the top
                for message in exc.messages:
                    flash(message, "error")
        else:
            flash(
                _("Thank you. Your question was sent; the answer will be published on this page without your name."),
                "success",
            )
            return redirect(url_for("calls.public_view", call_id=call_id, _anchor="questions"))
    elif refusal := clarifications.question_refusal(call):  # an empty question after the cut-off: the cut-off first
        flash(refusal, "error")
    return _public_page(call_id, question_form=form, status=422)


@bp.route("/calls/<int:call_id>/documents/<int:document_id>", methods=["GET"])
@public
def download_document(call_id: int, document_id: int):
    document = load(CallDocument, document_id)
    if document.call_id != call_id:
        abort(404)
    # Published with the call: anyone may keep a copy, shared caches included (briefly: a corrigendum replaces it).
    return send_stored(
        document.storage_key,
        filename=document.filename,
        content_type=document.content_type,
        sha256=document.sha256,
        what=f"call document {document.id}",
        private=False,
    )


# -- managers' pages ----------------------------------------------------------------------------------------------


@bp.route("/manage/calls", methods=["GET"])
@role_required("manager")
def manage_list():
    calls = queries.manage_calls()
    return render_template(
        "calls/manage_list.html",
        calls=calls,
        counts=queries.proposal_counts_by_call(),
        status_labels=STATUS_LABELS,
        now=utcnow(),
    )


@bp.route("/manage/calls/new", methods=["GET", "POST"])
@role_required("manager")
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            call = create_call(form.to_data(), by=current_user)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
        else:
            flash(_("Call %(reference)s created as a draft.", reference=call.reference), "success")
            return redirect(url_for("calls.manage_view", call_id=call.id))
    return _form_page(form, None, 422 if form.errors else 200)


@bp.route("/manage/calls/<int:call_id>", methods=["GET"])
@role_required("manager")
def manage_view(call_id: int):
    load(Call, call_id, need="manage")
    return _manage_page(queries.call_with_details(call_id))


def _manage_page(
    call: Call, *, texts: dict | None = None, texts_language: str | None = None, texts_errors=(), status=200
):
    """The manager's page of a call; `texts` and `texts_errors`: what was typed in the translations form, kept when
    it is refused."""
    proposals = queries.call_proposals(call)
    language = texts_language or call.language
    texts = texts if texts is not None else call.translations or {}
    return render_template(
        "calls/manage_view.html",
        texts_form=TextsForm(),
        texts_language=language,
        texts=texts,
        texts_errors=dict(texts_errors),
        text_languages=languages.other_languages(language),
        call_languages=current_app.config["LANGUAGES"],
        call=call,
        proposals=proposals,
        counts=queries.proposal_counts_by_call([call.id]).get(call.id, {}),
        status_labels=STATUS_LABELS,
        call_status_labels=labels.STATUS_LABELS,
        next_status=operations.NEXT_STATUS.get(call.status),
        edit_refusal=edit_refusal(call),
        frozen=operations.frozen_reason(call),
        pending_questions=queries.pending_question_count(call),
        reader_tz=select_timezone(),
        phase=call.phase(),
        labels=labels,
    ), status


def _frozen_page(call: Call, deadline_form: DeadlineForm, status: int = 200):
    return (
        render_template(
            "calls/frozen.html",
            call=queries.call_with_details(call.id),
            frozen=operations.frozen_reason(call),
            in_evaluation=operations.full_application_window(call),
            form=deadline_form,
            reader_tz=select_timezone(),
            labels=labels,
        ),
        status,
    )


def _deadline_form(call: Call, **kwargs) -> DeadlineForm:
    return DeadlineForm(
        data={
            "version": call.version_id,
            "closes_at": _local(call.closes_at, call.timezone),
            "full_application_closes_at": _local(call.full_application_closes_at, call.timezone),
        },
        **kwargs,
    )


@bp.route("/manage/calls/<int:call_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(call_id: int):
    call = load(Call, call_id, need="manage")
    frozen = operations.frozen_reason(call)
    refusal = edit_refusal(call)
    if refusal and not frozen:
        flash(refusal, "error")
        return redirect(url_for("calls.manage_view", call_id=call.id))
    if frozen and request.method == "GET":
        return _frozen_page(call, _deadline_form(call))
    form = _form(data=_initial(call))
    if form.validate_on_submit() or (frozen and request.method == "POST"):
        try:
            update_call(call, form.to_data(), by=current_user, expected_version=_version(form.version))
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            if frozen:  # the form is read-only: name each rule that was refused at the top of the page
                for name, message in exc.errors:
                    shown = f"{form[name].label.text}: {message}" if name and name in form else message
                    flash(shown, "error")
                return _frozen_page(call, _deadline_form(call), 422)
            add_errors(form, exc.errors)
        else:
            flash(_("Call %(reference)s saved.", reference=call.reference), "success")
            return redirect(url_for("calls.manage_view", call_id=call.id))
    return _form_page(form, call, 422 if form.errors else 200)


@bp.route("/manage/calls/<int:call_id>/deadlines", methods=["POST"])
@role_required("manager")
def extend_deadline(call_id: int):
    call = load(Call, call_id, need="manage")
    form = DeadlineForm()
    if form.validate_on_submit():
        try:
            operations.extend_deadlines(
                call,
                {
                    "closes_local": form.closes_at.data,
                    "full_application_closes_local": form.full_application_closes_at.data,
                    "reason": form.reason.data,
                },
                by=current_user,
                expected_version=_version(form.version),
            )
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
        else:
            flash(
                _(
                    "The deadline of %(reference)s was moved. Applicants drafting a proposal are told by e-mail.",
                    reference=call.reference,
                ),
                "success",
            )
            return redirect(url_for("calls.manage_view", call_id=call.id))
    if not operations.frozen_reason(call) and call.status != "published":
        flash(_("Only the deadlines of a published call can be extended."), "error")
        return redirect(url_for("calls.manage_view", call_id=call.id))
    return _frozen_page(call, form, 422)


@bp.route("/manage/calls/<int:call_id>/publish", methods=["POST"])
@role_required("manager")
def publish(call_id: int):
    call = load(Call, call_id, need="manage")
    try:
        publish_call(call, by=current_user)
        db.session.commit()
    except CallError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("Call %(reference)s is published and visible to applicants.", reference=call.reference), "success")
    return redirect(url_for("calls.manage_view", call_id=call.id))


@bp.route("/manage/calls/<int:call_id>/status", methods=["POST"])
@role_required("manager")
def change_status(call_id: int):
    call = load(Call, call_id, need="manage")
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("calls.manage_view", call_id=call.id))
    target = form.to.data or ""
    try:
        operations.change_status(call, target, by=current_user)
        db.session.commit()
    except CallError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(
            _(
                "Call %(reference)s is now %(status)s.",
                reference=call.reference,
                status=labels.label(labels.STATUS_LABELS, call.status).lower(),
            ),
            "success",
        )
    return redirect(url_for("calls.manage_view", call_id=call.id))


# -- documents ----------------------------------------------------------------------------------------------------


def _documents_page(call: Call, form: DocumentForm, status: int = 200):
    return (
        render_template(
            "calls/documents.html",
            call=queries.call_with_details(call.id),
            form=form,
            removal_refusal=call_documents.document_removal_refusal(call),
            labels=labels,
        ),
        status,
    )


@bp.route("/manage/calls/<int:call_id>/documents", methods=["GET", "POST"])
@role_required("manager")
def documents(call_id: int):
    call = load(Call, call_id, need="manage")
    form = DocumentForm(kinds=call_documents.DOCUMENT_FILE_KINDS, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    if form.validate_on_submit():
        upload = request.files.get(form.file.name)
        try:
            document = call_documents.add_document(
                call,
                title=form.title.data,
                kind=form.kind.data,
                language=form.language.data,
                filename=upload.filename if upload else "",
                # The stream, not its bytes: check_upload reads no more than the size limit.
                data=upload.stream if upload and upload.filename else None,
                by=current_user,
            )
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
        else:
            flash(_("%(title)s was added to the call.", title=document.title), "success")
            return redirect(url_for("calls.documents", call_id=call.id))
    return _documents_page(call, form, 422 if form.errors else 200)


@bp.route("/manage/calls/<int:call_id>/documents/<int:document_id>/remove", methods=["POST"])
@role_required("manager")
def remove_document(call_id: int, document_id: int):
    document = load(CallDocument, document_id)
    if document.call_id != call_id:
        abort(404)
    title = document.title
    try:
        call_documents.remove_document(document, by=current_user)
        db.session.commit()
    except CallError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("%(title)s was removed from the call.", title=title), "success")
    return redirect(url_for("calls.documents", call_id=call_id))


# -- clarifications -----------------------------------------------------------------------------------------------


def _questions_page(call: Call, forms: dict | None = None, status: int = 200):
    grouped = queries.questions_by_status(call)
    forms = forms or {}
    for question in grouped["pending"] + grouped["published"]:
        if question.id not in forms:
            forms[question.id] = AnswerForm(
                formdata=None,
                data={
                    "version": question.version_id,
                    "published_question": question.published_question or question.question,
                    "answer": question.answer,
                },
            )
            forms[question.id].translation_values = question.translations or {}
    return (
        render_template(
            "calls/questions.html",
            call=call,
            grouped=grouped,
            forms=forms,
            text_languages=languages.other_languages(call.language),
            cutoff=clarifications.questions_cutoff(call),
            reader_tz=select_timezone(),
        ),
        status,
    )


@bp.route("/manage/calls/<int:call_id>/questions", methods=["GET"])
@role_required("manager")
def questions(call_id: int):
    call = load(Call, call_id, need="manage")
    return _questions_page(call)


@bp.route("/manage/calls/<int:call_id>/questions/<int:question_id>", methods=["POST"])
@role_required("manager")
def answer(call_id: int, question_id: int):
    call = load(Call, call_id, need="manage")
    question = db.session.get(CallQuestion, question_id)
    if question is None or question.call_id != call.id:
        abort(404)
    form = AnswerForm()
    # What was typed in the other languages, shown again if the answer is refused.
    form.translation_values = languages.read_translations(
        request.form, languages.QUESTION_FIELDS, languages.other_languages(call.language)
    )
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "dismiss":
                clarifications.dismiss_question(question, by=current_user, expected_version=_version(form.version))
                message = _("The question was dismissed; it will not be published.")
            elif action == "publish":
                other = languages.other_languages(call.language)
                clarifications.publish_answer(
                    question,
                    published_question=form.published_question.data,
                    answer=form.answer.data,
                    by=current_user,
                    expected_version=_version(form.version),
                    translations=languages.translated_question_texts(
                        question, languages.read_translations(request.form, languages.QUESTION_FIELDS, other)
                    ),
                )
                message = _("The question and its answer are published on the call's page.")
            else:
                raise CallError(_("Choose whether to publish or dismiss the question."))
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
            if question.status == QuestionStatus.DISMISSED:  # its form is not on the page: say why at the top
                for text in exc.messages:
                    flash(text, "error")
        else:
            flash(message, "success")
            return redirect(url_for("calls.questions", call_id=call.id))
    return _questions_page(call, {question.id: form}, 422)


@bp.route("/manage/calls/<int:call_id>/texts", methods=["POST"])
@role_required("manager")
def translate(call_id: int):
    """The language the call is written in, and its texts in the portal's other languages."""
    call = load(Call, call_id, need="manage")
    form = TextsForm()
    if form.validate_on_submit():
        language = request.form.get("language") or call.language
        texts = languages.read_translations(request.form, languages.CALL_FIELDS, languages.other_languages(language))
        try:
            languages.save_call_texts(call, language=language, texts=texts, by=current_user)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            call = queries.call_with_details(call_id)
            return _manage_page(call, texts=texts, texts_language=language, texts_errors=exc.errors, status=422)
        flash(_("The call's texts in other languages are saved."), "success")
        return redirect(url_for("calls.manage_view", call_id=call.id) + "#texts")
    flash(_("The form expired; nothing was saved. Please try again."), "error")
    return redirect(url_for("calls.manage_view", call_id=call.id) + "#texts")
