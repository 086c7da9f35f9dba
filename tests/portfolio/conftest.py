"""A small portfolio described as plain data (SPEC), built in the database by `make_grant`; tests compute the
expected figures from SPEC in plain Python and compare them with what the portal shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from portal.calls.models import Dialogue, JvapDomain
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, Tranche

# Organisations by key: (country, legal name, acronym).
ORGS = {
    "sn1": ("SN", "Association Jeunesse et Migration", "AJM"),
    "sn2": ("SN", "Réseau Sénégalais des Diasporas", "RSD"),
    "ml": ("ML", "Institut Malien de Recherche", "IMR"),
    "ne": ("NE", "Collectif Nigérien pour la Mobilité", "CNM"),
    "ke": ("KE", "Nairobi Migration Research Centre", "NMRC"),
    "fr": ("FR", "Commune de Lyon Partenariats", "CLP"),
    "be": ("BE", "Brussels Diaspora Forum", "BDF"),
    "gb": ("GB", "London Remittances Institute", "LRI"),
    "us": ("US", "Boston Mobility Lab", "BML"),
}


@dataclass
class Spec:
    key: str
    call: str  # "A" or "B"
    lead: str
    amount: str
    status: str = "active"
    year: int = 2025
    co: list[str] = field(default_factory=list)
    associated: list[str] = field(default_factory=list)
    countries: dict[str, int | None] = field(default_factory=dict)
    dialogues: list[str] = field(default_factory=list)
    domains: list[int] = field(default_factory=list)
    paid: list[tuple[str, str]] = field(default_factory=list)  # (paid date, amount)
    unpaid: list[tuple[str, str]] = field(default_factory=list)  # (planned date, amount)
    title: str = ""


SPEC = [
    # South–South only (SN + ML implementing; the French associated entity is not an implementing organisation).
    Spec(
        "g1",
        "A",
        "sn1",
        "150000.00",
        co=["ml"],
        associated=["fr"],
        countries={"SN": 60, "ML": 40},
        dialogues=["rabat"],
        domains=[1, 2],
        paid=[("2025-03-10", "60000.00"), ("2025-11-20", "30000.00")],
        unpaid=[("2026-06-30", "60000.00")],
        title="Diaspora investment for local development",
    ),
    # South–North only.
    Spec(
        "g2",
        "A",
        "fr",
        "80000.50",
        co=["sn2"],
        countries={"SN": None},
        dialogues=["rabat", "jvap"],
        domains=[2],
        paid=[("2025-04-02", "64000.40")],
        title="Safe mobility corridors",
    ),
    # Both (GB is European; KE and NE are two African countries).
    Spec(
        "g3",
        "A",
        "gb",
        "200000.00",
        co=["ke", "ne"],
        countries={"KE": 50, "NE": 50},
        dialogues=["khartoum"],
        domains=[4],
        status="suspended",
        title="Remittances and resilience",
    ),
    # Neither: two African organisations in the same country.
    Spec(
        "g4",
        "B",
        "sn1",
        "55000.00",
        co=["sn2"],
        countries={"SN": 100},
        dialogues=["c2cmmd"],
        domains=[5],
        year=2026,
        paid=[("2026-02-01", "44000.00")],
        title="Return and reintegration in Dakar",
    ),
    # Neither: no African organisation; implemented in Morocco, Tunisia and Spain, equal split.
    Spec(
        "g5",
        "B",
        "us",
        "99999.99",
        countries={"MA": None, "TN": None, "ES": None},
        dialogues=["jvap"],
        domains=[1],
        status="closed",
        year=2026,
        title="Legal pathways observatory",
    ),
    # South–North (ML + BE), implemented in Niger.
    Spec(
        "g6",
        "B",
        "ml",
        "120000.00",
        co=["be"],
        associated=["gb"],
        countries={"NE": 100},
        dialogues=["rabat", "khartoum"],
        domains=[3, 4],
        year=2026,
        paid=[("2026-02-15", "96000.00")],
        unpaid=[("2027-01-31", "24000.00")],
        title="Protection in transit",
    ),
]

AFRICA_TEST = {"SN", "ML", "NE", "KE", "MA", "TN"}
EUROPE_TEST = {"FR", "BE", "GB"}


def _d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


@dataclass
class World:
    calls: dict
    orgs: dict
    grants: dict
    manager: object


@pytest.fixture
def make_grant(session, make_proposal):
    dialogues = {d.code: d for d in session.scalars(db.select(Dialogue))}
    domains = {d.number: d for d in session.scalars(db.select(JvapDomain))}
    counter = iter(range(1, 10_000))

    def make(spec: Spec, call, orgs: dict) -> Grant:
        lead = orgs[spec.lead]
        proposal = make_proposal(call, organisation=lead, status="awarded", title=spec.title or spec.key)
        grant = Grant(
            agreement_number=f"{call.reference}-G{next(counter):03d}",
            call=call,
            proposal=proposal,
            lead_organisation=lead,
            title=spec.title or f"Grant {spec.key}",
            amount=Decimal(spec.amount),
            cofinancing=Decimal("1000.00"),
            awarded_on=dt.date(spec.year, 6, 1),
            start_date=dt.date(spec.year, 7, 1),
            end_date=dt.date(spec.year + 2, 6, 30),
            status=spec.status,
        )
        grant.organisations = (
            [GrantOrganisation(organisation=lead, role="lead", budget_share=Decimal(spec.amount))]
            + [
                GrantOrganisation(organisation=orgs[k], role="co_beneficiary", budget_share=Decimal("1000.00"))
                for k in spec.co
            ]
            + [GrantOrganisation(organisation=orgs[k], role="associated") for k in spec.associated]
        )
        grant.country_rows = [
            GrantCountry(country_code=code, share_pct=None if share is None else Decimal(share))
            for code, share in spec.countries.items()
        ]
        grant.dialogues = [dialogues[c] for c in spec.dialogues]
        grant.domains = [domains[n] for n in spec.domains]
        number = 0
        for paid_on, amount in spec.paid:
            number += 1
            grant.tranches.append(
                Tranche(
                    number=number,
                    kind="pre_financing" if number == 1 else "further_pre_financing",
                    planned_date=_d(paid_on),
                    planned_amount=Decimal(amount),
                    paid_date=_d(paid_on),
                    paid_amount=Decimal(amount),
                )
            )
        for planned_on, amount in spec.unpaid:
            number += 1
            grant.tranches.append(
                Tranche(number=number, kind="balance", planned_date=_d(planned_on), planned_amount=Decimal(amount))
            )
        db.session.add(grant)
        db.session.commit()
        return grant

    return make


@pytest.fixture
def build_world(session, make_user, make_org, make_call, make_grant):
    def build(spec=SPEC, calls=("CFP-PF-A", "CFP-PF-B")) -> World:
        call_objs = {
            "A": make_call(reference=calls[0], status="decided"),
            "B": make_call(reference=calls[1], status="decided"),
        }
        orgs = {}
        for key, (country, name, acronym) in ORGS.items():
            member = make_user(
                "applicant", full_name=f"Contact of {acronym}", email=f"{key}.contact@{acronym.lower()}.example"
            )
            orgs[key] = make_org(name, country=country, acronym=acronym, members=[member])
        grants = {s.key: make_grant(s, call_objs[s.call], orgs) for s in spec}
        return World(calls=call_objs, orgs=orgs, grants=grants, manager=make_user("manager"))

    return build


@pytest.fixture
def world(build_world) -> World:
    return build_world()


@pytest.fixture
def staff_client(client, login, world):
    return login(client, world.manager)


@pytest.fixture(autouse=True)
def _fresh_login_per_request(app):
    """Forget the user Flask-Login cached in `g` at the start of each request (see tests/grants/conftest.py)."""
    from flask import g, request_started

    def forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)
