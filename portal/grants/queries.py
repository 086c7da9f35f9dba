"""Read helpers for the grant pages: a fixed number of queries whatever the number of grants, partners, payments
or reports; counts (overdue milestones, amounts paid) come from the database (GROUP BY), not from loading rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from portal.core.db import utcnow
from portal.extensions import db
from portal.grants.models import (
    Amendment,
    Grant,
    GrantOrganisation,
    GrantReport,
    ReportStatus,
    Tranche,
)

OPEN_REPORT_STATUSES = (ReportStatus.DUE.value, ReportStatus.CHANGES_REQUESTED.value)


@dataclass
class GrantRow:
    """A grant in a list, with what the list flags."""

    grant: Grant
    overdue: int
    paid: Decimal
    next_due: dt.date | None


def today() -> dt.date:
    return utcnow().date()


def _overdue_counts(day: dt.date, *among):
    return (
        db.select(GrantReport.grant_id, func.count(GrantReport.id).label("overdue"))
        .where(GrantReport.status.in_(OPEN_REPORT_STATUSES), GrantReport.due_date < day, *among)
        .group_by(GrantReport.grant_id)
        .subquery()
    )


def _next_due(day: dt.date, *among):
    return (
        db.select(GrantReport.grant_id, func.min(GrantReport.due_date).label("next_due"))
        .where(GrantReport.status.in_(OPEN_REPORT_STATUSES), GrantReport.due_date >= day, *among)
        .group_by(GrantReport.grant_id)
        .subquery()
    )


def _paid_totals(*among):
    return (
        db.select(Tranche.grant_id, func.sum(Tranche.paid_amount).label("paid"))
        .where(Tranche.paid_date.is_not(None), *among)
        .group_by(Tranche.grant_id)
        .subquery()
    )


def _rows(query_filter, day: dt.date | None = None) -> list[GrantRow]:
    day = day or today()
    # The per-grant figures are grouped over the listed grants only: PostgreSQL does not push the list's filter into
    # a grouped subquery, so an applicant's three grants cost grouping every report and tranche of the facility.
    reports_among = () if query_filter is None else (GrantReport.grant_id.in_(db.select(Grant.id).where(query_filter)),)
    tranches_among = () if query_filter is None else (Tranche.grant_id.in_(db.select(Grant.id).where(query_filter)),)
    overdue = _overdue_counts(day, *reports_among)
    next_due = _next_due(day, *reports_among)
    paid = _paid_totals(*tranches_among)
    query = (
        db.select(Grant, overdue.c.overdue, paid.c.paid, next_due.c.next_due)
        .outerjoin(overdue, overdue.c.grant_id == Grant.id)
        .outerjoin(paid, paid.c.grant_id == Grant.id)
        .outerjoin(next_due, next_due.c.grant_id == Grant.id)
        .options(
            joinedload(Grant.lead_organisation),
            joinedload(Grant.call),
            selectinload(Grant.documents),
        )
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    )
    if query_filter is not None:
        query = query.where(query_filter)
    return [
        GrantRow(grant=g, overdue=o or 0, paid=Decimal(p or 0).quantize(Decimal("0.01")), next_due=n)
        for g, o, p, n in db.session.execute(query).unique()
    ]


def grant_rows_for(user, day: dt.date | None = None) -> list[GrantRow]:
    """Every grant for staff; for an applicant, the grants in which one of their organisations takes part."""
    if user.is_staff:
        return _rows(None, day)
    mine = user.organisation_ids()
    if not mine:
        return []
    return _rows(
        Grant.id.in_(db.select(GrantOrganisation.grant_id).where(GrantOrganisation.organisation_id.in_(mine))), day
    )


def grants_for(user) -> list[Grant]:
    return [row.grant for row in grant_rows_for(user)]


@dataclass(frozen=True)
class GrantLine:
    """What the applicant dashboard's panel shows of a grant: plain columns, no objects."""

    id: int
    agreement_number: str
    title: str
    status: str


@dataclass(frozen=True)
class MyGrantRow:
    grant: GrantLine
    overdue: int
    next_due: dt.date | None


def my_grants(user, day: dt.date | None = None) -> list[MyGrantRow]:
    """The applicant dashboard's panel: the grants of the user's organisations (none for staff: they have the
    grants list), each with its overdue reports and the next due date. One query of plain columns: the panel shows
    four of them, and loading each grant with its call, lead organisation, documents and payments (as the lists do)
    was a quarter of the dashboard's time."""
    if not getattr(user, "is_authenticated", False) or user.is_staff:
        return []
    mine = user.organisation_ids()
    if not mine:
        return []
    day = day or today()
    open_reports = (GrantReport.grant_id == Grant.id, GrantReport.status.in_(OPEN_REPORT_STATUSES))
    overdue = db.select(func.count(GrantReport.id)).where(*open_reports, GrantReport.due_date < day)
    next_due = db.select(func.min(GrantReport.due_date)).where(*open_reports, GrantReport.due_date >= day)
    rows = db.session.execute(
        db.select(
            Grant.id,
            Grant.agreement_number,
            Grant.title,
            Grant.status,
            overdue.scalar_subquery(),
            next_due.scalar_subquery(),
        )
        .where(Grant.id.in_(db.select(GrantOrganisation.grant_id).where(GrantOrganisation.organisation_id.in_(mine))))
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    )
    return [
        MyGrantRow(grant=GrantLine(gid, number, title, status), overdue=n or 0, next_due=due)
        for gid, number, title, status, n, due in rows
    ]


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
            selectinload(Grant.dialogues),
            selectinload(Grant.domains),
            selectinload(Grant.tranches),
            selectinload(Grant.reports).selectinload(GrantReport.files),
            selectinload(Grant.amendments),
        )
    )


def users_by_id(ids) -> dict:
    """Names of the people named on a page (uploaders, requesters, deciders), in one query."""
    from portal.accounts.models import User

    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))}


def people_of(grant: Grant) -> dict:
    ids = set()
    for report in grant.reports:
        ids.add(report.reviewed_by_id)
        ids.update(f.uploaded_by_id for f in report.files)
    for amendment in grant.amendments:
        ids.update((amendment.requested_by_id, amendment.decided_by_id))
    return users_by_id(ids)


def organisations_outside(grant: Grant) -> list:
    """Organisations that could join the grant (by name), for the change-of-partner form."""
    from portal.organisations.models import Organisation

    inside = db.select(GrantOrganisation.organisation_id).where(GrantOrganisation.grant_id == grant.id)
    return list(
        db.session.scalars(
            db.select(Organisation).where(Organisation.id.not_in(inside)).order_by(Organisation.legal_name)
        )
    )


def amendment_of(grant: Grant, amendment_id: int) -> Amendment | None:
    return next((a for a in grant.amendments if a.id == amendment_id), None)
