"""The portfolio's filters, shared by the dashboard, its exports, the country and organisation pages and the JSON
API: read from query arguments (with a message for each value that cannot be used), and applied to any select
over grants as WHERE clauses, so that every figure is computed by the database on the same set of grants."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, exists, extract, select

from portal.calls.models import Call, Dialogue, JvapDomain
from portal.core import countries
from portal.core.ids import digits, parse_id, whole_number
from portal.grants.models import (
    GRANT_STATUS_VALUES,
    Grant,
    GrantCountry,
    GrantOrganisation,
    grant_dialogues,
    grant_domains,
)

# Query argument names, as in the dashboard's form and the API (repeat an argument to choose several values).
ARGS = ("call", "dialogue", "domain", "country", "organisation", "status", "year")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_CALL_REFERENCE = 40  # Call.reference's length
DIALOGUE_CODE = re.compile(r"[a-z][a-z0-9_-]{0,19}")  # e.g. rabat, c2cmmd (Dialogue.code)


@dataclass
class PortfolioFilters:
    calls: list[str] = field(default_factory=list)  # call references
    dialogues: list[str] = field(default_factory=list)  # dialogue codes
    domains: list[int] = field(default_factory=list)  # JVAP domain numbers
    countries: list[str] = field(default_factory=list)  # ISO alpha-2 codes of countries of implementation
    organisations: list[int] = field(default_factory=list)  # implementing organisation ids
    statuses: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # years in which the grant was awarded

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def as_args(self) -> dict[str, list[str]]:
        """The filters as query arguments (for links that keep them, e.g. the exports)."""
        return {
            name: [str(v) for v in values]
            for name, values in (
                ("call", self.calls),
                ("dialogue", self.dialogues),
                ("domain", self.domains),
                ("country", self.countries),
                ("organisation", self.organisations),
                ("status", self.statuses),
                ("year", self.years),
            )
            if values
        }

    def apply(self, query: Select) -> Select:
        """`query` (a select whose FROM includes grants) narrowed to the grants these filters admit. Every
        condition is an indexed equality or an EXISTS on an indexed link table: no row is loaded into Python."""
        if self.calls:
            query = query.where(Grant.call_id.in_(select(Call.id).where(Call.reference.in_(self.calls))))
        if self.dialogues:
            query = query.where(
                exists()
                .where(grant_dialogues.c.grant_id == Grant.id)
                .where(grant_dialogues.c.dialogue_id.in_(select(Dialogue.id).where(Dialogue.code.in_(self.dialogues))))
            )
        if self.domains:
            query = query.where(
                exists()
                .where(grant_domains.c.grant_id == Grant.id)
                .where(grant_domains.c.domain_id.in_(select(JvapDomain.id).where(JvapDomain.number.in_(self.domains))))
            )
        if self.countries:
            query = query.where(
                exists().where(GrantCountry.grant_id == Grant.id).where(GrantCountry.country_code.in_(self.countries))
            )
        if self.organisations:
            query = query.where(
                exists()
                .where(GrantOrganisation.grant_id == Grant.id)
                .where(GrantOrganisation.organisation_id.in_(self.organisations))
            )
        if self.statuses:
            query = query.where(Grant.status.in_(self.statuses))
        if self.years:
            query = query.where(extract("year", Grant.awarded_on).in_(self.years))
        return query


def _values(args: Mapping, name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else ([args[name]] if name in args else [])
    values = []
    for item in raw:
        # "a,b" and repeated arguments are both accepted; blanks (an empty <select>) are ignored.
        values += [v.strip() for v in str(item).split(",") if v.strip()]
    return list(dict.fromkeys(values))


def parse_filters(args: Mapping) -> tuple[PortfolioFilters, list[tuple[str, str]]]:
    """The filters in query arguments, and a (argument, message) pair for each value that cannot be used (that
    value is left out; the others still apply). Values are checked for their shape here; a well-formed value that
    matches nothing (an unknown call reference) simply selects no grant."""
    filters, errors = PortfolioFilters(), []
    for reference in _values(args, "call"):
        if len(reference) <= MAX_CALL_REFERENCE:
            filters.calls.append(reference)
        else:
            errors.append(("call", _("“%(value)s…” is not a call reference.", value=reference[:40])))
    for code in _values(args, "dialogue"):
        if DIALOGUE_CODE.fullmatch(code):
            filters.dialogues.append(code)
        else:
            errors.append(("dialogue", _("“%(value)s” is not a dialogue.", value=code[:40])))
    for value in _values(args, "domain"):
        if whole_number(value, 5):
            filters.domains.append(whole_number(value, 5))
        else:
            errors.append(
                ("domain", _("“%(value)s” is not a JVAP domain: give a number from 1 to 5.", value=value[:40]))
            )
    for value in _values(args, "country"):
        code = value.upper()
        if countries.is_valid(code):
            filters.countries.append(code)
        else:
            errors.append(
                ("country", _("“%(value)s” is not a country code (ISO 3166 alpha-2, e.g. SN).", value=value[:40]))
            )
    for value in _values(args, "organisation"):
        if parse_id(value):
            filters.organisations.append(int(value))
        else:
            errors.append(("organisation", _("“%(value)s” is not an organisation number.", value=value[:40])))
    for value in _values(args, "status"):
        if value in GRANT_STATUS_VALUES:
            filters.statuses.append(value)
        else:
            errors.append(
                (
                    "status",
                    _(
                        "“%(value)s” is not a grant status: use one of %(known)s.",
                        value=value[:40],
                        known=", ".join(GRANT_STATUS_VALUES),
                    ),
                )
            )
    for value in _values(args, "year"):
        if digits(value) and len(value) == 4 and MIN_YEAR <= int(value) <= MAX_YEAR:
            filters.years.append(int(value))
        else:
            errors.append(("year", _("“%(value)s” is not a year.", value=value[:40])))
    return filters, errors
