"""Pages of a proposal's internal discussion, of the clarifications asked of its applicants, and of its timeline.
Thin handlers: load -> check access -> call an operation (portal.evaluation.threads) -> commit -> redirect, or
re-render with what was typed."""

from __future__ import annotations

import datetime as dt
import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from portal.calls.operations import CallError, local_to_utc, utc_to_local
from portal.core.access import authenticated, load, role_required
from portal.core.db import utcnow
from portal.core.downloads import send_stored
from portal.core.i18n import select_timezone
from portal.evaluation import threads, timeline
from portal.evaluation.operations import EvaluationError
from portal.evaluation.routes import _attach_error, bp
from portal.evaluation.thread_forms import AnswerForm, ClarificationForm, MessageForm
from portal.evaluation.thread_models import ClarificationRequest
from portal.extensions import db
from portal.proposals.models import Proposal

log = logging.getLogger(__name__)

DEFAULT_ANSWER_DAYS = 7


@bp.app_template_filter("plain_text")
def plain_text(value: str | None) -> Markup:
    """Text a person typed, escaped, with its line breaks kept."""
    return Markup("<br>\n").join(escape(line) for line in (value or "").split("\n"))


@bp.app_template_global()
def thread_panel(proposal: Proposal) -> dict:
    """What the proposal page (templates/proposals/_clarifications.html) and the evaluator's scoring page show about
    the discussion, the clarifications and the timeline, for the current user."""
    user = current_user
    see_clarifications = _sees_clarifications(proposal, user)
    requests = threads.clarifications_of(proposal) if see_clarifications else []
    return {
        "can_read_thread": threads.can_read_thread(proposal, user),
        "can_ask": threads.can_ask_clarification(proposal, user),
        "sees_clarifications": see_clarifications,
        "requests": requests,
        "open_requests": [r for r in requests if r.is_open],
        "has_timeline": timeline.audience(proposal, user) is not None,
    }


def _sees_clarifications(proposal: Proposal, user) -> bool:
    return bool(user.is_authenticated) and (user.is_staff or proposal.is_applicant_member(user))


# -- the internal discussion -----------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/discussion", methods=["GET", "POST"])
@role_required("manager", "evaluator")
def thread(proposal_id: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    if not threads.can_read_thread(proposal, current_user):
        # 404 for an evaluator who may not see the proposal at all; 403 for one who reads it but not the discussion.
        # (In a blind stage the evaluator reads the proposal only through the evaluation pages, yet may take part.)
        abort(403 if proposal.can_view(current_user) else 404)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            threads.post_message(proposal, form.body.data, by=current_user)
        except EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your message is posted."), "success")
            return redirect(url_for("evaluation.thread", proposal_id=proposal_id, _anchor="new-message"))
        proposal = db.session.get(Proposal, proposal_id)
    status = 422 if form.errors else 200
    return render_template(
        "evaluation/thread.html",
        proposal=proposal,
        messages=threads.thread_messages(proposal),
        form=form,
        hide_identity=threads.identity_hidden(proposal, current_user),
    ), status


# -- clarifications ------------------------------------------------------------------------------------------------


def _clarifications_proposal(proposal_id: int) -> Proposal:
    """The proposal, for staff and the lead organisation's users: 404 for who may not see it, 403 for the others who
    may (evaluators, consortium partners)."""
    proposal = load(Proposal, proposal_id)
    if not _sees_clarifications(proposal, current_user):
        abort(403)
    return proposal


def _request_of(proposal: Proposal, request_id: int) -> ClarificationRequest:
    clarification = db.session.get(ClarificationRequest, request_id)
    if clarification is None or clarification.proposal_id != proposal.id:
        abort(404)
    return clarification


@bp.route("/proposals/<int:proposal_id>/clarifications", methods=["GET"])
@authenticated
def clarifications(proposal_id: int):
    proposal = _clarifications_proposal(proposal_id)
    return render_template(
        "evaluation/clarifications.html",
        proposal=proposal,
        requests=threads.clarifications_of(proposal),
        can_ask=threads.can_ask_clarification(proposal, current_user),
        call_tz=proposal.call.timezone,
        reader_tz=select_timezone(),
    )


@bp.route("/manage/proposals/<int:proposal_id>/clarifications/new", methods=["GET", "POST"])
@role_required("manager")
def ask_clarification(proposal_id: int):
    proposal = load(Proposal, proposal_id)
    if not threads.can_ask_clarification(proposal, current_user):
        flash(_("Clarifications can only be asked about a submitted proposal."), "error")
        return redirect(url_for("proposals.view", proposal_id=proposal.id))
    call_tz = proposal.call.timezone
    form = ClarificationForm()
    if request.method == "GET":
        # A week from now at noon, in the call's time zone: a deadline people can meet, to change at will.
        form.due_at.data = (utc_to_local(utcnow(), call_tz) + dt.timedelta(days=DEFAULT_ANSWER_DAYS)).replace(
            hour=12, minute=0, second=0, microsecond=0
        )
    if form.validate_on_submit():
        try:
            due_at = local_to_utc(form.due_at.data, call_tz) if form.due_at.data else None
            threads.ask_clarification(proposal, form.question.data, due_at, by=current_user)
        except CallError as exc:
            db.session.rollback()
            form.due_at.errors = [*form.due_at.errors, *exc.messages]
        except EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your request is sent; the lead organisation's contact persons have been e-mailed."), "success")
            return redirect(url_for("evaluation.clarifications", proposal_id=proposal_id))
        proposal = db.session.get(Proposal, proposal_id)
    return render_template(
        "evaluation/clarification_ask.html", proposal=proposal, form=form, call_tz=call_tz
    ), 422 if form.errors else 200


@bp.route("/proposals/<int:proposal_id>/clarifications/<int:request_id>", methods=["GET", "POST"])
@authenticated
def clarification(proposal_id: int, request_id: int):
    proposal = _clarifications_proposal(proposal_id)
    clarification = _request_of(proposal, request_id)
    can_answer = clarification.can_answer(current_user)
    form = AnswerForm() if can_answer else None
    if request.method == "POST":
        if not proposal.is_applicant_member(current_user):
            abort(403)
        if form is None:
            flash(
                _("This request was cancelled and takes no answer.")
                if clarification.status == "cancelled"
                else _("This request has already been answered."),
                "error",
            )
            return redirect(url_for("evaluation.clarification", proposal_id=proposal_id, request_id=request_id))
        if form.validate_on_submit():
            upload = form.attachment.data
            has_file = bool(upload and upload.filename)
            try:
                threads.answer_clarification(
                    clarification,
                    form.answer.data,
                    by=current_user,
                    filename=upload.filename if has_file else None,
                    data=upload.stream if has_file else None,
                )
            except EvaluationError as exc:
                db.session.rollback()
                _attach_error(form, exc)
                if has_file and exc.field != "attachment":
                    form.attachment.errors = [
                        *form.attachment.errors,
                        _("Your file was not kept: choose it again."),
                    ]
            else:
                key = clarification.attachment_key
                try:
                    db.session.commit()
                except Exception:
                    db.session.rollback()
                    if key:
                        threads.discard_file(key)
                    raise
                flash(_("Thank you: your answer is sent to the programme management."), "success")
                return redirect(url_for("evaluation.clarification", proposal_id=proposal_id, request_id=request_id))
            proposal = db.session.get(Proposal, proposal_id)
            clarification = db.session.get(ClarificationRequest, request_id)
    return render_template(
        "evaluation/clarification.html",
        proposal=proposal,
        clarification=clarification,
        form=form,
        call_tz=proposal.call.timezone,
        reader_tz=select_timezone(),
    ), 422 if form is not None and form.errors else 200


@bp.route("/manage/proposals/<int:proposal_id>/clarifications/<int:request_id>/cancel", methods=["POST"])
@role_required("manager")
def cancel_clarification(proposal_id: int, request_id: int):
    proposal = load(Proposal, proposal_id)
    clarification = _request_of(proposal, request_id)
    try:
        threads.cancel_request(clarification, by=current_user)
    except EvaluationError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The request is cancelled."), "success")
    return redirect(url_for("evaluation.clarifications", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/clarifications/<int:request_id>/file", methods=["GET"])
@authenticated
def clarification_file(proposal_id: int, request_id: int):
    proposal = _clarifications_proposal(proposal_id)
    clarification = _request_of(proposal, request_id)
    if not clarification.attachment_key:
        abort(404)
    return send_stored(
        clarification.attachment_key,
        filename=clarification.attachment_name or "file",
        content_type=clarification.attachment_content_type or "application/octet-stream",
        sha256=clarification.attachment_sha256,
        what=f"clarification {clarification.id}",
    )


# -- the timeline --------------------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/timeline", methods=["GET"])
@authenticated
def proposal_timeline(proposal_id: int):
    # Not `load`: in a blind stage the evaluator may not open the proposal page, but reads its timeline, which names
    # no applicant (the audience decides who reads what).
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or timeline.audience(proposal, current_user) is None:
        abort(404)
    return render_template(
        "evaluation/timeline.html",
        proposal=proposal,
        events=timeline.timeline(proposal, current_user),
        hide_identity=threads.identity_hidden(proposal, current_user),
    )
