"""The pipeline composer's operations: templates, adding, removing and reordering stages, editing grids, the grid
lock once scored, and a new version when proposals follow the current one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEntry
from portal.evaluation import composer, grids, pipeline
from portal.evaluation.checks_models import CheckItem
from portal.evaluation.composer import ComposerError, GridData
from portal.evaluation.models import Assignment, AssignmentStatus, ScoreEntry
from portal.extensions import db
from portal.proposals.models import ProposalStatus


def _kinds(call, version=None):
    return [s.kind for s in pipeline.stages_of(call, version)]


def _grid_data(stage, **changes) -> GridData:
    """The stage's grid as the editor would post it unchanged, with `changes` applied
    (e.g. criterion_<code>_weight=3, section_<code>_threshold=..., total_threshold=...)."""
    sections = {
        s.id: {"title_en": s.title_en, "title_fr": s.title_fr, "threshold": s.threshold} for s in stage.sections
    }
    criteria = {
        c.id: {
            "code": c.code,
            "title_en": c.title_en,
            "title_fr": c.title_fr,
            "guidance_en": c.guidance_en,
            "guidance_fr": c.guidance_fr,
            "weight": c.weight,
            "min_score": c.min_score,
        }
        for c in stage.criteria
    }
    data = GridData(composer.scale_key(stage), stage.total_threshold, sections, criteria)
    for key, value in changes.items():
        if key == "total_threshold":
            data.total_threshold = value
        elif key == "scale":
            data.scale = value
        else:
            what, code, name = key.split("__")
            code = code.replace("_", ".")
            if what == "criterion":
                target = next(c for c in stage.criteria if c.code == code)
                data.criteria[target.id][name] = value
            else:
                target = next(s for s in stage.sections if s.code == code)
                data.sections[target.id][name] = value
    return data


def test_templates_follow_the_domain():
    def total(template):
        return sum(c["weight"] * template["scale_max"] for s in template["sections"] for c in s["criteria"])

    assert total(grids.CONCEPT_NOTE) == 50
    full = grids.FULL_APPLICATION
    assert total(full) == 100 and full["total_threshold"] == 60
    section_max = {s["title_en"]: sum(c["weight"] * 5 for c in s["criteria"]) for s in full["sections"]}
    assert section_max == {
        "Financial and operational capacity": 20,
        "Relevance of the action": 30,
        "Effectiveness and feasibility of the action": 20,
        "Sustainability of the action": 15,
        "Budget and cost-effectiveness of the action": 15,
    }
    capacity = full["sections"][0]
    assert capacity["threshold"] == 12 and all(c["min_score"] == 2 for c in capacity["criteria"])
    research = grids.RESEARCH
    assert (research["scale_min"], research["scale_step"], research["evaluators_required"]) == (0, Decimal("0.5"), 3)
    assert research["total_threshold"] == 10 and total(research) == 15
    assert all(c["min_score"] == 3 for s in research["sections"] for c in s["criteria"])
    assert [key for key, _name in grids.template_choices()] == ["concept_note", "full_application", "research"]


def test_add_remove_and_reorder_stages(rq, call, manager):
    assert _kinds(call) == ["concept_note"]
    composer.add_stage(call, "administrative_check", by=manager)
    full = composer.add_stage(call, "full_application", template="full_application", by=manager)
    composer.add_stage(call, "decision", by=manager)
    assert _kinds(call) == ["concept_note", "administrative_check", "full_application", "decision"]
    assert full.max_total == 100 and full.total_threshold == 60

    check = pipeline.stages_of(call)[1]
    composer.move_stage(check, -1, by=manager)
    assert _kinds(call) == ["administrative_check", "concept_note", "full_application", "decision"]
    assert [s.position for s in pipeline.stages_of(call)] == [1, 2, 3, 4]
    with pytest.raises(ComposerError, match="cannot move further"):
        composer.move_stage(pipeline.stages_of(call)[0], -1, by=manager)

    composer.remove_stage(pipeline.stages_of(call)[1], by=manager)
    assert _kinds(call) == ["administrative_check", "full_application", "decision"]
    assert [s.position for s in pipeline.stages_of(call)] == [1, 2, 3]
    assert pipeline.current_version(call) == 1  # nobody follows it yet: no new version
    # a check stage brings the call's default checklist of its kind
    labels = db.session.scalars(select(CheckItem.label_en).where(CheckItem.call_id == call.id)).all()
    assert "The deadline was met" in labels
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"pipeline.stage_added", "pipeline.stage_moved", "pipeline.stage_removed"} <= actions
    # publishing looks for the first scored stage, wherever the checks put it
    assert call.concept_note_stage.kind == "full_application"


def test_a_scored_stage_needs_a_template(rq, call, manager):
    with pytest.raises(ComposerError) as refused:
        composer.add_stage(call, "concept_note", template=None, by=manager)
    assert "Choose the grid" in str(refused.value.errors["template"])
    with pytest.raises(ComposerError):
        composer.add_stage(call, "party", by=manager)


def test_research_template_scores_with_half_points(rq, call, manager):
    stage = composer.add_stage(call, "full_application", template="research", by=manager)
    assert stage.scale_values()[:3] == [Decimal(0), Decimal("0.5"), Decimal(1)]
    assert stage.evaluators_required == 3


def test_a_change_to_a_pipeline_in_use_makes_a_new_version(rq, call, manager, proposal):
    pipeline.pin(proposal)
    db.session.flush()
    assert proposal.pipeline_version == 1
    old_stage = pipeline.stages_of(call)[0]

    composer.add_stage(call, "administrative_check", by=manager)

    assert pipeline.current_version(call) == 2
    assert _kinds(call, 1) == ["concept_note"]  # the pinned proposal's pipeline is untouched
    assert _kinds(call, 2) == ["concept_note", "administrative_check"]
    copy = pipeline.stages_of(call, 2)[0]
    assert copy.id != old_stage.id
    assert [c.code for c in copy.criteria] == [c.code for c in old_stage.criteria]
    assert [s.threshold for s in copy.sections] == [s.threshold for s in old_stage.sections]
    assert proposal.pipeline_version == 1
    assert pipeline.scoring_stage_for(proposal).id == old_stage.id
    info = {v.version: (v.proposals, v.current) for v in composer.versions(call)}
    assert info == {2: (0, True), 1: (1, False)}
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pipeline.versioned")) is not None

    # version 2 is not followed yet: further changes stay in it
    composer.move_stage(pipeline.stages_of(call, 2)[1], -1, by=manager)
    assert pipeline.current_version(call) == 2
    # the earlier version can no longer change
    with pytest.raises(ComposerError, match="version 1"):
        composer.remove_stage(old_stage, by=manager)


def test_a_grid_edit_on_a_version_in_use_goes_to_the_copy(rq, call, manager, proposal):
    pipeline.pin(proposal)
    db.session.flush()
    stage = pipeline.stages_of(call)[0]
    saved = composer.save_grid(stage, _grid_data(stage, criterion__2_2__weight=3), by=manager)
    assert saved.pipeline_version == 2 and saved.id != stage.id
    assert next(c for c in saved.criteria if c.code == "2.2").weight == 3
    assert next(c for c in stage.criteria if c.code == "2.2").weight == 2


def test_settings_change_in_place_even_in_use(rq, call, manager, proposal):
    pipeline.pin(proposal)
    db.session.flush()
    stage = pipeline.stages_of(call)[0]
    data = {name: getattr(stage, name) for name in composer.SETTINGS}
    data.update(evaluators_required=3, divergence_percent=Decimal(15), name_fr="Note succincte")
    composer.update_settings(stage, data, by=manager)
    assert pipeline.current_version(call) == 1
    assert (stage.evaluators_required, stage.divergence_percent, stage.name_fr) == (3, 15, "Note succincte")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pipeline.stage_settings"))
    assert entry.before["evaluators_required"] == 2 and entry.after["evaluators_required"] == 3


def test_settings_are_validated(rq, call, manager):
    stage = pipeline.stages_of(call)[0]
    data = {name: getattr(stage, name) for name in composer.SETTINGS}
    data.update(name_en=" ", evaluators_required=0, divergence_percent=Decimal(120))
    with pytest.raises(ComposerError) as refused:
        composer.update_settings(stage, data, by=manager)
    errors = {k: str(v) for k, v in refused.value.errors.items()}
    assert errors["name_en"] == "Give the stage a name in English and in French."
    assert errors["evaluators_required"] == "At least one evaluator is required."
    assert errors["divergence_percent"] == "The divergence gap is a percentage between 0 and 100."


def test_grid_validation_messages(rq, call, manager):
    stage = pipeline.stages_of(call)[0]
    data = _grid_data(
        stage,
        total_threshold=Decimal(60),
        section__1__threshold=Decimal(31),
        criterion__1_1__min_score=Decimal(6),
        criterion__1_2__min_score=Decimal("2.5"),
        criterion__1_3__weight=0,
        criterion__2_1__code="1.4",
        criterion__2_2__title_fr="",
    )
    with pytest.raises(ComposerError) as refused:
        composer.save_grid(stage, data, by=manager)
    errors = {k: str(v) for k, v in refused.value.errors.items()}
    by_code = {c.code: c.id for c in stage.criteria}
    section = stage.sections[0]
    assert errors["total_threshold"] == "The total threshold cannot exceed the grid's maximum of 50."
    assert (
        errors[f"section-{section.id}-threshold"]
        == "Section 1: the threshold cannot exceed the section's maximum of 30."
    )
    assert "between 1 and 5" in errors[f"criterion-{by_code['1.1']}-min_score"]
    assert "a step of the scale" in errors[f"criterion-{by_code['1.2']}-min_score"]
    assert "at least 1" in errors[f"criterion-{by_code['1.3']}-weight"]
    assert errors[f"criterion-{by_code['2.1']}-code"] == "Two criteria have the code “1.4”."
    assert "in English and in French" in errors[f"criterion-{by_code['2.2']}-title_en"]


def test_half_points_are_valid_on_the_half_point_scale(rq, call, manager):
    stage = pipeline.stages_of(call)[0]
    saved = composer.save_grid(
        stage, _grid_data(stage, scale="0-5-half", criterion__1_1__min_score=Decimal("2.5")), by=manager
    )
    assert (saved.scale_min, saved.scale_step) == (0, Decimal("0.5"))
    assert next(c for c in saved.criteria if c.code == "1.1").min_score == Decimal("2.5")


def test_a_scored_grid_is_locked(rq, call, manager, proposal, evaluator):
    stage = pipeline.stages_of(call)[0]
    assignment = Assignment(stage=stage, proposal=proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    assignment.scores.append(ScoreEntry(criterion=stage.criteria[0], score=Decimal(3), comment="Draft."))
    db.session.add(assignment)
    db.session.flush()
    message = f"Scores have already been entered in “{stage.name_en}”: its grid can no longer change."
    with pytest.raises(ComposerError, match=message):
        composer.save_grid(stage, _grid_data(stage, criterion__1_1__weight=3), by=manager)
    with pytest.raises(ComposerError, match="can no longer change"):
        composer.add_section(stage, "Extra", "Extra", by=manager)
    with pytest.raises(ComposerError, match="can no longer change"):
        composer.remove_grid_item(stage, stage.criteria[0], by=manager)
    with pytest.raises(ComposerError, match="can no longer change"):
        composer.move_grid_item(stage, stage.criteria[1], -1, by=manager)
    assert stage.criteria[0].weight == 2


def test_sections_and_criteria_are_added_removed_and_reordered(rq, call, manager):
    stage = pipeline.stages_of(call)[0]
    composer.add_section(stage, "Sustainability", "Durabilité", by=manager)
    section = stage.sections[-1]
    assert (section.position, section.code) == (3, "3")
    composer.add_criterion(stage, section, "3.1", "Lasting results", "Résultats durables", 2, by=manager)
    composer.add_criterion(stage, stage.sections[0], "1.5", "Gender", "Genre", 1, by=manager)
    db.session.expire(stage)
    assert [c.code for c in stage.criteria] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "3.1"]
    assert stage.max_total == 50 + 10 + 5

    composer.move_grid_item(stage, stage.sections[2], -1, by=manager)
    db.session.expire(stage)
    assert [s.code for s in stage.sections] == ["1", "3", "2"]
    assert [c.code for c in stage.criteria] == ["1.1", "1.2", "1.3", "1.4", "1.5", "3.1", "2.1", "2.2"]
    criterion = next(c for c in stage.criteria if c.code == "2.2")
    composer.move_grid_item(stage, criterion, -1, by=manager)
    db.session.expire(stage)
    assert [c.code for c in stage.sections[2].criteria] == ["2.2", "2.1"]

    composer.remove_grid_item(stage, stage.sections[1], by=manager)
    db.session.expire(stage)
    assert [s.code for s in stage.sections] == ["1", "2"]
    assert [s.position for s in stage.sections] == [1, 2]
    assert "3.1" not in [c.code for c in stage.criteria]
    composer.remove_grid_item(stage, stage.criteria[0], by=manager)
    db.session.expire(stage)
    assert [c.code for c in stage.criteria][:1] == ["1.2"]
    assert [c.position for c in stage.criteria] == list(range(1, len(stage.criteria) + 1))


def test_adding_a_criterion_is_validated(rq, call, manager):
    stage = pipeline.stages_of(call)[0]
    with pytest.raises(ComposerError) as refused:
        composer.add_criterion(stage, stage.sections[0], "1.1", "", "Titre", 0, by=manager)
    errors = {k: str(v) for k, v in refused.value.errors.items()}
    assert errors["code"] == "Two criteria have the code “1.1”."
    assert errors["title_en"] == "Give the criterion a title in English and in French."
    assert errors["weight"] == "The weight is a whole number of at least 1."


def test_only_scored_stages_have_a_grid(rq, call, manager):
    check = composer.add_stage(call, "administrative_check", by=manager)
    with pytest.raises(ComposerError, match=r"Only the stages that evaluators score have a grid\."):
        composer.add_section(check, "A", "A", by=manager)


def test_a_stage_with_evaluators_cannot_be_removed(rq, call, manager, make_proposal, evaluator):
    # A proposal not pinned (as before pinning existed) keeps the version unused, so the stage itself is at stake.
    proposal = make_proposal(call, status=ProposalStatus.UNDER_REVIEW)
    stage = pipeline.stages_of(call)[0]
    db.session.add(Assignment(stage=stage, proposal=proposal, evaluator=evaluator))
    db.session.flush()
    with pytest.raises(ComposerError, match="Evaluators are assigned in this stage"):
        composer.remove_stage(stage, by=manager)
