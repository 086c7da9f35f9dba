"""What the dashboard shows besides its headline figures: each breakdown (from `queries`) with its chart, in the
reader's language. Kept out of the routes so that they stay thin, and out of `queries` so that those stay data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_compact_currency
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from markupsafe import Markup

from portal.core import countries, i18n
from portal.grants.models import GRANT_STATUS_VALUES
from portal.portfolio import charts, queries
from portal.portfolio.filters import PortfolioFilters


def _count(value) -> str:
    return i18n.number(Decimal(value), places=0)


def _short(name: str) -> str:
    """A dialogue's name for a chart's axis: its abbreviation when it has one ("… Dialogue (C2CMMD)" -> "C2CMMD")."""
    match = re.search(r"\(([^)]{2,12})\)\s*$", name)
    return match.group(1) if match else name


def _compact_money(value) -> str:
    return format_compact_currency(Decimal(value), "EUR", locale=i18n.locale_code(), fraction_digits=1)


def _grants(value) -> str:
    n = int(value)
    return ngettext("%(num)d grant", "%(num)d grants", n)


@dataclass
class Panel:
    rows: list
    chart: Markup | None = None


@dataclass
class MapPanel:
    chart: Markup | None
    buckets: list
    integral: bool


@dataclass
class Dashboard:
    domains: Panel
    dialogues: Panel
    countries: Panel
    payments: Panel
    grants_map: MapPanel
    amount_map: MapPanel
    undrawn: list[str] = field(default_factory=list)
    map_outlines: Markup | None = None  # the countries' outlines, drawn by both maps (charts.outline_defs)


def _country_link(filters: PortfolioFilters):
    args = {k: v for k, v in filters.as_args().items() if k != "country"}
    return lambda code: url_for("portfolio.country", code=code, **args)


def dashboard(filters: PortfolioFilters, period: str) -> Dashboard:
    locale = i18n.locale_code()
    domains = queries.by_domain(filters)
    dialogues = queries.by_dialogue(filters)
    per_country = queries.by_country(filters)
    payments = queries.payments_over_time(filters, period)

    def name(code: str) -> str:
        return countries.name(code, locale)

    domains_chart = (
        charts.bar_chart(
            _("Amount awarded by JVAP domain"),
            _(
                "Bar chart of the amount of the selected grants linked to each JVAP domain; the table below gives "
                "the figures."
            ),
            [_("Domain %(number)s", number=s.obj.number) for s in domains],
            [s.amount for s in domains],
            i18n.money,
            _compact_money,
        )
        if any(s.grants for s in domains)
        else None
    )
    dialogues_chart = (
        charts.bar_chart(
            _("Amount awarded by dialogue"),
            _(
                "Bar chart of the amount of the selected grants linked to each dialogue; the table below gives the "
                "figures."
            ),
            [_short(i18n.localized(s.obj, "name")) for s in dialogues],
            [s.amount for s in dialogues],
            i18n.money,
            _compact_money,
        )
        if any(s.grants for s in dialogues)
        else None
    )
    countries_chart = (
        charts.bar_chart(
            _("Grants by country of implementation"),
            _(
                "Bar chart of the number of selected grants implemented in each country; the table below gives the "
                "figures and the amounts."
            ),
            [name(s.key) for s in per_country],
            [s.grants for s in per_country],
            _count,
            integral=True,
        )
        if per_country
        else None
    )
    payments_chart = (
        charts.series_chart(
            _("Payments over time"),
            _(
                "Bar chart of the amounts paid and of the amounts planned but not yet paid, per period; the table "
                "below gives the figures."
            ),
            [p.key for p in payments],
            [(_("Paid"), [p.paid for p in payments]), (_("Planned, not yet paid"), [p.planned for p in payments])],
            i18n.money,
            _compact_money,
        )
        if payments
        else None
    )

    link = _country_link(filters)
    grant_counts = {s.key: s.grants for s in per_country}
    amounts = {s.key: s.amount for s in per_country}
    grant_buckets = charts.buckets(max(grant_counts.values(), default=0), integral=True)
    amount_buckets = charts.buckets(max(amounts.values(), default=Decimal(0)), integral=False)
    grants_map = (
        charts.africa_map(
            _("Map of Africa: number of grants per country"),
            _(
                "Each African country is shaded by the number of selected grants implemented there; darker means "
                "more. The table of countries gives the figures."
            ),
            grant_counts,
            grant_buckets,
            lambda code, value: f"{name(code)}: {_grants(value)}",
            link,
        )
        if per_country
        else None
    )
    amount_map = (
        charts.africa_map(
            _("Map of Africa: amount per country"),
            _(
                "Each African country is shaded by the amount of the selected grants implemented there (each grant's "
                "amount times the country's share); darker means more. The table of countries gives the figures."
            ),
            amounts,
            amount_buckets,
            lambda code, value: f"{name(code)}: {i18n.money(value)}",
            link,
        )
        if per_country
        else None
    )
    undrawn = [name(s.key) for s in per_country if s.key not in charts.drawn_countries()]
    return Dashboard(
        domains=Panel(domains, domains_chart),
        dialogues=Panel(dialogues, dialogues_chart),
        countries=Panel(per_country, countries_chart),
        payments=Panel(payments, payments_chart),
        grants_map=MapPanel(grants_map, grant_buckets, True),
        amount_map=MapPanel(amount_map, amount_buckets, False),
        undrawn=undrawn,
        map_outlines=charts.outline_defs() if per_country else None,
    )


def filter_options(choices: queries.Choices) -> dict[str, list[tuple[str, str]]]:
    """(value, text) pairs for each select of the filter form, in the reader's language."""
    locale = i18n.locale_code()
    statuses = {
        "contracting": _("Contracting"),
        "active": _("Active"),
        "suspended": _("Suspended"),
        "closed": pgettext("grant status", "Closed"),
        "terminated": _("Terminated"),
    }
    return {
        "call": [(c.reference, f"{c.reference} — {c.title}") for c in choices.calls],
        "dialogue": [(d.code, i18n.localized(d, "name")) for d in choices.dialogues],
        "domain": [(str(d.number), f"{d.number}. {i18n.localized(d, 'name')}") for d in choices.domains],
        "country": sorted(
            ((code, countries.name(code, locale)) for code in choices.countries), key=lambda pair: pair[1]
        ),
        "organisation": [(str(o.id), o.name) for o in choices.organisations],
        "status": [(value, statuses.get(value, value)) for value in GRANT_STATUS_VALUES],
        "year": [(str(y), str(y)) for y in choices.years],
    }


def option_markup(options: dict[str, list[tuple[str, str]]], chosen: dict[str, list[str]]) -> dict[str, Markup]:
    """The <option> elements of each filter select, written once (the organisations' are 2,000 of them): the chosen
    values are selected."""
    return {
        name: Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                value, Markup(" selected") if str(value) in chosen.get(name, []) else "", text
            )
            for value, text in pairs
        )
        for name, pairs in options.items()
    }
