"""A stage's grid is read in two statements (the stage, then its sections with their criteria); the stage's own list
of criteria is taken from its sections', in the order the relationship gives, unless this session holds it already."""

from __future__ import annotations

from sqlalchemy import select

from portal.calls.models import Call
from portal.core.querycount import counting
from portal.evaluation import pipeline, queries
from portal.evaluation.models import Criterion, GridSection
from portal.extensions import db


def _criteria_in_database(stage_id: int) -> list[tuple[int, int, str]]:
    rows = db.session.execute(
        select(Criterion.id, Criterion.section_id, Criterion.code)
        .where(Criterion.stage_id == stage_id)
        .order_by(Criterion.position)
    )
    return [tuple(row) for row in rows]


def test_a_stage_with_its_grid_in_two_statements(app, call):
    stage_id = pipeline.scoring_stages(call)[0].id
    expected = _criteria_in_database(stage_id)
    assert len(expected) > 3
    db.session.expunge_all()
    with counting() as statements:
        stage = queries.stage_with_grid(stage_id)
        criteria = [(c.id, c.section_id, c.code) for c in stage.criteria]
        by_section = [(c.id, c.section_id, c.code) for s in stage.sections for c in s.criteria]
        maximum = stage.max_total
    assert statements.count == 2
    assert criteria == expected
    assert sorted(by_section) == sorted(expected)
    assert maximum == sum(c.max_score for c in stage.criteria)


def test_every_stage_of_a_pipeline_gets_its_own_criteria(app, call):
    call_id = call.id
    db.session.commit()
    db.session.expunge_all()
    call = db.session.get(Call, call_id)
    with counting(keep_statements=True) as statements:
        stages = pipeline.stages_of(call)
        got = {s.id: [(c.id, c.section_id, c.code) for c in s.criteria] for s in stages}
    assert statements.count == 2, [s for s, _ in statements.statements]
    assert got == {s.id: _criteria_in_database(s.id) for s in stages}


def test_criteria_this_session_holds_already_are_kept(app, call):
    stage = pipeline.scoring_stages(call)[0]
    section = stage.sections[0]
    added = Criterion(
        stage=stage, section=section, position=99, code="X1", title_en="Extra", title_fr="En plus", weight=1
    )
    assert added in stage.criteria  # pending: the session's own list, not yet in the database
    again = pipeline.with_criteria(stage)
    assert added in again.criteria
    db.session.rollback()


def test_a_missing_stage_is_none(app):
    assert queries.stage_with_grid(987654) is None
    assert db.session.scalar(select(GridSection).where(GridSection.stage_id == 987654)) is None


def test_the_score_form_is_made_once_per_grid_and_follows_its_changes(app, call):
    from portal.evaluation.forms import comment_field_name, score_field_name, score_form

    stage = pipeline.scoring_stages(call)[0]
    with app.test_request_context():
        form = score_form(stage)
        assert score_form(stage).__class__ is form.__class__  # the same grid: the same class
        expected = {score_field_name(c.id) for c in stage.criteria} | {comment_field_name(c.id) for c in stage.criteria}
        assert expected <= {f.name for f in form}
        assert form.stage is stage
        stage.min_comment_length = 42
        changed = score_form(stage)
        assert changed.__class__ is not form.__class__
        assert "42" in str(changed[comment_field_name(stage.criteria[0].id)].description)
        added = Criterion(
            stage=stage, section=stage.sections[0], position=99, code="X1", title_en="Extra", title_fr="Extra", weight=1
        )
        db.session.add(added)
        db.session.flush()
        assert added.id is not None and added in stage.criteria
        assert score_field_name(added.id) in {f.name for f in score_form(stage)}
    db.session.rollback()
