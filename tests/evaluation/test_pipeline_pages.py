"""The composer's pages: a manager sees the pipeline and its versions, adds, moves and removes stages, edits a
stage's settings and grid; refusals are shown on the page with what was typed; others cannot reach them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.evaluation import pipeline
from portal.evaluation.models import Assignment, AssignmentStatus, ScoreEntry
from portal.extensions import db


@pytest.fixture
def as_manager(client, sign_in, manager):
    sign_in(client, manager)
    return client


def _grid_form(stage) -> dict:
    from portal.evaluation.pipeline_forms import grid_values

    return grid_values(stage)


def test_manager_composes_the_pipeline(as_manager, call):
    base = f"/manage/calls/{call.id}/pipeline"
    page = as_manager.get(base)
    assert page.status_code == 200 and "Concept note evaluation" in page.text and "Current" in page.text
    # A stage named after its kind is not followed by its kind again.
    assert "(Concept note evaluation)" not in page.text

    added = as_manager.post(base + "/stages", data={"kind": "administrative_check", "template": ""})
    assert added.status_code == 302
    added = as_manager.post(base + "/stages", data={"kind": "full_application", "template": "full_application"})
    assert added.status_code == 302
    assert [s.kind for s in pipeline.stages_of(call)] == ["concept_note", "administrative_check", "full_application"]

    refused = as_manager.post(base + "/stages", data={"kind": "concept_note", "template": ""})
    assert refused.status_code == 400 and "Choose the grid this stage starts from." in refused.text

    check = pipeline.stages_of(call)[1]
    assert as_manager.post(f"{base}/stages/{check.id}/move", data={"direction": "up"}).status_code == 302
    assert pipeline.stages_of(call)[0].kind == "administrative_check"
    assert as_manager.post(f"{base}/stages/{check.id}/remove").status_code == 302
    assert [s.kind for s in pipeline.stages_of(call)] == ["concept_note", "full_application"]


def test_settings_page_keeps_what_was_typed(as_manager, call):
    stage = pipeline.stages_of(call)[0]
    url = f"/manage/calls/{call.id}/pipeline/stages/{stage.id}"
    assert as_manager.get(url).status_code == 200
    data = {
        "name_en": "Concept notes",
        "name_fr": "",
        "evaluators_required": "3",
        "divergence_percent": "25",
        "min_comment_length": "40",
        "due_on": "2027-03-31",
    }
    refused = as_manager.post(url, data=data)
    assert refused.status_code == 400
    assert "Give the stage a name in English and in French." in refused.text
    assert 'value="Concept notes"' in refused.text
    data["name_fr"] = "Notes succinctes"
    assert as_manager.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert (stage.name_fr, stage.evaluators_required, str(stage.due_on)) == ("Notes succinctes", 3, "2027-03-31")
    overview = as_manager.get(f"/manage/calls/{call.id}/pipeline")
    assert "3 evaluators per proposal" in overview.text and "due " in overview.text and "2027" in overview.text


def test_grid_editor_refuses_bad_figures_and_keeps_them(as_manager, call):
    stage = pipeline.stages_of(call)[0]
    url = f"/manage/calls/{call.id}/pipeline/stages/{stage.id}/grid"
    form = _grid_form(stage)
    form["total_threshold"] = "55"
    weight_field = f"criterion-{stage.criteria[0].id}-weight"
    form[weight_field] = "two"
    refused = as_manager.post(url, data=form)
    assert refused.status_code == 400
    assert "The total threshold cannot exceed the grid&#39;s maximum of" in refused.text
    assert "Criterion 1.1: the weight is a whole number of at least 1." in refused.text
    assert f'name="{weight_field}" value="two"' in refused.text
    assert 'name="total_threshold" value="55"' in refused.text

    form[weight_field] = "3"
    form["total_threshold"] = "34"
    assert as_manager.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert (stage.criteria[0].weight, stage.total_threshold) == (3, 34)


def test_a_grid_change_in_use_is_saved_in_a_new_version(as_manager, call, proposal):
    pipeline.pin(proposal)
    db.session.commit()
    stage = pipeline.stages_of(call)[0]
    form = _grid_form(stage)
    form["total_threshold"] = "32"
    saved = as_manager.post(f"/manage/calls/{call.id}/pipeline/stages/{stage.id}/grid", data=form)
    assert saved.status_code == 302
    new_stage = pipeline.stages_of(call)[0]
    assert new_stage.pipeline_version == 2 and saved.headers["Location"].endswith(f"/stages/{new_stage.id}#grid")
    page = as_manager.get(saved.headers["Location"], follow_redirects=False)
    assert "Proposals already follow version 1 of the pipeline" in page.text
    overview = as_manager.get(f"/manage/calls/{call.id}/pipeline")
    assert "Earlier version (read only)" in overview.text
    old = as_manager.get(f"/manage/calls/{call.id}/pipeline/stages/{stage.id}")
    assert "This is an earlier version of the pipeline" in old.text
    data = {"name_en": "X", "name_fr": "X", "evaluators_required": "2", "divergence_percent": "20"}
    refused = as_manager.post(
        f"/manage/calls/{call.id}/pipeline/stages/{stage.id}", data={**data, "min_comment_length": "1"}
    )
    assert refused.status_code == 400 and "which proposals already follow" in refused.text


def test_a_scored_grid_is_shown_locked(as_manager, call, proposal, evaluator):
    stage = pipeline.stages_of(call)[0]
    assignment = Assignment(stage=stage, proposal=proposal, evaluator=evaluator, status=AssignmentStatus.IN_PROGRESS)
    assignment.scores.append(ScoreEntry(criterion=stage.criteria[0], score=Decimal(3), comment="Draft."))
    db.session.add(assignment)
    db.session.commit()
    page = as_manager.get(f"/manage/calls/{call.id}/pipeline/stages/{stage.id}")
    assert "its grid can no longer change" in page.text and "Save the grid" not in page.text
    refused = as_manager.post(f"/manage/calls/{call.id}/pipeline/stages/{stage.id}/grid", data=_grid_form(stage))
    assert refused.status_code == 400 and "its grid can no longer change" in refused.text


def test_add_a_section_and_a_criterion_on_the_page(as_manager, call):
    stage = pipeline.stages_of(call)[0]
    base = f"/manage/calls/{call.id}/pipeline/stages/{stage.id}/grid"
    refused = as_manager.post(base + "/sections", data={"title_en": "Impact", "title_fr": ""})
    assert refused.status_code == 400 and "Give the new section a title in English and in French." in refused.text
    assert as_manager.post(base + "/sections", data={"title_en": "Impact", "title_fr": "Impact"}).status_code == 302
    section = pipeline.stages_of(call)[0].sections[-1]
    data = {"section_id": str(section.id), "code": "3.1", "title_en": "Reach", "title_fr": "Portée", "weight": "1"}
    assert as_manager.post(base + "/criteria", data=data).status_code == 302
    criterion = pipeline.stages_of(call)[0].criteria[-1]
    assert criterion.code == "3.1"
    assert as_manager.post(f"{base}/criteria/{criterion.id}/move", data={"direction": "up"}).status_code == 302
    assert as_manager.post(f"{base}/criteria/{criterion.id}/remove").status_code == 302
    assert "3.1" not in [c.code for c in pipeline.stages_of(call)[0].criteria]


def test_a_criterion_with_numbers_beyond_the_database_is_refused_with_messages(as_manager, call):
    """Found by tests/fuzz: a section id or a weight beyond the integer column was a server error."""
    stage = pipeline.stages_of(call)[0]
    base = f"/manage/calls/{call.id}/pipeline/stages/{stage.id}/grid"
    section = stage.sections[0]
    data = {"section_id": str(section.id), "code": "3.1", "title_en": "Reach", "title_fr": "Portée", "weight": "9" * 25}
    refused = as_manager.post(base + "/criteria", data=data)
    assert refused.status_code == 400 and "The weight is at most 1000." in refused.text
    refused = as_manager.post(base + "/criteria", data={**data, "weight": "2", "section_id": str(2**63)})
    assert refused.status_code == 400
    assert "3.1" not in [c.code for c in pipeline.stages_of(call)[0].criteria]


def test_others_cannot_reach_the_composer_or_the_checks(client, sign_in, call, proposal, evaluator, make_user):
    stage = pipeline.stages_of(call)[0]
    applicant = proposal.organisation.memberships[0].user
    urls = [
        ("GET", f"/manage/calls/{call.id}/pipeline"),
        ("POST", f"/manage/calls/{call.id}/pipeline/stages"),
        ("GET", f"/manage/calls/{call.id}/pipeline/stages/{stage.id}"),
        ("POST", f"/manage/calls/{call.id}/pipeline/stages/{stage.id}/grid"),
        ("GET", f"/manage/calls/{call.id}/checks"),
        ("GET", f"/manage/proposals/{proposal.id}/checks/administrative_check"),
        ("POST", f"/manage/proposals/{proposal.id}/checks/administrative_check"),
    ]
    for user in (applicant, evaluator, make_user("applicant")):
        sign_in(client, user)
        for method, url in urls:
            assert client.open(url, method=method).status_code == 403, (user.role, url)
    with client.session_transaction() as sess:
        sess.clear()
    assert client.get(urls[0][1]).status_code == 302


def test_a_stage_of_another_call_is_not_found(as_manager, call, make_call):
    other = make_call()
    stage = pipeline.stages_of(other)[0]
    assert as_manager.get(f"/manage/calls/{call.id}/pipeline/stages/{stage.id}").status_code == 404


def test_pages_in_french(as_manager, call, proposal, manager):
    from portal.evaluation import checks, composer

    check = composer.add_stage(call, "administrative_check", by=manager)
    db.session.commit()
    as_manager.post("/language/fr", data={"next": "/"})
    page = as_manager.get(f"/manage/calls/{call.id}/pipeline")
    assert page.status_code == 200 and "Circuit d’évaluation" in page.text
    stage_page = as_manager.get(f"/manage/calls/{call.id}/pipeline/stages/{pipeline.stages_of(call)[0].id}")
    assert "Évaluation de la note succincte" in stage_page.text and "Pertinence de l&#39;action" in stage_page.text
    # the settings of a check stage (no evaluators) save from the same form
    url = f"/manage/calls/{call.id}/pipeline/stages/{check.id}"
    settings = as_manager.get(url)
    assert settings.status_code == 200 and "Vérification administrative" in settings.text
    data = {
        "name_en": "Administrative check",
        "name_fr": "Contrôle administratif",
        "evaluators_required": "2",
        "divergence_percent": "20",
        "min_comment_length": "10",
        "due_on": "",
    }
    assert as_manager.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert check.name_fr == "Contrôle administratif"
    checks_page = as_manager.get(f"/manage/proposals/{proposal.id}/checks/administrative_check")
    assert checks_page.status_code == 200 and "La date limite a été respectée" in checks_page.text
    assert len(checks.checklist(proposal, "administrative_check").lines) == 5


def test_call_pages_show_the_grids_of_the_current_version_only(client, as_manager, call, proposal, manager):
    from portal.evaluation import composer

    pipeline.pin(proposal)
    composer.add_stage(call, "administrative_check", by=manager)  # makes version 2
    composer.add_stage(call, "full_application", template="full_application", by=manager)
    db.session.commit()
    page = client.get(f"/calls/{call.id}")
    assert page.status_code == 200
    assert page.text.count("Concept note evaluation") == 1 and "Full application evaluation" in page.text
    assert "<h3>Administrative check</h3>" not in page.text
