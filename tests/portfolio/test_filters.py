"""The portfolio's filters: read from query arguments with a message per unusable value, applied in SQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation
from portal.portfolio.filters import PortfolioFilters, parse_filters


def test_good_values_are_read_and_bad_ones_named():
    args = MultiDict(
        [
            ("country", "sn,ML"),
            ("country", "XX"),
            ("domain", "3"),
            ("domain", "9"),
            ("status", "active"),
            ("status", "lost"),
            ("year", "2026"),
            ("year", "26x"),
            ("organisation", "12"),
            ("organisation", "-1"),
            ("dialogue", "rabat"),
            ("call", "CFP-1"),
            ("call", ""),
        ]
    )
    filters, errors = parse_filters(args)
    assert filters == PortfolioFilters(
        calls=["CFP-1"],
        dialogues=["rabat"],
        domains=[3],
        countries=["SN", "ML"],
        organisations=[12],
        statuses=["active"],
        years=[2026],
    )
    assert [field for field, _m in errors] == ["domain", "country", "organisation", "status", "year"]
    assert any("“XX” is not a country code" in m for _f, m in errors)
    assert filters.as_args()["country"] == ["SN", "ML"]
    assert PortfolioFilters().empty and not filters.empty


def test_filters_select_grants_in_the_database(session, make_call, make_proposal, make_org, make_user):
    call = make_call()
    orgs = [make_org(country="SN", members=[make_user()]), make_org(country="ML", members=[make_user()])]
    grants = []
    for i, (country, status) in enumerate([("SN", "active"), ("ML", "closed")]):
        proposal = make_proposal(call, organisation=orgs[i], status="awarded")
        grant = Grant(
            agreement_number=f"{call.reference}-G0{i + 1}",
            call=call,
            proposal=proposal,
            lead_organisation=orgs[i],
            title=f"Grant {i}",
            amount=Decimal("100000.00"),
            awarded_on=dt.date(2025 + i, 6, 1),
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2027, 1, 1),
            status=status,
        )
        db.session.add(grant)  # before its rows: an autoflush would otherwise meet it half attached to the proposal
        grant.country_rows = [GrantCountry(country_code=country, share_pct=Decimal(100))]
        grant.organisations = [GrantOrganisation(organisation_id=orgs[i].id, role="lead")]
        grants.append(grant)
    session.commit()

    def count(**kw):
        query = PortfolioFilters(calls=[call.reference], **kw).apply(select(func.count(Grant.id)))
        return session.scalar(query)

    assert count() == 2
    assert count(countries=["SN"]) == 1
    assert count(statuses=["closed"]) == 1
    assert count(years=[2025]) == 1
    assert count(organisations=[orgs[1].id]) == 1
    assert count(countries=["SN"], statuses=["closed"]) == 0
