"""Managers' pages of the pipeline composer (a call's stages, each stage's settings and grid) and of the
administrative and eligibility checks. Thin handlers: load -> check access -> call an operation -> commit ->
flash and redirect, or re-render with what was typed."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from portal.calls.models import Call
from portal.core.access import load, role_required
from portal.core.i18n import localized
from portal.core.ids import parse_id
from portal.evaluation import checks, composer, grids, pipeline
from portal.evaluation.checks_models import CheckItem, CheckKind
from portal.evaluation.models import SCORED_KINDS, Criterion, EvaluationStage, GridSection
from portal.evaluation.pipeline_forms import (
    AddCheckItemForm,
    AddCriterionForm,
    AddSectionForm,
    AddStageForm,
    StageSettingsForm,
    answer_values,
    grid_values,
    read_answers,
    read_grid,
)
from portal.evaluation.routes import bp
from portal.extensions import db
from portal.proposals.models import Proposal


@bp.app_template_global("check_outcomes")
def check_outcomes(proposal) -> list:
    """The concluded checks of a proposal for its page (templates/proposals/_checks.html); evaluators see none."""
    if not current_user.is_authenticated or current_user.is_evaluator or proposal.is_draft:
        return []
    return checks.applicant_outcomes(proposal)


def _stage(call_id: int, stage_id: int) -> tuple[Call, EvaluationStage]:
    call = load(Call, call_id, need="manage")
    stage = db.session.get(EvaluationStage, stage_id)
    if stage is None or stage.call_id != call.id:
        abort(404)
    return call, stage


def _attach(form, exc) -> None:
    """Put a refusal's field messages next to their fields, and its message at the top."""
    placed = False
    for name, message in exc.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, str(message)]
            placed = True
    if not placed:
        form.form_errors.append(str(exc.message))


def _add_stage_form(formdata=None) -> AddStageForm:
    form = AddStageForm(formdata=formdata) if formdata is not None else AddStageForm(formdata=None)
    form.kind.choices = [SelectChoice(kind.value, label) for kind, label in composer.STAGE_KIND_LABELS.items()]
    form.template.choices = [SelectChoice("", _("(not a scored stage)"))] + [
        SelectChoice(key, name) for key, name in grids.template_choices()
    ]
    return form


# -- the pipeline ----------------------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/pipeline", methods=["GET"])
@role_required("manager")
def pipeline_view(call_id: int):
    call = load(Call, call_id, need="manage")
    return _render_pipeline(call, _add_stage_form())


def _render_pipeline(call, form):
    version = request.args.get("version", type=int) or pipeline.current_version(call)
    return render_template(
        "evaluation/pipeline.html",
        call=call,
        stages=pipeline.stages_of(call, version),
        shown_version=version,
        current_version=pipeline.current_version(call),
        versions=composer.versions(call),
        kind_labels=composer.STAGE_KIND_LABELS,
        scored_kinds=SCORED_KINDS,
        form=form,
    )


@bp.route("/manage/calls/<int:call_id>/pipeline/stages", methods=["POST"])
@role_required("manager")
def pipeline_add_stage(call_id: int):
    call = load(Call, call_id, need="manage")
    form = _add_stage_form(request.form)
    if form.validate_on_submit():
        try:
            stage = composer.add_stage(call, form.kind.data, template=form.template.data or None, by=current_user)
        except composer.ComposerError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The stage “%(name)s” is added.", name=localized(stage, "name")), "success")
            return redirect(url_for("evaluation.pipeline_view", call_id=call.id))
    return _render_pipeline(db.session.get(Call, call_id), form), 400


@bp.route("/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/remove", methods=["POST"])
@role_required("manager")
def pipeline_remove_stage(call_id: int, stage_id: int):
    call, stage = _stage(call_id, stage_id)
    name = localized(stage, "name")
    try:
        composer.remove_stage(stage, by=current_user)
    except composer.ComposerError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The stage “%(name)s” is removed.", name=name), "success")
    return redirect(url_for("evaluation.pipeline_view", call_id=call.id))


@bp.route("/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/move", methods=["POST"])
@role_required("manager")
def pipeline_move_stage(call_id: int, stage_id: int):
    call, stage = _stage(call_id, stage_id)
    try:
        composer.move_stage(stage, -1 if request.form.get("direction") == "up" else 1, by=current_user)
    except composer.ComposerError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The order of the stages is saved."), "success")
    return redirect(url_for("evaluation.pipeline_view", call_id=call.id))


# -- a stage ---------------------------------------------------------------------------------------------------


@bp.route("/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>", methods=["GET", "POST"])
@role_required("manager")
def pipeline_stage(call_id: int, stage_id: int):
    call, stage = _stage(call_id, stage_id)
    form = StageSettingsForm(obj=stage if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            composer.update_settings(stage, {name: form[name].data for name in composer.SETTINGS}, by=current_user)
        except composer.ComposerError as exc:
            db.session.rollback()
            if exc.errors:
                _attach(form, exc)
            else:  # an earlier version: the page shows no settings form to put the message in
                flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("The settings of “%(name)s” are saved.", name=localized(stage, "name")), "success")
            return redirect(url_for("evaluation.pipeline_stage", call_id=call.id, stage_id=stage.id))
        stage = db.session.get(EvaluationStage, stage_id)
    status = 400 if request.method == "POST" else 200
    return _render_stage(call, stage, settings_form=form), status


def _render_stage(call, stage, *, settings_form=None, grid_form_values=None, grid_errors=None, **forms):
    locked = stage.kind in SCORED_KINDS and pipeline.grid_locked(stage)
    section_form = forms.get("section_form") or AddSectionForm(formdata=None)
    criterion_form = forms.get("criterion_form") or AddCriterionForm(formdata=None)
    criterion_form.section_id.choices = [SelectChoice(str(s.id), f"{s.code}. {s.title_en}") for s in stage.sections]
    return render_template(
        "evaluation/pipeline_stage.html",
        call=call,
        stage=stage,
        current=stage.pipeline_version == pipeline.current_version(call),
        in_use=pipeline.version_in_use(call, stage.pipeline_version),
        locked=locked,
        scored=stage.kind in SCORED_KINDS,
        kind_labels=composer.STAGE_KIND_LABELS,
        settings_form=settings_form or StageSettingsForm(obj=stage, formdata=None),
        grid=grid_form_values if grid_form_values is not None else grid_values(stage),
        grid_errors=grid_errors or {},
        section_form=section_form,
        criterion_form=criterion_form,
    )


@bp.route("/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/grid", methods=["POST"])
@role_required("manager")
def pipeline_grid(call_id: int, stage_id: int):
    call, stage = _stage(call_id, stage_id)
    data, errors = read_grid(request.form, stage)
    if not errors:
        try:
            saved = composer.save_grid(stage, data, by=current_user)
        except composer.ComposerError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            errors = {name: str(message) for name, message in exc.errors.items()}
        else:
            db.session.commit()
            _flash_saved(stage, saved)
            return redirect(url_for("evaluation.pipeline_stage", call_id=call.id, stage_id=saved.id) + "#grid")
    stage = db.session.get(EvaluationStage, stage_id)
    return _render_stage(call, stage, grid_form_values=request.form.to_dict(), grid_errors=errors), 400


def _flash_saved(stage, saved) -> None:
    if saved.id != stage.id:
        flash(
            _(
                "Proposals already follow version %(old)d of the pipeline: the change is saved in a new version "
                "%(new)d, which new submissions will follow.",
                old=stage.pipeline_version,
                new=saved.pipeline_version,
            ),
            "success",
        )
    else:
        flash(_("The grid is saved."), "success")


@bp.route("/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/grid/sections", methods=["POST"])
@role_required("manager")
def pipeline_add_section(call_id: int, stage_id: int):
    call, stage = _stage(call_id, stage_id)
    form = AddSectionForm()
    if form.validate_on_submit():
        try:
            saved = composer.add_section(stage, form.title_en.data or "", form.title_fr.data or "", by=current_user)
        except composer.ComposerError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            _flash_saved(stage, saved)
            return redirect(url_for("evaluation.pipeline_stage", call_id=call.id, stage_id=saved.id) + "#grid")
    stage = db.session.get(EvaluationStage, stage_id)
    return _render_stage(call, stage, section_form=form), 400


@bp.route("/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/grid/criteria", methods=["POST"])
@role_required("manager")
def pipeline_add_criterion(call_id: int, stage_id: int):
    call, stage = _stage(call_id, stage_id)
    form = AddCriterionForm()
    form.section_id.choices = [SelectChoice(str(s.id), s.title_en) for s in stage.sections]
    if form.validate_on_submit():
        section = (
            db.session.get(GridSection, parse_id(form.section_id.data)) if parse_id(form.section_id.data) else None
        )
        try:
            saved = composer.add_criterion(
                stage,
                section,
                form.code.data or "",
                form.title_en.data or "",
                form.title_fr.data or "",
                form.weight.data,
                by=current_user,
            )
        except composer.ComposerError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            _flash_saved(stage, saved)
            return redirect(url_for("evaluation.pipeline_stage", call_id=call.id, stage_id=saved.id) + "#grid")
    stage = db.session.get(EvaluationStage, stage_id)
    return _render_stage(call, stage, criterion_form=form), 400


def _grid_item(stage, what: str, item_id: int):
    model = GridSection if what == "sections" else Criterion
    item = db.session.get(model, item_id)
    if item is None or item.stage_id != stage.id:
        abort(404)
    return item


@bp.route(
    "/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/grid/<any(sections,criteria):what>/<int:item_id>/remove",
    methods=["POST"],
)
@role_required("manager")
def pipeline_remove_grid_item(call_id: int, stage_id: int, what: str, item_id: int):
    call, stage = _stage(call_id, stage_id)
    item = _grid_item(stage, what, item_id)
    try:
        saved = composer.remove_grid_item(stage, item, by=current_user)
    except composer.ComposerError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        saved = stage
    else:
        db.session.commit()
        _flash_saved(stage, saved)
    return redirect(url_for("evaluation.pipeline_stage", call_id=call.id, stage_id=saved.id) + "#grid")


@bp.route(
    "/manage/calls/<int:call_id>/pipeline/stages/<int:stage_id>/grid/<any(sections,criteria):what>/<int:item_id>/move",
    methods=["POST"],
)
@role_required("manager")
def pipeline_move_grid_item(call_id: int, stage_id: int, what: str, item_id: int):
    call, stage = _stage(call_id, stage_id)
    item = _grid_item(stage, what, item_id)
    try:
        saved = composer.move_grid_item(
            stage, item, -1 if request.form.get("direction") == "up" else 1, by=current_user
        )
    except composer.ComposerError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        saved = stage
    else:
        db.session.commit()
        _flash_saved(stage, saved)
    return redirect(url_for("evaluation.pipeline_stage", call_id=call.id, stage_id=saved.id) + "#grid")


# -- checks ----------------------------------------------------------------------------------------------------

CHECK_KINDS = [CheckKind.ADMINISTRATIVE.value, CheckKind.ELIGIBILITY.value]


def _item_form(formdata=None) -> AddCheckItemForm:
    form = AddCheckItemForm(formdata=formdata) if formdata is not None else AddCheckItemForm(formdata=None)
    form.kind.choices = [SelectChoice(kind, checks.KIND_LABELS[CheckKind(kind)]) for kind in CHECK_KINDS]
    return form


@bp.route("/manage/calls/<int:call_id>/checks", methods=["GET"])
@role_required("manager")
def checks_overview(call_id: int):
    call = load(Call, call_id, need="manage")
    return _render_checks_overview(call, _item_form())


def _render_checks_overview(call, form):
    return render_template(
        "evaluation/checks_overview.html",
        call=call,
        kinds=CHECK_KINDS,
        kind_labels=checks.KIND_LABELS,
        items={kind: checks.items_of(call, kind) for kind in CHECK_KINDS},
        rows=checks.call_overview(call, CHECK_KINDS),
        form=form,
    )


@bp.route("/manage/calls/<int:call_id>/checks/items", methods=["POST"])
@role_required("manager")
def checks_add_item(call_id: int):
    call = load(Call, call_id, need="manage")
    form = _item_form(request.form)
    if form.validate_on_submit():
        try:
            checks.add_item(
                call,
                form.kind.data,
                form.label_en.data or "",
                form.label_fr.data or "",
                bool(form.per_member.data),
                by=current_user,
            )
        except checks.CheckError as exc:
            db.session.rollback()
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The checklist item is added."), "success")
            return redirect(url_for("evaluation.checks_overview", call_id=call.id) + "#items")
    return _render_checks_overview(db.session.get(Call, call_id), form), 400


@bp.route("/manage/calls/<int:call_id>/checks/items/<int:item_id>/remove", methods=["POST"])
@role_required("manager")
def checks_remove_item(call_id: int, item_id: int):
    call = load(Call, call_id, need="manage")
    item = db.session.get(CheckItem, item_id)
    if item is None or item.call_id != call.id:
        abort(404)
    try:
        checks.remove_item(item, by=current_user)
    except checks.CheckError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The checklist item is removed."), "success")
    return redirect(url_for("evaluation.checks_overview", call_id=call.id) + "#items")


@bp.route(
    "/manage/proposals/<int:proposal_id>/checks/<any(administrative_check,eligibility_check):kind>",
    methods=["GET", "POST"],
)
@role_required("manager")
def checks_proposal(proposal_id: int, kind: str):
    proposal = load(Proposal, proposal_id, need="decide")
    current = checks.checklist(proposal, kind)
    values, errors, status = answer_values(current), {}, 200
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():  # the CSRF token
            abort(400)
        values = request.form.to_dict()
        try:
            checks.save_answers(proposal, kind, read_answers(request.form, current), by=current_user)
            if "conclude" in request.form:
                checks.conclude(proposal, kind, by=current_user)
        except checks.CheckError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            errors = {name: str(message) for name, message in exc.errors.items()}
            status = 400
        else:
            db.session.commit()
            if "conclude" in request.form:
                flash(_("The check of %(reference)s is concluded.", reference=proposal.reference), "success")
            else:
                flash(_("Your answers are saved."), "success")
            return redirect(url_for("evaluation.checks_proposal", proposal_id=proposal.id, kind=kind))
        proposal = db.session.get(Proposal, proposal_id)
        current = checks.checklist(proposal, kind)
    return _render_checks_proposal(proposal, kind, current, values, errors), status


@bp.route(
    "/manage/proposals/<int:proposal_id>/checks/<any(administrative_check,eligibility_check):kind>/reopen",
    methods=["POST"],
)
@role_required("manager")
def checks_reopen(proposal_id: int, kind: str):
    proposal = load(Proposal, proposal_id, need="decide")
    if not FlaskForm().validate_on_submit():  # the CSRF token
        abort(400)
    try:
        checks.reopen(proposal, kind, request.form.get("reopen_reason", ""), by=current_user)
    except checks.CheckError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        proposal = db.session.get(Proposal, proposal_id)
        current = checks.checklist(proposal, kind)
        errors = {name: str(message) for name, message in exc.errors.items()}
        values = {**answer_values(current), "reopen_reason": request.form.get("reopen_reason", "")}
        return _render_checks_proposal(proposal, kind, current, values, errors), 400
    db.session.commit()
    flash(_("The check of %(reference)s is re-opened.", reference=proposal.reference), "success")
    return redirect(url_for("evaluation.checks_proposal", proposal_id=proposal.id, kind=kind))


def _render_checks_proposal(proposal, kind, current, values, errors):
    return render_template(
        "evaluation/checks_proposal.html",
        proposal=proposal,
        call=proposal.call,
        kind=kind,
        kind_label=checks.KIND_LABELS[CheckKind(kind)],
        checklist=current,
        values=values,
        errors=errors,
    )
