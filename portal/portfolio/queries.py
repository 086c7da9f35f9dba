"""The portfolio's figures, computed by the database on the grants that the filters admit.

Every function here issues a fixed number of queries (GROUP BY on indexed columns: grant ids, link tables,
country codes), whatever the number of grants, organisations or payments: nothing loads rows in order to count them.

Definitions (also shown on the dashboard, see docs/portfolio.md):
- implementing organisations: the grant's lead and co-beneficiaries (GrantOrganisation rows with those roles);
  associated entities take part but receive no funds, and are not counted;
- an organisation is African-based when its registered country is an African Union member state, European-based
  when it is a member state of the European Union or of the European Free Trade Association, or the United Kingdom
  (the European partners of the Rabat and Khartoum processes);
- South–North partnership: a grant whose implementing organisations include at least one African-based and at least
  one European-based organisation;
- South–South partnership: a grant whose implementing organisations include African-based organisations in at least
  two different African countries.
  A grant can be both (an organisation in Senegal, one in Mali and one in France).
- amount in a country: the grant's amount times the country's share; a grant whose countries have no shares is
  split equally between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, and_, bindparam, case, extract, func, literal, select, true, type_coerce
from sqlalchemy.orm import aliased, joinedload, selectinload

from portal.calls.models import Call, Dialogue, JvapDomain
from portal.core import countries
from portal.core.db import Money
from portal.core.paging import ListPage, page_number
from portal.extensions import db
from portal.grants.models import (
    Grant,
    GrantCountry,
    GrantOrganisation,
    GrantRole,
    Tranche,
    grant_dialogues,
    grant_domains,
)
from portal.organisations.models import Organisation
from portal.portfolio.filters import PortfolioFilters

IMPLEMENTING_ROLES = (GrantRole.LEAD.value, GrantRole.CO_BENEFICIARY.value)
AFRICA = countries.AFRICAN_UNION
# EU member states, the EFTA states and the United Kingdom.
EUROPE = countries.EUROPEAN_UNION | frozenset({"IS", "LI", "NO", "CH", "GB"})
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _money(value) -> Decimal:
    """A sum from the database as exact EUR (SQLite gives floats back for computed sums)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)


def grant_ids(filters: PortfolioFilters) -> Select:
    """The ids of the grants the filters admit, as a subquery to use in `IN (...)`."""
    return filters.apply(select(Grant.id))


def admitted(column, filters: PortfolioFilters):
    """`column IN (the ids of the grants the filters admit)`; without filters, no condition at all: every grant is
    admitted, and PostgreSQL would still hash every row of the table against the ids of all the grants."""
    return true() if filters.empty else column.in_(grant_ids(filters))


# -- headline figures ---------------------------------------------------------------------------------------------


@dataclass
class Summary:
    grants: int = 0
    amount_awarded: Decimal = ZERO
    cofinancing: Decimal = ZERO
    amount_paid: Decimal = ZERO
    countries: int = 0
    implementing_organisations: int = 0
    south_north: int = 0
    south_south: int = 0


def _partnerships(filters: PortfolioFilters):
    """Per grant: the first and last African country (alphabetically) among its implementing organisations, and
    whether one of them is European-based; then the number of grants of each kind of partnership, both counted in
    one pass (a one-row subquery).

    Two different African countries <=> the first differs from the last: MIN/MAX group by hashing, where
    COUNT(DISTINCT ...) sorted every implementing organisation of every grant (twice, once per figure): 40 ms of the
    headline figures' 100 ms at 4,000 grants."""
    # The country lists are written into the statement as literals: PostgreSQL then looks them up in a hash table,
    # where with bound parameters it compared each row against the 55 African countries one by one.
    africa = bindparam("africa", sorted(AFRICA), expanding=True, literal_execute=True)
    europe = bindparam("europe", sorted(EUROPE), expanding=True, literal_execute=True)
    african = case((Organisation.country.in_(africa), Organisation.country))
    per_grant = (
        select(
            GrantOrganisation.grant_id,
            func.min(african).label("first_african"),
            func.max(african).label("last_african"),
            func.max(case((Organisation.country.in_(europe), 1), else_=0)).label("european"),
        )
        .join(Organisation, Organisation.id == GrantOrganisation.organisation_id)
        .where(admitted(GrantOrganisation.grant_id, filters), GrantOrganisation.role.in_(IMPLEMENTING_ROLES))
        .group_by(GrantOrganisation.grant_id)
        .subquery()
    )
    south_north = case((and_(per_grant.c.first_african.is_not(None), per_grant.c.european == 1), 1), else_=0)
    south_south = case((per_grant.c.first_african < per_grant.c.last_african, 1), else_=0)
    return select(
        func.coalesce(func.sum(south_north), 0).label("south_north"),
        func.coalesce(func.sum(south_south), 0).label("south_south"),
    ).subquery()


def summary(filters: PortfolioFilters) -> Summary:
    """The headline figures, in one query (one scalar subquery per figure)."""
    totals = filters.apply(
        select(
            func.count(Grant.id),
            func.coalesce(func.sum(Grant.amount), 0),
            func.coalesce(func.sum(Grant.cofinancing), 0),
        )
    ).subquery()
    paid = select(func.coalesce(func.sum(Tranche.paid_amount), 0)).where(
        admitted(Tranche.grant_id, filters), Tranche.paid_date.is_not(None)
    )
    # COUNT over a SELECT DISTINCT (hashed) rather than COUNT(DISTINCT ...) (which sorts every row).
    n_countries = select(func.count()).select_from(
        select(GrantCountry.country_code).where(admitted(GrantCountry.grant_id, filters)).distinct().subquery()
    )
    n_organisations = select(func.count()).select_from(
        select(GrantOrganisation.organisation_id)
        .where(admitted(GrantOrganisation.grant_id, filters), GrantOrganisation.role.in_(IMPLEMENTING_ROLES))
        .distinct()
        .subquery()
    )
    partnerships = _partnerships(filters)
    row = db.session.execute(
        select(
            totals,
            paid.scalar_subquery(),
            n_countries.scalar_subquery(),
            n_organisations.scalar_subquery(),
            partnerships.c.south_north,
            partnerships.c.south_south,
        ).select_from(totals.join(partnerships, true()))
    ).one()
    return Summary(
        grants=int(row[0]),
        amount_awarded=_money(row[1]),
        cofinancing=_money(row[2]),
        amount_paid=_money(row[3]),
        countries=int(row[4]),
        implementing_organisations=int(row[5]),
        south_north=int(row[6]),
        south_south=int(row[7]),
    )


# -- breakdowns -----------------------------------------------------------------------------------------------------


@dataclass
class Share:
    """One bar of a breakdown: a domain, a dialogue, a country, a period."""

    key: str
    label: str
    grants: int = 0
    amount: Decimal = ZERO
    obj: object = None
    extra: dict = field(default_factory=dict)


def by_domain(filters: PortfolioFilters) -> list[Share]:
    """Every JVAP domain with the number and amount of the admitted grants linked to it (a grant linked to two
    domains counts in both)."""
    linked = (
        select(
            grant_domains.c.domain_id,
            func.count(Grant.id).label("grants"),
            func.coalesce(func.sum(Grant.amount), 0).label("amount"),
        )
        .join(Grant, Grant.id == grant_domains.c.grant_id)
        .where(admitted(Grant.id, filters))
        .group_by(grant_domains.c.domain_id)
        .subquery()
    )
    rows = db.session.execute(
        select(JvapDomain, linked.c.grants, linked.c.amount)
        .outerjoin(linked, linked.c.domain_id == JvapDomain.id)
        .order_by(JvapDomain.number)
    )
    return [
        Share(key=str(domain.number), label="", grants=int(n or 0), amount=_money(amount), obj=domain)
        for domain, n, amount in rows
    ]


def by_dialogue(filters: PortfolioFilters) -> list[Share]:
    """Every dialogue with the number and amount of the admitted grants linked to it."""
    linked = (
        select(
            grant_dialogues.c.dialogue_id,
            func.count(Grant.id).label("grants"),
            func.coalesce(func.sum(Grant.amount), 0).label("amount"),
        )
        .join(Grant, Grant.id == grant_dialogues.c.grant_id)
        .where(admitted(Grant.id, filters))
        .group_by(grant_dialogues.c.dialogue_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Dialogue, linked.c.grants, linked.c.amount)
        .outerjoin(linked, linked.c.dialogue_id == Dialogue.id)
        .order_by(Dialogue.id)
    )
    return [
        Share(key=dialogue.code, label="", grants=int(n or 0), amount=_money(amount), obj=dialogue)
        for dialogue, n, amount in rows
    ]


def _country_amount():
    """The grant's amount in one of its countries: amount × share, or an equal split when the share is unknown."""
    siblings = aliased(GrantCountry)
    n_countries = (
        select(func.count()).select_from(siblings).where(siblings.grant_id == GrantCountry.grant_id).scalar_subquery()
    )
    share = func.coalesce(GrantCountry.share_pct, literal(Decimal("100")) / n_countries)
    return Grant.amount * share / literal(Decimal("100"))


def by_country(filters: PortfolioFilters) -> list[Share]:
    """Each country of implementation of the admitted grants: number of grants and amount there, most grants first."""
    rows = db.session.execute(
        select(
            GrantCountry.country_code,
            func.count(Grant.id),
            func.coalesce(func.sum(type_coerce(_country_amount(), Money())), 0),
        )
        .join(Grant, Grant.id == GrantCountry.grant_id)
        .where(admitted(Grant.id, filters))
        .group_by(GrantCountry.country_code)
        .order_by(func.count(Grant.id).desc(), GrantCountry.country_code)
    )
    return [Share(key=code, label=code, grants=int(n), amount=_money(amount)) for code, n, amount in rows]


@dataclass
class PaymentPeriod:
    key: str  # "2026-03" or "2026-Q1"
    year: int
    part: int  # month or quarter
    paid: Decimal = ZERO
    payments: int = 0
    planned: Decimal = ZERO


def payments_over_time(filters: PortfolioFilters, period: str = "quarter") -> list[PaymentPeriod]:
    """Amounts paid (by paid date) and still to pay (unpaid tranches by planned date), per month or quarter.

    The database groups by year and month (two queries); months are then folded into quarters here, over at most
    one row per month, never over payments."""
    paid_rows = db.session.execute(
        select(
            extract("year", Tranche.paid_date),
            extract("month", Tranche.paid_date),
            func.sum(Tranche.paid_amount),
            func.count(Tranche.id),
        )
        .where(admitted(Tranche.grant_id, filters), Tranche.paid_date.is_not(None))
        .group_by(extract("year", Tranche.paid_date), extract("month", Tranche.paid_date))
    ).all()
    planned_rows = db.session.execute(
        select(
            extract("year", Tranche.planned_date),
            extract("month", Tranche.planned_date),
            func.sum(Tranche.planned_amount),
        )
        .where(admitted(Tranche.grant_id, filters), Tranche.paid_date.is_(None))
        .group_by(extract("year", Tranche.planned_date), extract("month", Tranche.planned_date))
    ).all()
    periods: dict[tuple[int, int], PaymentPeriod] = {}

    def slot(year, month) -> PaymentPeriod:
        year, month = int(year), int(month)
        part = (month - 1) // 3 + 1 if period == "quarter" else month
        key = f"{year}-Q{part}" if period == "quarter" else f"{year}-{month:02d}"
        return periods.setdefault((year, part), PaymentPeriod(key=key, year=year, part=part))

    for year, month, amount, n in paid_rows:
        entry = slot(year, month)
        entry.paid += _money(amount)
        entry.payments += int(n)
    for year, month, amount in planned_rows:
        slot(year, month).planned += _money(amount)
    return [periods[k] for k in sorted(periods)]


# -- the filter form's choices ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationChoice:
    id: int
    legal_name: str
    acronym: str | None

    @property
    def name(self) -> str:  # as Organisation.name writes it
        return f"{self.legal_name} ({self.acronym})" if self.acronym else self.legal_name


@dataclass
class Choices:
    calls: list = field(default_factory=list)
    dialogues: list = field(default_factory=list)
    domains: list = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    organisations: list = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def filter_choices() -> Choices:
    """What the filters can choose from: the calls, countries, organisations and years that have grants."""
    has_grant = select(Grant.id).where(Grant.call_id == Call.id).exists()
    implementing = select(GrantOrganisation.organisation_id).where(GrantOrganisation.role.in_(IMPLEMENTING_ROLES))
    year = extract("year", Grant.awarded_on)
    return Choices(
        calls=list(db.session.scalars(select(Call).where(has_grant).order_by(Call.reference))),
        dialogues=list(db.session.scalars(select(Dialogue).order_by(Dialogue.id))),
        domains=list(db.session.scalars(select(JvapDomain).order_by(JvapDomain.number))),
        countries=list(
            db.session.scalars(select(GrantCountry.country_code).distinct().order_by(GrantCountry.country_code))
        ),
        # Plain rows, not ORM objects: at 2,000 organisations, building the objects was most of the dashboard's time.
        organisations=[
            OrganisationChoice(id=org_id, legal_name=legal_name, acronym=acronym)
            for org_id, legal_name, acronym in db.session.execute(
                select(Organisation.id, Organisation.legal_name, Organisation.acronym)
                .where(Organisation.id.in_(implementing))
                .order_by(Organisation.legal_name)
            )
        ],
        years=[
            int(y)
            for y in db.session.scalars(
                select(year).distinct().where(Grant.awarded_on.is_not(None)).order_by(year.desc())
            )
        ],
    )


# -- grant lists (country and organisation pages, exports) ------------------------------------------------------------


def _paid_per_grant():
    return (
        select(func.coalesce(func.sum(Tranche.paid_amount), 0))
        .where(Tranche.grant_id == Grant.id, Tranche.paid_date.is_not(None))
        .correlate(Grant)
        .scalar_subquery()
    )


@dataclass
class GrantRow:
    grant: Grant
    paid: Decimal


GRANTS_PER_PAGE = 50


def grant_rows_page(filters: PortfolioFilters, page: int | None, per_page: int | None = None) -> ListPage:
    """One page of the admitted grants, in agreement order, with what the country and organisation pages' tables
    show (call, lead organisation, countries, amount paid): a count and two queries whatever the number of grants.
    The whole list is the portfolio's CSV and Excel exports."""
    per_page = per_page or GRANTS_PER_PAGE
    total = db.session.scalar(filters.apply(select(func.count(Grant.id)))) or 0
    number = page_number(page, total, per_page)
    query = filters.apply(
        select(Grant, _paid_per_grant())
        .options(joinedload(Grant.call), joinedload(Grant.lead_organisation), selectinload(Grant.country_rows))
        .order_by(Grant.agreement_number, Grant.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    items = [GrantRow(grant=grant, paid=_money(paid)) for grant, paid in db.session.execute(query).unique()]
    return ListPage(page=number, per_page=per_page, total=total, items=items)


def grant_rows(filters: PortfolioFilters) -> list[GrantRow]:
    """The admitted grants with everything a list or an export shows, in five queries whatever their number: the
    grants (with call, lead organisation and amount paid), then their organisations, countries, dialogues, domains."""
    query = filters.apply(
        select(Grant, _paid_per_grant())
        .options(
            joinedload(Grant.call),
            joinedload(Grant.lead_organisation),
            selectinload(Grant.organisations).joinedload(GrantOrganisation.organisation),
            selectinload(Grant.country_rows),
            selectinload(Grant.dialogues),
            selectinload(Grant.domains),
        )
        .order_by(Grant.agreement_number)
    )
    return [GrantRow(grant=grant, paid=_money(paid)) for grant, paid in db.session.execute(query).unique()]


@dataclass
class Partner:
    organisation: Organisation
    grants: int
    amount: Decimal = ZERO


ORGANISATIONS_PER_PAGE = 50


def country_organisations(
    filters: PortfolioFilters, code: str, page: int | None = None, per_page: int | None = None
) -> ListPage:
    """One page of the implementing organisations of the admitted grants implemented in `code` (most grants first),
    with how many of those grants each takes part in and its budget share in them: a count and one query."""
    per_page = per_page or ORGANISATIONS_PER_PAGE
    ids = select(GrantCountry.grant_id).where(
        GrantCountry.country_code == code, GrantCountry.grant_id.in_(grant_ids(filters))
    )
    linked = (GrantOrganisation.grant_id.in_(ids), GrantOrganisation.role.in_(IMPLEMENTING_ROLES))
    organisations = select(GrantOrganisation.organisation_id).where(*linked).distinct().subquery()
    total = db.session.scalar(select(func.count()).select_from(organisations)) or 0
    number = page_number(page, total, per_page)
    rows = db.session.execute(
        select(
            Organisation,
            func.count(GrantOrganisation.grant_id),
            func.coalesce(func.sum(GrantOrganisation.budget_share), 0),
        )
        .join(GrantOrganisation, GrantOrganisation.organisation_id == Organisation.id)
        .where(*linked)
        .group_by(Organisation.id)
        .order_by(func.count(GrantOrganisation.grant_id).desc(), Organisation.legal_name, Organisation.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    items = [Partner(organisation=org, grants=int(n), amount=_money(amount)) for org, n, amount in rows]
    return ListPage(page=number, per_page=per_page, total=total, items=items)


def organisation_partners(filters: PortfolioFilters, organisation_id: int) -> list[Partner]:
    """The other organisations (any role) in the admitted grants of an organisation, with the number of grants they
    share with it."""
    mine = select(GrantOrganisation.grant_id).where(
        GrantOrganisation.organisation_id == organisation_id, GrantOrganisation.grant_id.in_(grant_ids(filters))
    )
    rows = db.session.execute(
        select(Organisation, func.count(GrantOrganisation.grant_id))
        .join(GrantOrganisation, GrantOrganisation.organisation_id == Organisation.id)
        .where(GrantOrganisation.grant_id.in_(mine), Organisation.id != organisation_id)
        .group_by(Organisation.id)
        .order_by(func.count(GrantOrganisation.grant_id).desc(), Organisation.legal_name)
    )
    return [Partner(organisation=org, grants=int(n)) for org, n in rows]


def organisation_roles(filters: PortfolioFilters, organisation_id: int) -> dict[int, GrantOrganisation]:
    """The organisation's row (role and budget share) in each of its admitted grants, by grant id."""
    rows = db.session.scalars(
        select(GrantOrganisation).where(
            GrantOrganisation.organisation_id == organisation_id,
            GrantOrganisation.grant_id.in_(grant_ids(filters)),
        )
    )
    return {row.grant_id: row for row in rows}
