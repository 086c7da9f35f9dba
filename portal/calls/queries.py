"""Read helpers of the calls area. Each runs a fixed number of SQL statements, whatever the number of calls."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.calls.models import Call, CallStatus
from portal.core.db import utcnow
from portal.evaluation.models import EvaluationStage, GridSection
from portal.extensions import db
from portal.proposals.models import Proposal, ProposalStatus


def _grid_loader():
    return selectinload(Call.stages).selectinload(EvaluationStage.sections).selectinload(GridSection.criteria)


def public_calls(now: dt.datetime | None = None) -> list[Call]:
    """Published (non-draft) calls: open ones first (nearest deadline first), then upcoming, then closed
    (most recent deadline first)."""
    now = now or utcnow()
    published = Call.status == CallStatus.PUBLISHED
    rank = case(
        (and_(published, Call.opens_at <= now, Call.closes_at > now), 0),
        (and_(published, Call.opens_at > now), 1),
        else_=2,
    )
    stmt = select(Call).where(Call.status != CallStatus.DRAFT).order_by(rank, Call.closes_at, Call.id)
    calls = list(db.session.scalars(stmt))
    current = [c for c in calls if c.phase(now) != "closed"]
    closed = [c for c in calls if c.phase(now) == "closed"]
    return current + closed[::-1]


def open_calls(now: dt.datetime | None = None) -> list[Call]:
    now = now or utcnow()
    stmt = (
        select(Call)
        .where(Call.status == CallStatus.PUBLISHED, Call.opens_at <= now, Call.closes_at > now)
        .order_by(Call.closes_at, Call.id)
    )
    return list(db.session.scalars(stmt))


def manage_calls() -> list[Call]:
    """Every call, drafts included, newest deadline first."""
    return list(db.session.scalars(select(Call).order_by(Call.closes_at.desc(), Call.id.desc())))


def proposal_counts_by_call(call_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{call_id: {status: count}} for the given calls (all calls if None), in one grouped query."""
    stmt = select(Proposal.call_id, Proposal.status, func.count(Proposal.id)).group_by(
        Proposal.call_id, Proposal.status
    )
    if call_ids is not None:
        if not call_ids:
            return {}
        stmt = stmt.where(Proposal.call_id.in_(call_ids))
    counts: dict[int, dict[str, int]] = {}
    for call_id, status, count in db.session.execute(stmt):
        counts.setdefault(call_id, {})[status] = count
    return counts


def call_with_details(call_id: int) -> Call | None:
    """A call with its dialogues, domains, countries and evaluation grid loaded in a fixed number of queries."""
    stmt = (
        select(Call)
        .where(Call.id == call_id)
        .options(
            selectinload(Call.dialogues),
            selectinload(Call.domains),
            selectinload(Call.country_rows),
            _grid_loader(),
        )
    )
    return db.session.scalars(stmt).one_or_none()


def call_proposals(call: Call) -> list[Proposal]:
    stmt = (
        select(Proposal)
        .where(Proposal.call_id == call.id)
        .options(joinedload(Proposal.organisation))
        .order_by(Proposal.reference)
    )
    return list(db.session.scalars(stmt))


def submitted_proposal_count(call: Call) -> int:
    """Proposals of the call that have been submitted (anything but a draft)."""
    stmt = select(func.count(Proposal.id)).where(Proposal.call_id == call.id, Proposal.status != ProposalStatus.DRAFT)
    return db.session.scalar(stmt) or 0


def proposal_count(call: Call) -> int:
    return db.session.scalar(select(func.count(Proposal.id)).where(Proposal.call_id == call.id)) or 0
