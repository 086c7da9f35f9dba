"""Grants: turning an awarded proposal into a grant (its consortium, countries, dialogues and domains, default payment
schedule and reporting milestones), asking for its award letter, and the grant's statuses.

Payments are in portal.grants.payments, reporting in portal.grants.reporting, amendments in
portal.grants.amendments."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from portal.core import audit, i18n
from portal.core.db import utcnow
from portal.core.errors import RuleError
from portal.documents import operations as documents
from portal.extensions import db
from portal.grants import schedule
from portal.grants.models import Grant, GrantCountry, GrantOrganisation, GrantRole, GrantStatus
from portal.proposals.budget import totals_of
from portal.proposals.models import PartnerRole, PartnerStatus, Proposal, ProposalStatus

log = logging.getLogger(__name__)

HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")
# A proposal in one of these states was never awarded and cannot become a grant.
NOT_AWARDABLE = (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN, ProposalStatus.REJECTED)


class GrantError(RuleError):
    """A refused grant action, with a message a person can read (tied to a form field when there is one)."""


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


def award_grant(
    proposal: Proposal,
    *,
    amount: Decimal,
    start_date: dt.date,
    end_date: dt.date,
    by,
    awarded_on: dt.date | None = None,
) -> Grant:
    """Create the grant of an awarded proposal, with its consortium (roles and budget shares), countries of
    implementation (with their shares), dialogues and JVAP domain, co-financing, default payment schedule and
    reporting milestones (portal.grants.schedule), and queue its award letter (rendered once the caller commits).

    `awarded_on` defaults to the day of the proposal's decision in the call's time zone (today without one)."""
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
    partners = [p for p in proposal.partners if p.status == PartnerStatus.ACCEPTED and p.organisation_id is not None]
    shares = co_applicant_shares(proposal, partners, amount)
    partner_total = sum((s for s in shares.values() if s is not None), Decimal(0))
    if partner_total > amount:
        raise GrantError(
            _l(
                "The co-applicants' budget shares (%(shares)s EUR) exceed the amount awarded (%(amount)s EUR).",
                shares=partner_total,
                amount=amount,
            )
        )

    call = proposal.call
    # Read everything from the database before the grant exists (an autoflush would meet a half-built grant).
    dialogues = list(proposal.dialogues or call.dialogues)
    domains = [proposal.jvap_domain] if proposal.jvap_domain is not None else []
    countries = country_shares(proposal)
    grant = Grant(
        agreement_number=next_agreement_number(call),
        call=call,
        proposal=proposal,
        lead_organisation=proposal.organisation,
        title=proposal.title,
        amount=amount,
        cofinancing=cofinancing_of(proposal),
        awarded_on=awarded_on or decision_day(proposal),
        start_date=start_date,
        end_date=end_date,
        status=GrantStatus.CONTRACTING.value,
        created_by_id=getattr(by, "id", None),
        dialogues=dialogues,
        domains=domains,
    )
    # The lead receives what it does not pass on to its co-beneficiaries.
    grant.organisations.append(
        GrantOrganisation(
            organisation_id=proposal.organisation_id, role=GrantRole.LEAD.value, budget_share=amount - partner_total
        )
    )
    for partner in partners:
        if partner.organisation_id == proposal.organisation_id:
            continue
        if partner.role == PartnerRole.CO_APPLICANT:
            row = GrantOrganisation(
                organisation_id=partner.organisation_id,
                role=GrantRole.CO_BENEFICIARY.value,
                budget_share=shares.get(partner.id),
            )
        else:
            row = GrantOrganisation(organisation_id=partner.organisation_id, role=GrantRole.ASSOCIATED.value)
        grant.organisations.append(row)
    for code, share in countries.items():
        grant.country_rows.append(GrantCountry(country_code=code, share_pct=share))
    reports = schedule.default_reports(start_date, end_date)
    grant.reports = reports
    grant.tranches = schedule.default_tranches(amount, start_date, end_date, reports)
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
            "cofinancing": grant.cofinancing,
            "awarded_on": grant.awarded_on,
            "start_date": start_date,
            "end_date": end_date,
            "organisations": [(row.organisation_id, row.role, row.budget_share) for row in grant.organisations],
            "countries": {row.country_code: row.share_pct for row in grant.country_rows},
            "dialogues": [d.code for d in grant.dialogues],
            "domains": [d.number for d in grant.domains],
            "tranches": [(t.number, t.kind, t.planned_date, t.planned_amount) for t in grant.tranches],
            "reports": [(r.period, r.type, r.due_date) for r in grant.reports],
        },
    )
    documents.request_award_letter(grant, by=by)
    log.info("grant %s created from proposal %s", grant.agreement_number, proposal.reference)
    return grant


def cofinancing_of(proposal: Proposal) -> Decimal:
    """What the consortium brings besides the grant: the budget's total less the amount requested (0 unknown)."""
    if proposal.total_budget is None or proposal.requested_amount is None:
        return Decimal("0.00")
    return max(proposal.total_budget - proposal.requested_amount, Decimal("0.00")).quantize(CENT)


def decision_day(proposal: Proposal) -> dt.date:
    decision = proposal.decision
    moment = decision.decided_at if decision is not None and decision.decided_at is not None else utcnow()
    return moment.astimezone(proposal.call.zone).date()


def country_shares(proposal: Proposal) -> dict[str, Decimal]:
    """The proposal's shares per country when it gives them all (adding up to 100), else equal shares."""
    rows = proposal.country_rows
    given = [row.share_pct for row in rows]
    if rows and all(s is not None for s in given) and sum(given, Decimal(0)) == HUNDRED:
        return {row.country_code: Decimal(row.share_pct).quantize(CENT) for row in rows}
    codes = [row.country_code for row in rows]
    return dict(zip(codes, equal_shares(len(codes)), strict=True))


def co_applicant_shares(proposal: Proposal, partners: list, amount: Decimal) -> dict[int, Decimal | None]:
    """Each accepted co-applicant's share of the amount awarded, by ProposalPartner id.

    With a budget (lines per partner), a co-applicant receives the part of the amount that its lines are of the
    budget's total (rounded down to the cent, so that the lead, which takes the rest, never goes below zero).
    Without one, the share the consortium page gave (ProposalPartner.budget_share)."""
    co_applicants = [
        p for p in partners if p.role == PartnerRole.CO_APPLICANT and p.organisation_id != proposal.organisation_id
    ]
    if proposal.budget_lines:
        totals = totals_of(proposal)
        if totals.total > 0:
            return {
                p.id: (amount * totals.by_partner.get(p.id, Decimal(0)) / totals.total).quantize(
                    CENT, rounding=ROUND_DOWN
                )
                for p in co_applicants
            }
    return {p.id: p.budget_share for p in co_applicants}


# -- statuses -----------------------------------------------------------------------------------------------------

STATUS_LABELS = {
    GrantStatus.CONTRACTING: _l("Contracting"),
    GrantStatus.ACTIVE: _l("Active"),
    GrantStatus.SUSPENDED: _l("Suspended"),
    GrantStatus.CLOSED: _l("Closed"),
    GrantStatus.TERMINATED: _l("Terminated"),
}


@dataclass(frozen=True)
class Move:
    """A change of status a manager can make: from which statuses, to which, and what it records."""

    sources: tuple[GrantStatus, ...]
    target: GrantStatus
    label: object  # the button
    verb: object  # "… cannot be %(verb)s"
    needs_reason: bool = False
    records: str | None = None  # the actual date it sets


MOVES: dict[str, Move] = {
    "activate": Move(
        (GrantStatus.CONTRACTING,), GrantStatus.ACTIVE, _l("Start the grant"), _l("started"), records="start"
    ),
    "suspend": Move((GrantStatus.ACTIVE,), GrantStatus.SUSPENDED, _l("Suspend"), _l("suspended"), needs_reason=True),
    "resume": Move((GrantStatus.SUSPENDED,), GrantStatus.ACTIVE, _l("Resume"), _l("resumed")),
    "close": Move((GrantStatus.ACTIVE,), GrantStatus.CLOSED, _l("Close"), _l("closed"), records="end"),
    "terminate": Move(
        (GrantStatus.CONTRACTING, GrantStatus.ACTIVE, GrantStatus.SUSPENDED),
        GrantStatus.TERMINATED,
        _l("Terminate"),
        _l("terminated"),
        needs_reason=True,
        records="end",
    ),
}
MIN_REASON = 10


def moves_for(grant: Grant) -> list[tuple[str, Move]]:
    """The changes of status open to the grant now, in the order of MOVES."""
    return [(name, move) for name, move in MOVES.items() if grant.status in move.sources]


def change_status(
    grant: Grant,
    action: str,
    *,
    by,
    on: dt.date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Grant:
    """Move the grant to another status (MOVES); starting records the actual start date, closing and terminating
    the actual end date (`on`, today by default). `expected_version` is the grant's version the form was made from:
    when someone changed the grant since, nothing is done (None skips the check, for changes not made from a form)."""
    if expected_version is not None and expected_version != grant.version_id:
        raise GrantError(
            _l(
                "Someone else changed grant %(number)s while you were working: it is now “%(status)s”. Nothing was "
                "changed. Check the grant below and send your change again if it still applies.",
                number=grant.agreement_number,
                status=STATUS_LABELS.get(grant.status, grant.status),
            )
        )
    move = MOVES.get(action)
    if move is None:
        raise GrantError(_l("Choose what to do with the grant."), field="action")
    if grant.status not in move.sources:
        raise GrantError(
            _l(
                "Grant %(number)s is “%(status)s”: it cannot be %(verb)s.",
                number=grant.agreement_number,
                status=STATUS_LABELS.get(grant.status, grant.status),
                verb=move.verb,
            ),
            field="action",
        )
    reason = (reason or "").strip()
    if move.needs_reason and len(reason) < MIN_REASON:
        raise GrantError(
            _l("Give the reason in at least %(min)d characters.", min=MIN_REASON),
            field="reason",
        )
    on = on or utcnow().date()
    before = {
        "status": grant.status,
        "actual_start_date": grant.actual_start_date,
        "actual_end_date": grant.actual_end_date,
    }
    if move.records == "start":
        grant.actual_start_date = on
    elif move.records == "end":
        started = grant.actual_start_date
        if started is not None and on < started:
            raise GrantError(
                _l(
                    "The grant cannot end before it started (%(start)s).",
                    start=LazyString(i18n.date, started),
                ),
                field="on",
            )
        grant.actual_end_date = on
    grant.status = move.target.value
    audit.record(
        f"grant.{action}d" if action.endswith("e") else f"grant.{action}ed",
        grant,
        actor=by,
        before=before,
        after={
            "status": grant.status,
            "actual_start_date": grant.actual_start_date,
            "actual_end_date": grant.actual_end_date,
            "reason": reason,
        },
    )
    db.session.flush()
    log.info("grant %s: %s -> %s", grant.agreement_number, before["status"], grant.status)
    return grant
