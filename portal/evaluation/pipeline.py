"""A call's evaluation pipeline as data: which stages a proposal goes through, which one scores it now, and when a
stage's grid may no longer change.

A call's stages carry a `pipeline_version`. A proposal is pinned to the version that was current when it was
submitted (`Proposal.pipeline_version`); a manager's change to a pipeline that pinned proposals are inside makes
a new version (see `portal.evaluation.composer`), so a change never strands a proposal already inside it."""

from __future__ import annotations

from sqlalchemy import exists, func, inspect, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.evaluation.models import (
    SCORED_KINDS,
    Assignment,
    EvaluationStage,
    GridSection,
    ScoreEntry,
)
from portal.extensions import db


def grid_options() -> tuple:
    """Loader options for a stage's sections with their criteria, in one statement besides the stage's (built on use:
    mappers configure after import). Follow the query with `with_criteria` for `stage.criteria`."""
    return (selectinload(EvaluationStage.sections).joinedload(GridSection.criteria),)


def with_criteria(stages):
    """Give each stage (one, or a list) its `criteria` from its sections' without a statement of their own: a
    criterion belongs to a section of its stage, so they are the same rows, in the order of the relationship
    (position). A stage whose criteria are loaded already keeps them (this session may have changed them)."""
    for stage in stages if isinstance(stages, list) else ([stages] if stages is not None else []):
        if "criteria" in inspect(stage).dict:
            continue
        criteria = sorted((c for section in stage.sections for c in section.criteria), key=lambda c: c.position)
        set_committed_value(stage, "criteria", criteria)
    return stages


def current_version(call) -> int:
    """The call's newest pipeline version (1 for a call without stages)."""
    version = db.session.scalar(
        select(func.max(EvaluationStage.pipeline_version)).where(EvaluationStage.call_id == call.id)
    )
    return version or 1


def version_of(proposal) -> int:
    """The pipeline version a proposal follows: the one pinned at submission, else the call's current one."""
    return proposal.pipeline_version or current_version(proposal.call)


def stages_of(call, version: int | None = None) -> list[EvaluationStage]:
    """The stages of one version of the call's pipeline (default: the current one), in order, with their grids."""
    if not version:  # the newest version, found by the same statement (pages ask for it on every request)
        newest = select(func.max(EvaluationStage.pipeline_version)).where(EvaluationStage.call_id == call.id)
        wanted = EvaluationStage.pipeline_version == newest.scalar_subquery()
    else:
        wanted = EvaluationStage.pipeline_version == version
    return with_criteria(
        list(
            db.session.scalars(
                select(EvaluationStage)
                .where(EvaluationStage.call_id == call.id, wanted)
                .order_by(EvaluationStage.position)
                .options(*grid_options())
            )
        )
    )


def scoring_stages(call, version: int | None = None) -> list[EvaluationStage]:
    """The stages evaluators score (concept note, full application) of one version, in order."""
    return [s for s in stages_of(call, version) if s.kind in SCORED_KINDS]


def scoring_stage_for(proposal) -> EvaluationStage | None:
    """The stage that scores this proposal: in its pipeline version, the scored stage of the proposal's own kind
    (a concept note is scored in the concept-note stage, a full application in the full-application stage); a call
    with a single scored stage scores every proposal there."""
    stages = scoring_stages(proposal.call, version_of(proposal))
    for stage in stages:
        if stage.kind == proposal.stage:
            return stage
    return stages[0] if stages else None


def stage_for_call(call, stage_id: int | None = None) -> EvaluationStage | None:
    """The scored stage a manager's call-level page shows: `stage_id` when it is one of the call's scored stages (of
    any version), else the first scored stage of the current version."""
    if stage_id:
        stage = db.session.scalar(
            select(EvaluationStage)
            .where(
                EvaluationStage.id == stage_id,
                EvaluationStage.call_id == call.id,
                EvaluationStage.kind.in_(SCORED_KINDS),
            )
            .options(*grid_options())
        )
        if stage is not None:
            return with_criteria(stage)
    stages = scoring_stages(call)
    return stages[0] if stages else None


def all_scoring_stages(call) -> list[EvaluationStage]:
    """Every scored stage of every version of the call (for a stage picker), oldest version first."""
    return list(
        db.session.scalars(
            select(EvaluationStage)
            .where(EvaluationStage.call_id == call.id, EvaluationStage.kind.in_(SCORED_KINDS))
            .order_by(EvaluationStage.pipeline_version, EvaluationStage.position)
        )
    )


def proposals_in_stage(stage: EvaluationStage):
    """A SQL condition on Proposal selecting the proposals this stage scores: those pinned to its version (or not
    pinned yet while it is current) and, when the version scores both kinds, of the stage's kind."""
    from sqlalchemy import and_, or_

    from portal.proposals.models import Proposal

    version_matches = Proposal.pipeline_version == stage.pipeline_version
    if stage.pipeline_version == current_version(stage.call):
        version_matches = or_(version_matches, Proposal.pipeline_version.is_(None))
    condition = and_(Proposal.call_id == stage.call_id, version_matches)
    kinds = {s.kind for s in scoring_stages(stage.call, stage.pipeline_version)}
    if len(kinds) > 1:
        condition = and_(condition, Proposal.stage == stage.kind)
    return condition


def grid_locked(stage: EvaluationStage) -> bool:
    """A grid cannot change once any score was entered in its stage (a draft score counts)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ScoreEntry.assignment_id == Assignment.id,
                    Assignment.stage_id == stage.id,
                )
            )
        )
    )


def version_in_use(call, version: int) -> bool:
    """Whether proposals are pinned to this version of the call's pipeline (then it must not change)."""
    from portal.proposals.models import Proposal

    return bool(
        db.session.scalar(select(exists().where(Proposal.call_id == call.id, Proposal.pipeline_version == version)))
    )


def pin(proposal) -> None:
    """Pin the proposal to the call's current pipeline version (at its first submission; later ones keep it)."""
    if proposal.pipeline_version is None:
        proposal.pipeline_version = current_version(proposal.call)
