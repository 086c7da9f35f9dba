"""Read helpers of the JSON API: a page of grants with what the API shows of them, one grant, and the portfolio's
headline figures. A fixed number of queries whatever the number of grants; every figure computed by the database
over the grants the shared portfolio filters (portal/portfolio/filters.py) admit."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import joinedload, raiseload, selectinload

from portal.extensions import db
from portal.grants.models import Grant, GrantOrganisation, GrantRole, Tranche
from portal.portfolio.filters import PortfolioFilters

IMPLEMENTING_ROLES = (GrantRole.LEAD.value, GrantRole.CO_BENEFICIARY.value)
CENT = Decimal("0.01")


def _grant_options(detail: bool = False) -> list:
    options = [
        joinedload(Grant.call),
        joinedload(Grant.lead_organisation),
        selectinload(Grant.organisations).joinedload(GrantOrganisation.organisation),
        selectinload(Grant.country_rows),
        selectinload(Grant.dialogues),
        selectinload(Grant.domains),
    ]
    if detail:
        options += [selectinload(Grant.tranches), selectinload(Grant.reports)]
    # Anything else (proposal, documents...) is not part of the API: refuse to load it lazily, one grant at a time.
    return [*options, raiseload("*")]


def amounts_paid(grant_ids: list[int]) -> dict[int, Decimal]:
    """Sum of the paid tranches of each grant, in one grouped query."""
    if not grant_ids:
        return {}
    rows = db.session.execute(
        select(Tranche.grant_id, func.sum(Tranche.paid_amount))
        .where(Tranche.grant_id.in_(grant_ids), Tranche.paid_amount.is_not(None))
        .group_by(Tranche.grant_id)
    )
    return {grant_id: _decimal(total) for grant_id, total in rows}


def grants_page(filters: PortfolioFilters, page: int, per_page: int) -> tuple[int, list[Grant], dict[int, Decimal]]:
    """(number of grants the filters admit, the grants of this page in agreement-number order, amounts paid)."""
    total = db.session.scalar(filters.apply(select(func.count(Grant.id))))
    grants = list(
        db.session.scalars(
            filters.apply(select(Grant))
            .order_by(Grant.agreement_number)
            .limit(per_page)
            .offset((page - 1) * per_page)
            .options(*_grant_options())
        ).unique()
    )
    return total or 0, grants, amounts_paid([g.id for g in grants])


def grant_by_number(agreement_number: str) -> tuple[Grant | None, Decimal]:
    grant = db.session.scalar(
        select(Grant).where(Grant.agreement_number == agreement_number).options(*_grant_options(detail=True))
    )
    if grant is None:
        return None, Decimal("0.00")
    return grant, amounts_paid([grant.id]).get(grant.id, Decimal("0.00"))


def _decimal(value) -> Decimal:
    # SQLite sums NUMERIC columns as floating point; quantizing to cents gives back the exact amount.
    return Decimal(str(value or 0)).quantize(CENT)


def summary(filters: PortfolioFilters) -> dict:
    """The portfolio's headline figures over the filtered grants: the dashboard's own figures (one definition of
    each, in portal.portfolio.queries), plus the associated entities and the count of grants per status; three
    queries, each a set of aggregates computed by the database."""
    from portal.portfolio import queries as portfolio

    figures = portfolio.summary(filters)
    ids: Select = filters.apply(select(Grant.id))
    associated = db.session.scalar(
        select(func.count(distinct(GrantOrganisation.organisation_id))).where(
            GrantOrganisation.grant_id.in_(ids), GrantOrganisation.role == GrantRole.ASSOCIATED.value
        )
    )
    by_status = dict(
        db.session.execute(filters.apply(select(Grant.status, func.count(Grant.id))).group_by(Grant.status)).all()
    )
    return {
        "grants": figures.grants,
        "countries": figures.countries,
        "implementing_organisations": figures.implementing_organisations,
        "associated_entities": associated or 0,
        "partnerships_south_north": figures.south_north,
        "partnerships_south_south": figures.south_south,
        "amount_awarded_eur": _decimal(figures.amount_awarded),
        "cofinancing_eur": _decimal(figures.cofinancing),
        "amount_paid_eur": _decimal(figures.amount_paid),
        "grants_by_status": by_status,
    }
