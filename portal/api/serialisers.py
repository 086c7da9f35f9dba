"""What the JSON API says about a grant: plain data (strings for amounts, ISO dates), described by the OpenAPI
document's schemas (portal/api/openapi.py) — a test checks the two agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import url_for

from portal.grants.models import Grant, GrantOrganisation, GrantReport, Tranche
from portal.organisations.models import Organisation


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def organisation(org: Organisation) -> dict:
    return {
        "id": org.id,
        "name": org.legal_name,
        "acronym": org.acronym,
        "type": org.type,
        "country": org.country,
    }


def _participant(row: GrantOrganisation) -> dict:
    return {**organisation(row.organisation), "role": row.role, "budget_share_eur": money(row.budget_share)}


def grant(grant: Grant, paid: Decimal) -> dict:
    return {
        "agreement_number": grant.agreement_number,
        "title": grant.title,
        "status": grant.status,
        "call": {"reference": grant.call.reference, "title": grant.call.title},
        "amount_awarded_eur": money(grant.amount),
        "cofinancing_eur": money(grant.cofinancing),
        "amount_paid_eur": money(paid),
        "awarded_on": _date(grant.awarded_on),
        "start_date": _date(grant.start_date),
        "end_date": _date(grant.end_date),
        "actual_start_date": _date(grant.actual_start_date),
        "actual_end_date": _date(grant.actual_end_date),
        "terms_version": grant.terms_version,
        "lead_organisation": organisation(grant.lead_organisation),
        "organisations": [_participant(row) for row in grant.organisations],
        "countries": [
            {"code": row.country_code, "share_pct": None if row.share_pct is None else str(row.share_pct)}
            for row in grant.country_rows
        ],
        "dialogues": [d.code for d in grant.dialogues],
        "jvap_domains": [d.number for d in grant.domains],
        "url": url_for("api.grant", agreement_number=grant.agreement_number, _external=True),
    }


def _tranche(tranche: Tranche) -> dict:
    return {
        "number": tranche.number,
        "kind": tranche.kind,
        "planned_date": _date(tranche.planned_date),
        "planned_amount_eur": money(tranche.planned_amount),
        "paid_date": _date(tranche.paid_date),
        "paid_amount_eur": money(tranche.paid_amount),
    }


def _report(report: GrantReport, today: dt.date) -> dict:
    return {
        "period": report.period,
        "type": report.type,
        "title": report.title,
        "due_date": _date(report.due_date),
        "status": report.status,
        "overdue": report.is_overdue(today),
    }


def grant_detail(item: Grant, paid: Decimal, today: dt.date) -> dict:
    return {
        **grant(item, paid),
        "tranches": [_tranche(t) for t in item.tranches],
        "reports": [_report(r, today) for r in item.reports],
    }


def summary(figures: dict) -> dict:
    return {key: money(value) if isinstance(value, Decimal) else value for key, value in figures.items()}
