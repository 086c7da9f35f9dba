"""Manager pages of moderation, shortlisting, the committee's decisions and the exports of the ranked list.
Registered on the evaluation blueprint. Thin handlers: load -> check access -> call an operation -> commit ->
flash and redirect, or re-render with what was typed."""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.calls.models import Call
from portal.core.access import load, role_required
from portal.evaluation import committee, moderation, pipeline, queries
from portal.evaluation import exports as committee_exports
from portal.evaluation.committee_forms import CommonReasonForm, ReserveAwardForm, ShortlistForm, moderation_form
from portal.evaluation.operations import EvaluationError, ReviewError
from portal.evaluation.ranking import row_for as ranking_row_for
from portal.evaluation.routes import _attach_error, bp
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalStatus


def _stage_of(proposal: Proposal):
    """The scored stage to moderate: the one asked for (of the proposal's call), else the one scoring it."""
    stage_id = request.args.get("stage_id", type=int)
    stage = pipeline.stage_for_call(proposal.call, stage_id) if stage_id else pipeline.scoring_stage_for(proposal)
    if stage is None:
        abort(404)
    return queries.stage_with_grid(stage.id)


# -- moderation ------------------------------------------------------------------------------------------------


@bp.route("/manage/proposals/<int:proposal_id>/moderation", methods=["GET", "POST"])
@role_required("manager")
def moderate(proposal_id: int):
    proposal = load(Proposal, proposal_id, need="decide")
    stage = _stage_of(proposal)
    current = moderation.current_moderation(stage, proposal)
    form = moderation_form(stage)
    if request.method == "GET":
        if current is not None:
            form.justification.data = current.justification
            for entry in current.scores:
                form.score_field(entry.criterion_id).data = queries.scale_label(entry.score)
                form.comment_field(entry.criterion_id).data = entry.comment
    elif form.validate_on_submit() and (data := form.scores()) is not None:
        try:
            moderation.record_consensus(
                proposal, stage, data, justification=form.justification.data or "", by=current_user
            )
        except ReviewError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            for problem in exc.problems:
                if problem.field == "justification":
                    target = form.justification
                elif problem.field == "comment":
                    target = form.comment_field(problem.criterion_id)
                else:
                    target = form.score_field(problem.criterion_id)
                target.errors = [*target.errors, str(problem.message)]
        except EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("The consensus on %(reference)s is recorded.", reference=proposal.reference), "success")
            return redirect(
                url_for("evaluation.ranking", call_id=proposal.call_id, stage_id=stage.id, show=proposal.id)
                + f"#rank-{proposal.id}"
            )
        proposal = db.session.get(Proposal, proposal_id)
        stage = queries.stage_with_grid(stage.id)
    row = ranking_row_for(proposal.call, proposal, stage)
    reviews = [a for a in proposal.assignments if a.stage_id == stage.id and a.is_submitted]
    return render_template(
        "evaluation/moderate.html",
        proposal=proposal,
        call=proposal.call,
        stage=stage,
        form=form,
        row=row,
        reviews=sorted(reviews, key=lambda a: (a.submitted_at, a.id)),
        scores={a.id: queries.scores_of(a) for a in reviews},
        history=moderation.history(stage, proposal),
        divergence=moderation.divergence(stage, proposal),
    )


# -- shortlisting ----------------------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/shortlist", methods=["GET", "POST"])
@role_required("manager")
def shortlist(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = pipeline.stage_for_call(call, request.args.get("stage_id", type=int))
    problem = committee.shortlist_problem(call, stage)
    form = ShortlistForm()
    lines, blockers = None, []
    if request.method == "POST" and problem is None and form.validate_on_submit():
        try:
            if form.confirm.data:
                confirmed = committee.confirm_shortlist(
                    call, stage, mode=form.mode.data, value=form.value, reason=form.reason.data, by=current_user
                )
            else:
                lines = committee.shortlist_preview(call, stage, mode=form.mode.data, value=form.value)
        except committee.CommitteeError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
            blockers = [str(m) for m in exc.problems.values()]
            lines = committee.shortlist_preview(call, stage, mode=form.mode.data, value=form.value)
        except EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
            lines = None
        else:
            if form.confirm.data:
                db.session.commit()
                flash(
                    _(
                        "The shortlist is confirmed: %(count)d shortlisted, %(others)d not shortlisted. "
                        "The leads of those not shortlisted have been told.",
                        count=sum(1 for line in confirmed if line.shortlisted),
                        others=sum(1 for line in confirmed if not line.shortlisted),
                    ),
                    "success",
                )
                return redirect(url_for("evaluation.shortlist", call_id=call.id, stage_id=stage.id))
    waiting = committee.shortlisted(call, stage) if problem is None else []
    if problem is None and not blockers:
        under_review = (ProposalStatus.UNDER_REVIEW.value,)
        rows = [r for r in queries.ranking(call, stage) if r.proposal.status in under_review]
        blockers = [str(m) for m in committee.not_ready(rows, stage, under_review)]
    return render_template(
        "evaluation/shortlist.html",
        call=call,
        stage=stage,
        problem=problem,
        form=form,
        lines=lines,
        blockers=blockers,
        waiting=waiting,
    )


@bp.route("/manage/calls/<int:call_id>/shortlist/invite", methods=["POST"])
@role_required("manager")
def invite_shortlisted(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = pipeline.stage_for_call(call, request.form.get("stage_id", type=int))
    try:
        invited = committee.invite_shortlisted(call, stage, by=current_user)
    except EvaluationError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(
            _("%(count)d leads are invited to submit a full application and have been e-mailed.", count=len(invited)),
            "success",
        )
    return redirect(url_for("evaluation.shortlist", call_id=call.id, stage_id=stage.id if stage else None))


# -- committee -------------------------------------------------------------------------------------------------

_FIELD = re.compile(r"^(outcome|reason)_(\d+)$")


@bp.route("/manage/calls/<int:call_id>/committee", methods=["GET", "POST"])
@role_required("manager")
def committee_page(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = committee.committee_stage(call, request.args.get("stage_id", type=int))
    problem = committee.committee_problem(call, stage)
    form = CommonReasonForm()
    outcomes: dict[int, str] = {}
    reasons: dict[int, str] = {}
    problems: dict[int, str] = {}
    if request.method == "POST":
        for key, value in request.form.items():
            if match := _FIELD.match(key):
                target = outcomes if match.group(1) == "outcome" else reasons
                target[int(match.group(2))] = value
        if problem is None and form.validate_on_submit() and form.recommend.data:
            try:
                recommended = committee.recommend_awards(
                    call,
                    stage,
                    outcomes=outcomes,
                    reasons=reasons,
                    common_reason=form.common_reason.data or "",
                    by=current_user,
                )
            except committee.CommitteeError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc.message))
                problems = {pid: str(m) for pid, m in exc.problems.items()}
            else:
                db.session.commit()
                flash(
                    _(
                        "%(count)d proposals are recommended for an award. Confirm the decisions once their "
                        "supporting documents are verified.",
                        count=len(recommended),
                    ),
                    "success",
                )
                return redirect(url_for("evaluation.committee_page", call_id=call.id, stage_id=stage.id))
        elif problem is None and form.validate_on_submit():
            try:
                decisions = committee.decide_committee(
                    call,
                    stage,
                    outcomes=outcomes,
                    reasons=reasons,
                    common_reason=form.common_reason.data or "",
                    by=current_user,
                )
            except committee.CommitteeError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc.message))
                problems = {pid: str(m) for pid, m in exc.problems.items()}
            except EvaluationError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc.message))
            else:
                db.session.commit()
                flash(
                    _("%(count)d decisions are recorded; the applicants have been told.", count=len(decisions)),
                    "success",
                )
                return redirect(url_for("evaluation.committee_page", call_id=call.id, stage_id=stage.id))
    lines = committee.committee_lines(call, stage) if problem is None else []
    waiting_on = committee.not_ready([line.row for line in lines], stage, committee.DECIDABLE) if lines else []
    return render_template(
        "evaluation/committee.html",
        waiting_on=waiting_on,
        call=call,
        stage=stage,
        problem=problem,
        form=form,
        lines=lines,
        outcomes=outcomes,
        reasons=reasons,
        problems=problems,
        reserve_form=ReserveAwardForm(formdata=None),
    )


@bp.route("/manage/proposals/<int:proposal_id>/reserve-award", methods=["POST"])
@role_required("manager")
def award_reserve(proposal_id: int):
    proposal = load(Proposal, proposal_id, need="decide")
    form = ReserveAwardForm()
    stage = pipeline.scoring_stage_for(proposal)
    back = url_for("evaluation.committee_page", call_id=proposal.call_id, stage_id=stage.id if stage else None)
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(back)
    try:
        committee.award_from_reserve(proposal, reason=form.reason.data or "", by=current_user)
    except EvaluationError as exc:
        db.session.rollback()
        flash(_("%(reference)s: %(why)s", reference=proposal.reference, why=str(exc.message)), "error")
        return redirect(back + f"#line-{proposal.id}")
    grant = proposal.grant
    db.session.commit()
    flash(
        _(
            "%(reference)s is awarded from the reserve list: grant %(number)s is created.",
            reference=proposal.reference,
            number=grant.agreement_number,
        ),
        "success",
    )
    return redirect(back)


# -- exports ---------------------------------------------------------------------------------------------------


def _export_lines(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = committee.committee_stage(call, request.args.get("stage_id", type=int))
    if stage is None:
        abort(404)
    return call, stage, committee.committee_lines(call, stage)


def _filename(call: Call, extension: str) -> str:
    return "ranking-" + re.sub(r"[^A-Za-z0-9._-]+", "-", call.reference) + "." + extension


@bp.route("/manage/calls/<int:call_id>/committee.xlsx", methods=["GET"])
@role_required("manager")
def committee_xlsx(call_id: int):
    call, _stage, lines = _export_lines(call_id)
    return Response(
        committee_exports.xlsx_bytes(lines),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(call, "xlsx")}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/manage/calls/<int:call_id>/committee.pdf", methods=["GET"])
@role_required("manager")
def committee_pdf(call_id: int):
    """The ranked list's PDF is a generated document (portal.documents.rankings): the current version when it shows
    the ranking as it is now, else the committee page, where a manager asks for an up-to-date version."""
    from portal.documents import rankings

    call = load(Call, call_id, need="manage")
    stage = committee.committee_stage(call, request.args.get("stage_id", type=int))
    if stage is None:
        abort(404)
    current = rankings.current_ranked_list(call.id, stage.id)
    if (
        current is not None
        and current.is_ready
        and current.source_digest == committee_exports.ranking_digest(call, stage)
    ):
        return redirect(url_for("documents.download", document_id=current.id))
    flash(_("The ranked list's PDF is prepared in the background: ask for an up-to-date version below."), "info")
    return redirect(url_for("evaluation.committee_page", call_id=call.id, stage_id=stage.id))


# -- the applicant's evaluation summary ------------------------------------------------------------------------


def _summary_for(proposal: Proposal):
    """The evaluation summary the proposal page shows: to the lead organisation's members and to staff, once the
    applicant has been told the outcome (None otherwise)."""
    from portal.core import datacache
    from portal.core.i18n import locale_code
    from portal.evaluation.summary import applicant_summary

    if not current_user.is_authenticated:
        return None
    if not (current_user.is_staff or proposal.is_applicant_member(current_user)):
        return None
    locale = locale_code()
    # The same for everyone who may see it: shared between requests while the database is unchanged.
    return datacache.shared(
        "evaluation.applicant_summary", (proposal.id, locale), lambda: applicant_summary(proposal, locale)
    )


@bp.app_context_processor
def _evaluation_summary_helper() -> dict:
    return {"evaluation_summary": _summary_for}
