"""The load test's own data: a published call that closes at a given instant, and N applicants, each the contact of
its own organisation with a complete draft (every section, the budget) ready to submit.

The drafts are filled through the portal's own operations (`tests.proposals.filling`, the same complete proposal the
test suite submits), so that what the load test submits is what the portal accepts; the password is hashed once
and shared by the accounts (Argon2 on purpose takes time)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from portal.accounts.models import User
from portal.calls.models import Call, CallCountry, CallStatus, Dialogue, JvapDomain
from portal.core.db import utcnow
from portal.evaluation.grids import build_stage
from portal.extensions import db
from portal.organisations.models import Membership, Organisation
from portal.proposals.models import Proposal, ProposalCountry, ProposalStatus

PASSWORD = "load-test-password-2026"  # noqa: S105 - accounts of a throw-away database
REFERENCE = "CFP-LOAD-01"


def make_call(closes_at: dt.datetime) -> Call:
    now = utcnow()
    call = Call(
        reference=REFERENCE,
        title="Load test call",
        description="Closes while two hundred applicants save and submit.",
        budget_envelope=Decimal("50000000.00"),
        min_grant=Decimal("50000.00"),
        max_grant=Decimal("200000.00"),
        opens_at=now - dt.timedelta(days=30),
        closes_at=closes_at,
        timezone="Europe/Brussels",
        status=CallStatus.PUBLISHED,
        published_at=now - dt.timedelta(days=30),
    )
    call.dialogues = list(db.session.scalars(db.select(Dialogue).order_by(Dialogue.id)).all()[:2])
    call.domains = list(db.session.scalars(db.select(JvapDomain).order_by(JvapDomain.number)).all())
    call.country_rows = [CallCountry(country_code=c) for c in ("SN", "ML", "NE", "GH", "MA")]
    build_stage(call)
    db.session.add(call)
    db.session.flush()
    return call


def make_applicants(call: Call, count: int) -> list[dict]:
    from tests.proposals.filling import fill_sections

    probe = User(email="probe@load.example")
    probe.set_password(PASSWORD)
    password_hash = probe.password_hash
    domain = db.session.scalar(db.select(JvapDomain).where(JvapDomain.number == 1))
    accounts = []
    for n in range(1, count + 1):
        user = User(email=f"applicant{n:03d}@load.example", role="applicant", full_name=f"Applicant {n:03d}")
        user.password_hash = password_hash
        org = Organisation(
            legal_name=f"Load test organisation {n:03d}",
            acronym=f"LT{n:03d}",
            type="ngo",
            country="SN",
            registration_number=f"LT-{n:05d}",
        )
        db.session.add_all([user, org, Membership(user=user, organisation=org, is_contact=True)])
        proposal = Proposal(
            reference=f"{REFERENCE}-{n:04d}",
            call=call,
            organisation=org,
            created_by=user,
            title=f"Diaspora investment, town {n:03d}",
            summary="Strengthening diaspora engagement in local development.",
            requested_amount=Decimal("120000.00"),
            duration_months=18,
            jvap_domain=domain,
            status=ProposalStatus.DRAFT,
        )
        proposal.country_rows = [ProposalCountry(country_code="SN")]
        db.session.add(proposal)
        db.session.flush()
        fill_sections(proposal, user)  # commits: every draft is stored complete before the next
        accounts.append({"email": user.email, "password": PASSWORD, "proposal_id": proposal.id})
    return accounts


def prepare(count: int, closes_at: dt.datetime, accounts_file: Path) -> dict:
    """Make the call and the applicants in the current app's database; write the accounts for Locust."""
    call = make_call(closes_at)
    db.session.commit()
    accounts = make_applicants(call, count)
    db.session.commit()
    info = {"call_id": call.id, "closes_at": closes_at.isoformat(), "accounts": accounts}
    accounts_file.write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info
