"""The portfolio in the 360Giving Data Standard 1.4 (https://standard.threesixtygiving.org/en/latest/):
`{"grants": [...]}`, one grant object per awarded grant, written piece by piece so that the response can be streamed.

Identifiers follow the 360Giving guidance: a grant is `{OPEN_DATA_360G_PREFIX}-{agreement number}`; the recipient (the
lead organisation, which signs and receives the funds) is `{OPEN_DATA_360G_PREFIX}-ORG-{our organisation id}`, the
guidance's form for organisations whose registry has no org-id list (most of the facility's countries); the funder is
its IATI organisation identifier (XI-IATI-..., an org-id list). Titles and descriptions are those of the IATI file
(portal/opendata/iati.py), in English, and carry no personal data."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal

from portal.core import countries
from portal.grants.models import Grant
from portal.opendata.iati import describe
from portal.opendata.queries import amount_paid, paid_tranches


def _number(value: Decimal) -> int | float:
    """A JSON number for an amount. The standard wants numbers, and the json module writes only int and float: a
    Numeric(14, 2) amount has at most 14 significant digits, which a float holds exactly enough that Python writes
    it back as the same decimal text (repr gives the shortest round-trip form), so nothing is lost on the wire."""
    value = value.quantize(Decimal("0.01"))
    return int(value) if value == value.to_integral_value() else float(value)


def grant_object(grant: Grant, config) -> dict:
    prefix = config["OPEN_DATA_360G_PREFIX"]
    lead = grant.lead_organisation
    awarded_on = grant.awarded_on or grant.start_date
    data: dict = {
        "id": f"{prefix}-{grant.agreement_number}",
        "title": grant.title,
        "description": describe(grant, config["FACILITY_NAME"]),
        "currency": "EUR",
        "amountAwarded": _number(grant.amount),
        "amountDisbursed": _number(amount_paid(grant)),
        "awardDate": awarded_on.isoformat(),
        "plannedDates": [
            {
                "startDate": grant.start_date.isoformat(),
                "endDate": grant.end_date.isoformat(),
                "duration": grant.duration_months,
            }
        ],
        "recipientOrganization": [{"id": f"{prefix}-ORG-{lead.id}", "name": lead.legal_name}],
        "fundingOrganization": [{"id": config["FACILITY_FUNDER_REF"], "name": config["FACILITY_FUNDER_NAME"]}],
        "beneficiaryLocation": [{"name": countries.name(code, "en"), "countryCode": code} for code in grant.countries],
        "grantProgramme": [{"code": grant.call.reference, "title": grant.call.title}],
        "fromOpenCall": "Yes",
    }
    if grant.actual_start_date:
        actual = {"startDate": grant.actual_start_date.isoformat()}
        if grant.actual_end_date:
            actual["endDate"] = grant.actual_end_date.isoformat()
        data["actualDates"] = [actual]
    if grant.domains:
        data["classifications"] = [
            {"vocabulary": "JVAP domain", "code": str(d.number), "title": d.name_en} for d in grant.domains
        ]
    paid = paid_tranches(grant)
    if paid:
        data["disbursementTransaction"] = [
            {
                "id": f"{prefix}-{grant.agreement_number}-P{t.number}",
                "transactionDate": t.paid_date.isoformat(),
                "currency": "EUR",
                "value": _number(t.paid_amount),
            }
            for t in paid
        ]
    return data


def document(grants: Iterable[Grant], config) -> Iterator[str]:
    """The package in pieces. With no grant yet the list is empty (the package schema wants at least one grant):
    it is still served, so that consumers see a well-formed, empty publication rather than an error."""
    yield '{"grants": ['
    for i, grant in enumerate(grants):
        yield ("," if i else "") + "\n" + json.dumps(grant_object(grant, config), ensure_ascii=False)
    yield "\n]}\n"
