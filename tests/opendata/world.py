"""A small portfolio like the demo's, shared by the open-data and API tests: three grants under two calls, with
co-beneficiaries and associated entities in Africa and Europe, countries with and without shares, paid and planned
tranches, reports, dialogues and JVAP domains; and personal data everywhere it can hide (user names and e-mails,
organisations' e-mail, phone, address and legal representative, a proposal summary naming a person), which the
published documents must not carry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.calls.models import Dialogue, JvapDomain
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, GrantReport, Tranche
from portal.proposals.models import ProposalStatus


@dataclass
class Portfolio:
    calls: list
    grants: list[Grant]
    organisations: dict
    users: list
    manager: object
    personal: list[str] = field(default_factory=list)  # strings that must never be published


def _org(make_org, make_user, name, country, type_, n):
    user = make_user("applicant", full_name=f"Person{n} Surname{n}", email=f"person{n}@private.example")
    org = make_org(
        name,
        country=country,
        type=type_,
        members=[user],
        email=f"office{n}@org-private.example",
        phone=f"+221 77 000 00 {n:02d}",
        address=f"{n} Rue Secrète, Dakar",
        legal_representative=f"Representative{n} Name{n}",
        registration_number=f"REG-OD-{n:03d}",
    )
    return org, user


def make_grant(call, proposal, lead, number, amount, status, awarded_on, partners=(), countries=(), **kw):
    grant = Grant(
        agreement_number=f"{call.reference}-G{number:02d}",
        call=call,
        proposal=proposal,
        lead_organisation=lead,
        title=kw.pop("title", f"Grant {number} for migration dialogue"),
        amount=Decimal(amount),
        cofinancing=Decimal(kw.pop("cofinancing", "0.00")),
        awarded_on=awarded_on,
        start_date=kw.pop("start_date", dt.date(2026, 3, 1)),
        end_date=kw.pop("end_date", dt.date(2027, 8, 31)),
        status=status,
        **kw,
    )
    grant.organisations = [GrantOrganisation(organisation=lead, role="lead")] + [
        GrantOrganisation(organisation=org, role=role, budget_share=Decimal(share) if share else None)
        for org, role, share in partners
    ]
    grant.country_rows = [
        GrantCountry(country_code=code, share_pct=Decimal(share) if share else None) for code, share in countries
    ]
    db.session.add(grant)
    return grant


@pytest.fixture
def portfolio(session, make_user, make_org, make_call, make_proposal) -> Portfolio:
    manager = make_user("manager", full_name="Manon Manager", email="manon@facility-private.example")
    call_1 = make_call(reference="CFP-OD-01", title="Civil society for the migration dialogues")
    call_2 = make_call(reference="CFP-OD-02", title="Diaspora and mobility")
    orgs, users = {}, []
    for n, (key, name, country, type_) in enumerate(
        [
            ("sn", "Association Sénégalaise pour la Mobilité", "SN", "ngo"),
            ("ml", "Institut Malien de Recherche", "ML", "research"),
            ("fr", "Commune de Lyon", "FR", "local_authority"),
            ("gh", "Ghana Diaspora Network", "GH", "diaspora"),
            ("be", "Brussels Migration NGO", "BE", "ngo"),
            ("ke", "County of Mombasa", "KE", "local_authority"),
            ("ma", "Moroccan Private Partner", "MA", "private_sector"),
        ],
        start=1,
    ):
        orgs[key], user = _org(make_org, make_user, name, country, type_, n)
        users.append(user)
    summary = "Led by Person1 Surname1 (person1@private.example, +221 77 000 00 01)."
    proposals = [
        make_proposal(call, organisation=orgs[key], status=ProposalStatus.AWARDED, summary=summary)
        for call, key in ((call_1, "sn"), (call_1, "gh"), (call_2, "ke"))
    ]
    rabat, khartoum = (db.session.scalar(select(Dialogue).where(Dialogue.code == c)) for c in ("rabat", "khartoum"))
    domains = {d.number: d for d in db.session.scalars(select(JvapDomain))}

    g1 = make_grant(
        call_1,
        proposals[0],
        orgs["sn"],
        1,
        "150000.00",
        "active",
        dt.date(2026, 2, 1),
        partners=[(orgs["ml"], "co_beneficiary", "40000.00"), (orgs["fr"], "associated", None)],
        countries=[("SN", "60.00"), ("ML", "40.00")],
        cofinancing="15000.00",
        actual_start_date=dt.date(2026, 3, 15),
    )
    g1.dialogues = [rabat]
    g1.domains = [domains[1], domains[2]]
    g2 = make_grant(
        call_1,
        proposals[1],
        orgs["gh"],
        2,
        "99999.99",
        "closed",
        dt.date(2025, 6, 30),
        partners=[(orgs["be"], "co_beneficiary", "30000.00"), (orgs["ma"], "co_beneficiary", None)],
        countries=[("GH", None), ("NG", None), ("CI", None)],
        start_date=dt.date(2025, 9, 1),
        end_date=dt.date(2026, 8, 31),
        actual_start_date=dt.date(2025, 9, 1),
        actual_end_date=dt.date(2026, 8, 31),
    )
    g2.dialogues = [rabat, khartoum]
    g2.domains = [domains[2]]
    g3 = make_grant(
        call_2,
        proposals[2],
        orgs["ke"],
        1,
        "60000.00",
        "contracting",
        dt.date(2026, 5, 20),
        countries=[("KE", "100.00")],
    )
    g3.dialogues = [khartoum]
    g3.domains = [domains[3]]
    db.session.flush()
    g1.reports = [
        GrantReport(period="interim", type="narrative", due_date=dt.date(2026, 9, 30)),
        GrantReport(period="final", type="financial", due_date=dt.date(2027, 10, 31)),
    ]
    g1.tranches = [
        Tranche(
            number=1,
            kind="pre_financing",
            planned_date=dt.date(2026, 3, 1),
            planned_amount=Decimal("120000.00"),
            paid_date=dt.date(2026, 3, 10),
            paid_amount=Decimal("120000.00"),
        ),
        Tranche(number=2, kind="balance", planned_date=dt.date(2027, 11, 30), planned_amount=Decimal("30000.00")),
    ]
    g2.tranches = [
        Tranche(
            number=1,
            kind="pre_financing",
            planned_date=dt.date(2025, 9, 1),
            planned_amount=Decimal("79999.99"),
            paid_date=dt.date(2025, 9, 5),
            paid_amount=Decimal("79999.99"),
        ),
        Tranche(
            number=2,
            kind="balance",
            planned_date=dt.date(2026, 11, 1),
            planned_amount=Decimal("20000.00"),
            paid_date=dt.date(2026, 11, 3),
            paid_amount=Decimal("20000.00"),
        ),
    ]
    db.session.commit()
    personal = [manager.email, manager.full_name]
    for user in users:
        personal += [user.email, user.full_name]
    for org in orgs.values():
        personal += [org.email, org.phone, org.address, org.legal_representative]
    return Portfolio(
        calls=[call_1, call_2],
        grants=[g1, g2, g3],
        organisations=orgs,
        users=users,
        manager=manager,
        personal=personal,
    )
