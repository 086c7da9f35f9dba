"""The portfolio as IATI activities (IATI activity standard 2.03, https://iatistandard.org/en/iati-standard/203/),
one <iati-activity> per awarded grant, written piece by piece so that the response can be streamed.

Choices, in the standard's terms:
- iati-identifier: `{FACILITY_IATI_REF}-{agreement number}`; reporting-org: the facility (FACILITY_IATI_REF).
- participating-org: 1 funding (FACILITY_FUNDER_*), 2 accountable (FACILITY_ORG_*), 3 extending (the facility),
  4 implementing (the lead and each co-beneficiary; associated entities receive no funds and are left out), with
  the IATI OrganisationType code mapped from ours (`ORGANISATION_TYPES`).
- activity-status from the grant's status (`ACTIVITY_STATUS`); activity-date 1/3 planned start/end, 2/4 actual.
- recipient-country: the countries of implementation with percentages summing to 100.
- sector: DAC 5-digit 15190 "Facilitation of orderly, safe, regular and responsible migration and mobility" for the
  whole grant (every call of the facility serves the migration dialogues), plus the grant's JVAP domains under the
  reporting organisation's own vocabulary (99), split evenly.
- budget: one original budget over the grant's planned period; transactions: 2 outgoing commitment (the amount
  awarded, on the award date) and 3 disbursement (each paid tranche).
- title and description: the grant's title, and a description composed from the call, domains and countries. The
  proposal's free-text summary is not published: applicants write it for the evaluators and it may name people.
Texts are in English (xml:lang="en"): a published file does not change with the reader's language.

No personal data: organisations are named by their legal name only; no person, e-mail, phone or address is read
(see portal/opendata/queries.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from xml.etree import ElementTree as ET  # we only build and serialise our own elements (nothing is parsed)

from portal.core import countries
from portal.core.db import utcnow
from portal.grants.models import Grant, GrantStatus
from portal.opendata.queries import country_percentages, implementing, paid_tranches

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IATI_VERSION = "2.03"
DAC_MIGRATION_SECTOR = "15190"
DAC_MIGRATION_SECTOR_NAME = "Facilitation of orderly, safe, regular and responsible migration and mobility"

# Our grant statuses -> IATI ActivityStatus (1 pipeline/identification, 2 implementation, 3 finalisation,
# 4 closed, 5 cancelled, 6 suspended). Contracting: awarded, agreement not yet signed.
ACTIVITY_STATUS = {
    GrantStatus.CONTRACTING.value: "1",
    GrantStatus.ACTIVE.value: "2",
    GrantStatus.SUSPENDED.value: "6",
    GrantStatus.CLOSED.value: "4",
    GrantStatus.TERMINATED.value: "5",
}
FINALISATION = "3"  # an active grant whose activities actually ended: final reports and balance payment pending

# Our organisation types -> IATI OrganisationType. NGOs and diaspora organisations based in a country where the
# grant is implemented are "partner country based NGOs" (24), others national NGOs (22).
ORGANISATION_TYPES = {
    "ngo": "22",
    "diaspora": "22",
    "research": "80",
    "local_authority": "11",
    "private_sector": "70",
    "international": "40",
}
PARTNER_COUNTRY_NGO = "24"


def organisation_type(org_type: str, org_country: str, grant_countries: Iterable[str]) -> str:
    code = ORGANISATION_TYPES.get(org_type, "90")  # 90: other
    if code == "22" and org_country in set(grant_countries):
        return PARTNER_COUNTRY_NGO
    return code


def activity_status(grant: Grant) -> str:
    if grant.status == GrantStatus.ACTIVE.value and grant.actual_end_date is not None:
        return FINALISATION
    return ACTIVITY_STATUS.get(grant.status, "2")


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _narrative(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = _sub(parent, tag, **attrs)
    _sub(element, "narrative", text)
    return element


def describe(grant: Grant, facility_name: str) -> str:
    """A description built from structured facts only (no applicant-written text: see the module's docstring)."""
    parts = [f"Grant {grant.agreement_number} awarded by the {facility_name} under the call “{grant.call.title}”."]
    if grant.domains:
        parts.append("JVAP domains: " + "; ".join(f"{d.number}. {d.name_en}" for d in grant.domains) + ".")
    names = [countries.name(code, "en") for code in grant.countries]
    if names:
        parts.append("Implemented in " + ", ".join(names) + f" by {len(implementing(grant))} organisation(s).")
    return " ".join(parts)


def activity(grant: Grant, config) -> ET.Element:
    facility_ref = config["FACILITY_IATI_REF"]
    facility_name = config["FACILITY_NAME"]
    element = ET.Element("iati-activity", {XML_LANG: "en", "default-currency": "EUR"})
    _sub(element, "iati-identifier", f"{facility_ref}-{grant.agreement_number}")
    _narrative(element, "reporting-org", facility_name, ref=facility_ref, type=config["FACILITY_IATI_ORG_TYPE"])
    _narrative(element, "title", grant.title)
    _narrative(element, "description", describe(grant, facility_name), type="1")

    _narrative(
        element, "participating-org", config["FACILITY_FUNDER_NAME"], ref=config["FACILITY_FUNDER_REF"], role="1"
    )
    _narrative(element, "participating-org", config["FACILITY_ORG_NAME"], ref=config["FACILITY_ORG_REF"], role="2")
    _narrative(
        element,
        "participating-org",
        facility_name,
        ref=facility_ref,
        role="3",
        type=config["FACILITY_IATI_ORG_TYPE"],
    )
    grant_countries = grant.countries
    for row in implementing(grant):
        org = row.organisation
        _narrative(
            element,
            "participating-org",
            org.legal_name,
            role="4",
            type=organisation_type(org.type, org.country, grant_countries),
        )

    _sub(element, "activity-status", code=activity_status(grant))
    _sub(element, "activity-date", type="1", iso_date=grant.start_date.isoformat())
    if grant.actual_start_date:
        _sub(element, "activity-date", type="2", iso_date=grant.actual_start_date.isoformat())
    _sub(element, "activity-date", type="3", iso_date=grant.end_date.isoformat())
    if grant.actual_end_date:
        _sub(element, "activity-date", type="4", iso_date=grant.actual_end_date.isoformat())

    for code, percentage in country_percentages(grant.country_rows):
        _sub(element, "recipient-country", code=code, percentage=str(percentage))

    _narrative(
        element, "sector", DAC_MIGRATION_SECTOR_NAME, vocabulary="1", code=DAC_MIGRATION_SECTOR, percentage="100"
    )
    if grant.domains:
        shares = _even_split(len(grant.domains))
        for domain, share in zip(grant.domains, shares, strict=True):
            _narrative(
                element, "sector", domain.name_en, vocabulary="99", code=f"JVAP-{domain.number}", percentage=share
            )

    _sub(element, "default-finance-type", code="110")  # standard grant
    _sub(element, "default-aid-type", code="C01")  # project-type interventions

    awarded_on = grant.awarded_on or grant.start_date
    budget = _sub(element, "budget", type="1", status="2")  # original, committed
    _sub(budget, "period-start", iso_date=grant.start_date.isoformat())
    _sub(budget, "period-end", iso_date=grant.end_date.isoformat())
    _sub(budget, "value", _money(grant.amount), currency="EUR", value_date=awarded_on.isoformat())

    lead_name = grant.lead_organisation.legal_name
    _transaction(element, "2", awarded_on, grant.amount, "Amount awarded", facility_ref, facility_name, lead_name)
    for tranche in paid_tranches(grant):
        label = f"Payment {tranche.number} ({tranche.kind.replace('_', ' ')})"
        _transaction(
            element, "3", tranche.paid_date, tranche.paid_amount, label, facility_ref, facility_name, lead_name
        )
    return element


def _even_split(count: int) -> list[str]:
    base = (Decimal(100) / count).quantize(Decimal("0.01"))
    values = [base] * count
    values[0] += Decimal(100) - sum(values)
    return [str(v) for v in values]


def _transaction(parent, code, date: dt.date, value: Decimal, label, provider_ref, provider_name, receiver_name):
    transaction = _sub(parent, "transaction")
    _sub(transaction, "transaction-type", code=code)
    _sub(transaction, "transaction-date", iso_date=date.isoformat())
    _sub(transaction, "value", _money(value), currency="EUR", value_date=date.isoformat())
    _narrative(transaction, "description", label)
    _narrative(transaction, "provider-org", provider_name, ref=provider_ref)
    _narrative(transaction, "receiver-org", receiver_name)


def document(grants: Iterable[Grant], config) -> Iterator[str]:
    """The whole document, in pieces: the opening, one activity at a time, the closing.

    With no grant yet the document is empty, which the schema does not allow (it wants at least one activity):
    it is still served, so that consumers see a well-formed, empty publication rather than an error."""
    generated = utcnow().replace(microsecond=0).isoformat()
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<iati-activities version="{IATI_VERSION}" generated-datetime="{generated}">\n'
    )
    for grant in grants:
        yield ET.tostring(activity(grant, config), encoding="unicode") + "\n"
    yield "</iati-activities>\n"
