"""Evaluation pages: managers assign evaluators, rank and decide; evaluators declare conflicts of interest and
score. Thin handlers: load -> check access -> call an operation -> render or redirect."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from portal.accounts.models import User
from portal.calls.models import Call
from portal.core import datacache
from portal.core.access import load, role_required
from portal.core.i18n import format_number, locale_code
from portal.evaluation import operations, pipeline, queries
from portal.evaluation.forms import AssignForm, DecisionForm, DeclarationForm, score_form
from portal.evaluation.models import Assignment, AssignmentStatus, DecisionOutcome
from portal.evaluation.ranking import divergence_gap
from portal.evaluation.ranking_page import ranking_page
from portal.extensions import db
from portal.proposals.models import Proposal
from portal.proposals.states import STATUS_LABELS

log = logging.getLogger(__name__)
bp = Blueprint("evaluation", __name__, url_prefix=None)


def _number(value, pattern: str) -> str:
    return "—" if value is None else format_number(value, pattern)


@bp.context_processor
def _helpers() -> dict:
    return {
        # Scores as people write them (4, 3.5; 3,5 in French); means always with two decimals.
        "score_label": lambda value: _number(value, "#,##0.##"),
        "mean_label": lambda value: _number(value, "#,##0.00"),
        "proposal_status_label": lambda status: str(STATUS_LABELS.get(status, status)),
    }


def _attach_error(form, exc: operations.EvaluationError) -> None:
    """Show a refusal next to its field when it names one, else at the top of the form."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


# -- evaluator pages -------------------------------------------------------------------------------------------


@bp.route("/evaluation", methods=["GET"])
@role_required("evaluator")
def queue():
    page = queries.evaluator_queue(current_user, request.args.get("page", type=int))
    return render_template("evaluation/queue.html", assignments=page.items, page=page)


def _own_assignment(assignment_id: int) -> Assignment:
    """The current evaluator's own assignment, else 404 (others may not know it exists)."""
    assignment = queries.assignment_for_review(assignment_id)
    if assignment is None or assignment.evaluator_id != current_user.id:
        abort(404)
    return assignment


@bp.route("/evaluation/assignments/<int:assignment_id>/declaration", methods=["GET", "POST"])
@role_required("evaluator")
def declare(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    if assignment.status == AssignmentStatus.CONFLICT:
        flash(_("You declared a conflict of interest with this proposal; it is no longer assigned to you."), "info")
        return redirect(url_for("evaluation.queue"))
    if assignment.declared_no_conflict:
        return redirect(url_for("evaluation.score", assignment_id=assignment.id))

    form = DeclarationForm()
    if form.validate_on_submit():
        try:
            operations.declare_interest(
                assignment,
                has_conflict=form.has_conflict,
                confidentiality=bool(form.confidentiality.data),
                reason=form.reason.data or "",
                by=current_user,
            )
        except operations.EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            if form.has_conflict:
                flash(
                    _(
                        "Your conflict of interest with %(reference)s is recorded. The proposal is no longer "
                        "assigned to you and the programme managers have been told.",
                        reference=assignment.proposal.reference,
                    ),
                    "success",
                )
                return redirect(url_for("evaluation.queue"))
            flash(_("Thank you. You can now read and score the proposal."), "success")
            return redirect(url_for("evaluation.score", assignment_id=assignment.id))
    return render_template("evaluation/declare.html", assignment=assignment, proposal=assignment.proposal, form=form)


@bp.route("/evaluation/assignments/<int:assignment_id>", methods=["GET", "POST"])
@role_required("evaluator")
def score(assignment_id: int):
    assignment = _own_assignment(assignment_id)
    if assignment.status == AssignmentStatus.CONFLICT:
        abort(404)
    if assignment.status == AssignmentStatus.PENDING:
        return redirect(url_for("evaluation.declare", assignment_id=assignment.id))
    stage = queries.stage_with_grid(assignment.stage_id)
    saved = queries.scores_of(assignment)

    if assignment.is_submitted:
        if request.method == "POST":
            flash(_("This review has been submitted and can no longer be changed."), "error")
            return redirect(url_for("evaluation.score", assignment_id=assignment.id))
        return _render_score(assignment, stage, saved, form=None)

    form = score_form(stage)
    if request.method == "GET":
        form.version_id.data = str(assignment.version_id)
        for criterion in stage.criteria:
            entry = saved.get(criterion.id)
            if entry is not None:
                form.score_field(criterion.id).data = "" if entry.score is None else queries.scale_label(entry.score)
                form.comment_field(criterion.id).data = entry.comment
        return _render_score(assignment, stage, saved, form=form)

    if form.validate_on_submit():
        data = form.scores()
        if data is not None:
            submitting = form.submitting
            try:
                operations.save_scores(
                    assignment,
                    data,
                    by=current_user,
                    submit=submitting,
                    expected_version=form.expected_version(),
                )
            except operations.ReviewError as exc:
                db.session.rollback()
                flash(str(exc.message), "error")
                for problem in exc.problems:
                    target = form.score_field(problem.criterion_id)
                    if problem.field == "comment":
                        target = form.comment_field(problem.criterion_id)
                    target.errors = [*target.errors, str(problem.message)]
            except operations.EvaluationError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc.message))
            else:
                db.session.commit()
                if submitting:
                    flash(
                        _("Your review of %(reference)s is submitted.", reference=assignment.proposal.reference),
                        "success",
                    )
                    return redirect(url_for("evaluation.queue"))
                flash(_("Draft saved."), "success")
                return redirect(url_for("evaluation.score", assignment_id=assignment.id))
    # Re-render with what was typed; the running totals are those of the last saved version.
    assignment = queries.assignment_for_review(assignment_id)
    return _render_score(assignment, stage, queries.scores_of(assignment), form=form)


def _render_score(assignment: Assignment, stage, saved: dict, form):
    totals = queries.review_totals(stage, {cid: entry.score for cid, entry in saved.items()})
    return render_template(
        "evaluation/score.html",
        assignment=assignment,
        proposal=assignment.proposal,
        stage=stage,
        saved=saved,
        totals=totals,
        form=form,
    )


# -- manager pages ---------------------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/assignments", methods=["GET", "POST"])
@role_required("manager")
def assign(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = pipeline.stage_for_call(call, request.args.get("stage_id", type=int))
    proposals = queries.assignable_proposals(call, stage)
    evaluators = queries.active_evaluators()
    unsigned = queries.unsigned_evaluator_ids(evaluators)
    forms = {}
    for proposal in proposals:
        taken = {a.evaluator_id for a in proposal.assignments if stage is not None and a.stage_id == stage.id}
        form = AssignForm(prefix=f"p{proposal.id}", formdata=None)
        form.evaluator_id.choices = [SelectChoice("0", _("Choose an evaluator…"))] + [
            SelectChoice(
                str(e.id),
                f"{e.display_name} ({e.email})" + (" · " + _("declaration not signed") if e.id in unsigned else ""),
            )
            for e in evaluators
            if e.id not in taken
        ]
        forms[proposal.id] = form

    if request.method == "POST":
        proposal_id = request.form.get("proposal_id", type=int)
        proposal = next((p for p in proposals if p.id == proposal_id), None)
        if proposal is None:
            flash(_("This proposal can no longer receive evaluators."), "error")
            return redirect(url_for("evaluation.assign", call_id=call.id))
        form = AssignForm(prefix=f"p{proposal.id}")
        form.evaluator_id.choices = forms[proposal.id].evaluator_id.choices
        forms[proposal.id] = form
        if form.validate_on_submit():
            if not form.evaluator_id.data:
                form.evaluator_id.errors = [_("Choose an evaluator to assign.")]
            else:
                evaluator = db.session.get(User, form.evaluator_id.data)
                try:
                    assignment = operations.assign_evaluator(proposal, evaluator, by=current_user)
                except operations.EvaluationError as exc:
                    db.session.rollback()
                    _attach_error(form, exc)
                else:
                    db.session.commit()
                    flash(
                        _(
                            "%(name)s is assigned to %(reference)s and has been e-mailed.",
                            name=assignment.evaluator.display_name,
                            reference=proposal.reference,
                        ),
                        "success",
                    )
                    return redirect(url_for("evaluation.assign", call_id=call.id) + f"#proposal-{proposal.id}")
        # The rollback may have expired what was loaded: load the page's data again.
        proposals = queries.assignable_proposals(call, stage)

    return render_template(
        "evaluation/assign.html",
        call=call,
        stage=stage,
        proposals=proposals,
        forms=forms,
        has_evaluators=bool(evaluators),
    )


@bp.route("/manage/assignments/<int:assignment_id>/remove", methods=["POST"])
@role_required("manager")
def unassign(assignment_id: int):
    assignment = load(Assignment, assignment_id)
    call_id = assignment.proposal.call_id
    name, reference = assignment.evaluator.display_name, assignment.proposal.reference
    try:
        operations.remove_assignment(assignment, by=current_user)
    except operations.EvaluationError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is no longer assigned to %(reference)s.", name=name, reference=reference), "success")
    return redirect(url_for("evaluation.assign", call_id=call_id))


@bp.route("/manage/calls/<int:call_id>/ranking", methods=["GET"])
@role_required("manager")
def ranking(call_id: int):
    call = load(Call, call_id, need="manage")
    stage = pipeline.stage_for_call(call, request.args.get("stage_id", type=int))
    # Paged: the arithmetic covers every ranked proposal (SQL sums, plain columns), but only one page of rows is
    # loaded and rendered. `show=<proposal id>` opens the page holding that proposal (links from moderation).
    page_arg, show = request.args.get("page", type=int), request.args.get("show", type=int)

    def rows_html() -> Markup:
        page = ranking_page(call, stage, page_arg, show)
        return Markup(  # noqa: S704 - rendered by Jinja with autoescaping
            render_template(
                "evaluation/_ranking_rows.html",
                call=call,
                stage=stage,
                rows=page.items,
                page=page,
                envelope_break=page.envelope_break,
            )
        )

    # The rows show data only, the same for every manager: rendered once per page and language, and shared between
    # requests while the database is unchanged (core/datacache.py). A committee reads the ranking again and again
    # while nothing is written; any write (a review, a decision) renders it afresh.
    rows = (
        datacache.shared(
            "evaluation.ranking_rows",
            (call.id, stage.id, page_arg, show, locale_code(), request.script_root),
            rows_html,
        )
        if stage is not None
        else Markup()
    )
    gap = divergence_gap(stage) if stage is not None else None
    return render_template("evaluation/ranking.html", call=call, stage=stage, ranking_rows=rows, gap=gap)


@bp.route("/manage/proposals/<int:proposal_id>/decision", methods=["GET", "POST"])
@role_required("manager")
def decide(proposal_id: int):
    proposal = load(Proposal, proposal_id, need="decide")
    call = proposal.call
    stage = pipeline.scoring_stage_for(proposal)
    rows = queries.ranking(call, stage)
    form = DecisionForm()
    if request.method == "GET":
        start, end = operations.default_award_dates(proposal.duration_months)
        form.amount.data = proposal.requested_amount
        form.start_date.data = start
        form.end_date.data = end
    elif blockers := operations.decision_blockers(proposal):
        form.form_errors.extend(str(b) for b in blockers)
    elif form.validate_on_submit():
        award = form.outcome.data == DecisionOutcome.AWARD
        try:
            decision = operations.decide_proposal(
                proposal,
                outcome=form.outcome.data,
                reason=form.reason.data,
                by=current_user,
                amount=form.amount.data if award else None,
                start_date=form.start_date.data if award else None,
                end_date=form.end_date.data if award else None,
            )
        except operations.EvaluationError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            grant = decision.proposal.grant if award else None
            db.session.commit()
            if grant is not None:
                flash(
                    _(
                        "%(reference)s is awarded: grant %(number)s is created and its award letter is being prepared.",
                        reference=proposal.reference,
                        number=grant.agreement_number,
                    ),
                    "success",
                )
                return redirect(url_for("grants.view", grant_id=grant.id))
            flash(_("%(reference)s is rejected; the applicant has been told.", reference=proposal.reference), "success")
            return redirect(url_for("evaluation.ranking", call_id=call.id))
        proposal = db.session.get(Proposal, proposal_id)
        rows = queries.ranking(call, stage)
    return render_template(
        "evaluation/decide.html",
        proposal=proposal,
        call=call,
        stage=stage,
        row=next((r for r in rows if r.proposal.id == proposal.id), None),
        ranked_count=len(rows),
        form=form,
        blockers=operations.decision_blockers(proposal),
    )


from portal.evaluation import committee_routes as committee_routes  # noqa: E402  (moderation, committee: part C)
from portal.evaluation import evaluator_routes as evaluator_routes  # noqa: E402  (evaluators, auto-assign, progress)
from portal.evaluation import pipeline_routes  # noqa: E402,F401  (the pipeline composer and the checks)
from portal.evaluation import thread_routes as _thread_routes  # noqa: E402, F401
