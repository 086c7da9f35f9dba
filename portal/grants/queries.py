"""Read helpers for the grant pages: a fixed number of queries whatever the number of grants or partners."""

from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.grants.models import Grant, GrantOrganisation


def grants_for(user) -> list[Grant]:
    """Every grant for staff; for an applicant, the grants in which one of their organisations takes part."""
    query = (
        db.select(Grant)
        .options(
            joinedload(Grant.lead_organisation),
            joinedload(Grant.call),
            selectinload(Grant.documents),
        )
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    )
    if not user.is_staff:
        mine = user.organisation_ids()
        if not mine:
            return []
        query = query.where(
            Grant.id.in_(db.select(GrantOrganisation.grant_id).where(GrantOrganisation.organisation_id.in_(mine)))
        )
    return list(db.session.scalars(query).unique())


def preload_grant(grant_id: int) -> Grant | None:
    """The grant with everything its page shows, loaded up front (then `load()` finds it in the identity map)."""
    return db.session.scalar(
        db.select(Grant)
        .where(Grant.id == grant_id)
        .options(
            joinedload(Grant.call),
            joinedload(Grant.proposal),
            joinedload(Grant.lead_organisation),
            selectinload(Grant.organisations).joinedload(GrantOrganisation.organisation),
            selectinload(Grant.country_rows),
            selectinload(Grant.documents),
        )
    )
