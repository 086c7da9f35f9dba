"""Evaluator pages (own profile, the declaration to sign, documents of an assigned proposal) and the manager's
pages about evaluators (their profiles, automatic assignment of a stage, progress and reminders, reopening a
review). Registered on the evaluation blueprint; thin handlers like routes.py."""

from __future__ import annotations

import logging
import os

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import User
from portal.calls.models import Call, JvapDomain
from portal.core import countries
from portal.core.access import load, role_required
from portal.core.downloads import send_stored
from portal.core.i18n import locale_code
from portal.core.ids import parse_id
from portal.evaluation import evaluator_operations as ops
from portal.evaluation import operations, pipeline, progress
from portal.evaluation.conflicts import profile_of
from portal.evaluation.evaluator_forms import AutoAssignForm, ProfileForm, ReopenForm, SignDeclarationForm
from portal.evaluation.models import Assignment, AssignmentStatus
from portal.evaluation.routes import _attach_error, _own_assignment, bp
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.proposals.models import ProposalAttachment

log = logging.getLogger(__name__)


@bp.app_template_global()
def evaluator_has_signed(user) -> bool:
    profile = profile_of(user)
    return profile is not None and profile.has_signed


# -- the evaluator's own pages ---------------------------------------------------------------------------------


def _profile_form(formdata=None) -> ProfileForm:
    locale = locale_code()
    form = ProfileForm(formdata=formdata) if formdata is not None else ProfileForm()
    form.domains.choices = [
        (d.id, f"{d.number}. {getattr(d, 'name_fr' if locale == 'fr' else 'name_en')}")
        for d in db.session.scalars(select(JvapDomain).order_by(JvapDomain.number))
    ]
    form.languages.choices = ops.language_choices(locale)
    form.countries.choices = countries.choices(locale)
    organisations = [
        (o.id, f"{o.name} ({countries.name(o.country, locale)})")
        for o in db.session.scalars(select(Organisation).order_by(Organisation.legal_name))
    ]
    form.organisation_id.choices = [(0, _("None or not registered")), *organisations]
    return form


@bp.route("/evaluation/profile", methods=["GET", "POST"])
@role_required("evaluator")
def profile():
    form = _profile_form()
    if request.method == "GET":
        mine = profile_of(current_user)
        if mine is not None:
            form.domains.data = [d.id for d in mine.domains]
            form.themes.data = mine.themes
            form.languages.data = list(mine.languages or [])
            form.countries.data = list(mine.countries or [])
            form.organisation_id.data = mine.organisation_id or 0
            form.past_employer_names.data = "\n".join(mine.past_employer_names or [])
    elif form.validate_on_submit():
        data = ops.ProfileData(
            domain_ids=list(form.domains.data or []),
            themes=form.themes.data or "",
            languages=list(form.languages.data or []),
            countries=list(form.countries.data or []),
            organisation_id=form.organisation_id.data or None,
            past_employer_names=(form.past_employer_names.data or "").splitlines(),
        )
        try:
            ops.save_profile(current_user, data, by=current_user)
        except operations.EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("evaluation.profile"))
    return render_template("evaluation/evaluator_profile.html", form=form, profile=profile_of(current_user))


@bp.route("/evaluation/confidentiality-and-impartiality", methods=["GET", "POST"])
@role_required("evaluator")
def sign_declaration():
    mine = profile_of(current_user)
    form = SignDeclarationForm()
    if form.validate_on_submit():
        try:
            ops.sign_declaration(
                current_user,
                confidentiality=bool(form.confidentiality.data),
                impartiality=bool(form.impartiality.data),
                by=current_user,
            )
        except operations.EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("Thank you: your declaration is signed. Programme managers can now assign proposals to you."),
                "success",
            )
            return redirect(url_for("evaluation.queue"))
    return render_template(
        "evaluation/evaluator_declaration.html",
        form=form,
        profile=mine,
        version=ops.DECLARATION_VERSION,
    )


def _neutral_filename(assignment: Assignment, attachment: ProposalAttachment, position: int) -> str:
    """A file name that names no one: the proposal's reference, the document's kind and its number."""
    extension = os.path.splitext(attachment.filename)[1].lower()[:10]
    safe_kind = "".join(c for c in attachment.kind if c.isalnum() or c in "-_") or "document"
    return f"{assignment.proposal.reference}-{safe_kind}-{position}{extension}"


@bp.route("/evaluation/assignments/<int:assignment_id>/documents/<int:attachment_id>", methods=["GET"])
@role_required("evaluator")
def document(assignment_id: int, attachment_id: int):
    """A document of the proposal, for its evaluator once they have declared no conflict. Served under a neutral
    file name (in a blind stage, the original name could name the applicant)."""
    assignment = _own_assignment(assignment_id)
    if not assignment.declared_no_conflict:
        abort(404)
    attachments = list(assignment.proposal.attachments)
    attachment = next((a for a in attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    position = attachments.index(attachment) + 1
    return send_stored(
        attachment.storage_key,
        filename=_neutral_filename(assignment, attachment, position),
        content_type=attachment.content_type,
        sha256=attachment.sha256,
        what=f"attachment {attachment.id} of proposal {assignment.proposal_id} (evaluator)",
    )


# -- the manager's pages ---------------------------------------------------------------------------------------


@bp.route("/manage/evaluators", methods=["GET"])
@role_required("manager")
def evaluators():
    return render_template("evaluation/evaluators.html", people=ops.evaluators_with_profiles())


def _stage_of(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = pipeline.stage_for_call(call, request.args.get("stage_id", type=int))
    return call, stage


@bp.route("/manage/calls/<int:call_id>/auto-assign", methods=["GET", "POST"])
@role_required("manager")
def auto_assign(call_id: int):
    call, stage = _stage_of(call_id)
    form = AutoAssignForm()
    planned = ops.plan_stage(stage) if stage is not None else None
    if request.method == "POST" and stage is not None:
        if not form.validate_on_submit():
            form.form_errors.append(_("The form expired. Check the plan again, then confirm."))
        else:
            try:
                done = ops.confirm_plan(stage, form.fingerprint.data or "", by=current_user)
            except ops.PlanChangedError as exc:
                db.session.rollback()
                planned = exc.current
                form.form_errors.append(str(exc.message))
            except operations.EvaluationError as exc:
                db.session.rollback()
                planned = ops.plan_stage(stage)
                form.form_errors.append(str(exc.message))
            else:
                count = len(done.plan.pairs)
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d assignment is created; each evaluator has been e-mailed once.",
                        "%(num)d assignments are created; each evaluator has been e-mailed once.",
                        count,
                    ),
                    "success",
                )
                return redirect(url_for("evaluation.assign", call_id=call.id, stage_id=stage.id))
    if planned is not None:
        form.fingerprint.data = planned.plan.fingerprint
    return render_template("evaluation/auto_assign.html", call=call, stage=stage, planned=planned, form=form)


@bp.route("/manage/calls/<int:call_id>/progress", methods=["GET"])
@role_required("manager")
def progress_page(call_id: int):
    call, stage = _stage_of(call_id)
    state = progress.stage_progress(stage) if stage is not None else None
    return render_template("evaluation/progress.html", call=call, stage=stage, progress=state)


@bp.route("/manage/calls/<int:call_id>/reminders", methods=["POST"])
@role_required("manager")
def remind(call_id: int):
    call, stage = _stage_of(call_id)
    if stage is None:
        abort(404)
    target = request.form.get("evaluator", "")
    if target == "late":
        people = [row.evaluator for row in progress.stage_progress(stage).late_evaluators]
    else:
        evaluator = db.session.get(User, parse_id(target)) if parse_id(target) else None
        people = [evaluator] if evaluator is not None else []
    if not people:
        flash(_("Nobody to remind: choose an evaluator with unfinished reviews."), "error")
        return redirect(url_for("evaluation.progress_page", call_id=call.id, stage_id=stage.id))
    reminded, skipped = ops.send_reminders(stage, people, by=current_user)
    db.session.commit()
    if reminded:
        flash(
            ngettext("%(num)d evaluator has been reminded.", "%(num)d evaluators have been reminded.", len(reminded)),
            "success",
        )
    if skipped:
        flash(
            ngettext(
                "%(num)d evaluator was not reminded: already reminded today, or nothing left to do.",
                "%(num)d evaluators were not reminded: already reminded today, or nothing left to do.",
                len(skipped),
            ),
            "info",
        )
    return redirect(url_for("evaluation.progress_page", call_id=call.id, stage_id=stage.id))


@bp.route("/manage/assignments/<int:assignment_id>/reopen", methods=["GET", "POST"])
@role_required("manager")
def reopen(assignment_id: int):
    assignment = load(Assignment, assignment_id)
    form = ReopenForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            operations.reopen_review(assignment, form.reason.data or "", by=current_user)
        except operations.EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
            assignment = db.session.get(Assignment, assignment_id)
        else:
            db.session.commit()
            flash(
                _(
                    "The review of %(reference)s by %(name)s is reopened; the evaluator has been e-mailed.",
                    reference=assignment.proposal.reference,
                    name=assignment.evaluator.display_name,
                ),
                "success",
            )
            return redirect(url_for("evaluation.assign", call_id=assignment.proposal.call_id))
    return render_template(
        "evaluation/reopen.html",
        assignment=assignment,
        form=form,
        can_reopen=assignment.status == AssignmentStatus.SUBMITTED,
    )
