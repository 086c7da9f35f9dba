"""Grants: turning an awarded proposal into a grant with its consortium and countries, and asking for its award
letter."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import ROUND_DOWN, Decimal

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.documents import operations as documents
from portal.extensions import db
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, GrantRole, GrantStatus
from portal.proposals.models import PartnerRole, PartnerStatus, Proposal, ProposalStatus

log = logging.getLogger(__name__)

HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")
# A proposal in one of these states was never awarded and cannot become a grant.
NOT_AWARDABLE = (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN, ProposalStatus.REJECTED)


class GrantError(ValueError):
    """A refused grant action, with a message a person can read."""


def equal_shares(count: int) -> list[Decimal]:
    """`count` percentages with two decimals that add up to exactly 100.00; the first ones take the odd cents."""
    if count <= 0:
        return []
    base = (HUNDRED / count).quantize(CENT, rounding=ROUND_DOWN)
    extra_cents = int((HUNDRED - base * count) / CENT)
    return [base + CENT if i < extra_cents else base for i in range(count)]


def next_agreement_number(call) -> str:
    count = db.session.scalar(db.select(db.func.count(Grant.id)).where(Grant.call_id == call.id)) or 0
    return f"{call.reference}-G{count + 1:02d}"


def award_grant(proposal: Proposal, *, amount: Decimal, start_date: dt.date, end_date: dt.date, by) -> Grant:
    """Create the grant of an awarded proposal, with its consortium and countries of implementation, and queue
    its award letter (rendered once the caller commits)."""
    existing = db.session.scalar(db.select(Grant).where(Grant.proposal_id == proposal.id))
    if existing is not None:
        raise GrantError(
            _l(
                "This proposal already has a grant (%(number)s).",
                number=existing.agreement_number,
            )
        )
    if proposal.status in NOT_AWARDABLE:
        raise GrantError(_l("Only a submitted proposal can become a grant."))
    if amount is None or Decimal(amount) <= 0:
        raise GrantError(_l("The amount awarded must be greater than zero."))
    amount = Decimal(amount).quantize(CENT)
    if start_date is None or end_date is None:
        raise GrantError(_l("Give the start and end dates of the grant."))
    if end_date <= start_date:
        raise GrantError(_l("The end date must be after the start date."))
    country_codes = proposal.countries
    if not country_codes:
        raise GrantError(_l("The proposal names no country of implementation."))

    # Only the organisations that accepted their invitation take part in the grant.
    partners = [p for p in proposal.partners if p.status == PartnerStatus.ACCEPTED]
    partner_shares = sum(
        (p.budget_share or Decimal(0) for p in partners if p.role == PartnerRole.CO_APPLICANT), Decimal(0)
    )
    if partner_shares > amount:
        raise GrantError(
            _l(
                "The co-applicants' budget shares (%(shares)s EUR) exceed the amount awarded (%(amount)s EUR).",
                shares=partner_shares,
                amount=amount,
            )
        )

    call = proposal.call
    grant = Grant(
        agreement_number=next_agreement_number(call),
        call=call,
        proposal=proposal,
        lead_organisation=proposal.organisation,
        title=proposal.title,
        amount=amount,
        start_date=start_date,
        end_date=end_date,
        status=GrantStatus.CONTRACTING.value,
        created_by_id=getattr(by, "id", None),
    )
    # The lead receives what it does not pass on to its co-beneficiaries.
    grant.organisations.append(
        GrantOrganisation(
            organisation_id=proposal.organisation_id, role=GrantRole.LEAD.value, budget_share=amount - partner_shares
        )
    )
    for partner in partners:
        if partner.organisation_id == proposal.organisation_id:
            continue
        if partner.role == PartnerRole.CO_APPLICANT:
            row = GrantOrganisation(
                organisation_id=partner.organisation_id,
                role=GrantRole.CO_BENEFICIARY.value,
                budget_share=partner.budget_share,
            )
        else:
            row = GrantOrganisation(organisation_id=partner.organisation_id, role=GrantRole.ASSOCIATED.value)
        grant.organisations.append(row)
    for code, share in zip(country_codes, equal_shares(len(country_codes)), strict=True):
        grant.country_rows.append(GrantCountry(country_code=code, share_pct=share))
    db.session.add(grant)
    db.session.flush()
    audit.record(
        "grant.created",
        grant,
        actor=by,
        after={
            "agreement_number": grant.agreement_number,
            "proposal": proposal.reference,
            "amount": amount,
            "start_date": start_date,
            "end_date": end_date,
            "organisations": [(row.organisation_id, row.role, row.budget_share) for row in grant.organisations],
            "countries": {row.country_code: row.share_pct for row in grant.country_rows},
        },
    )
    documents.request_award_letter(grant, by=by)
    log.info("grant %s created from proposal %s", grant.agreement_number, proposal.reference)
    return grant
