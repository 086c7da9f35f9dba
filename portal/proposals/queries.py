"""Read helpers of the proposals area; each runs a fixed number of SQL statements."""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, joinedload, selectinload

from portal.accounts.models import User
from portal.calls.models import Call
from portal.core import loading
from portal.extensions import db
from portal.proposals.models import (
    Proposal,
    ProposalAttachment,
    ProposalPartner,
    ProposalSection,
    ProposalSnapshot,
)


def proposals_of_user(user) -> list[Proposal]:
    """Proposals led by any of the user's organisations, most recently saved first."""
    org_ids = user.organisation_ids()
    if not org_ids:
        return []
    stmt = (
        select(Proposal)
        .where(Proposal.organisation_id.in_(org_ids))
        .options(joinedload(Proposal.call), joinedload(Proposal.organisation))
        .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
    )
    return list(db.session.scalars(stmt).unique())


def proposal_with_details(proposal_id: int) -> Proposal | None:
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            joinedload(Proposal.call),
            joinedload(Proposal.organisation),
            joinedload(Proposal.jvap_domain),
            joinedload(Proposal.created_by),
            selectinload(Proposal.country_rows),
            selectinload(Proposal.partners).joinedload(ProposalPartner.organisation),
        )
    )
    return db.session.scalars(stmt).unique().one_or_none()


def proposal_for_form(proposal_id: int) -> Proposal | None:
    """The proposal with everything the form's pages and its checks read: the call's rules and lists, every
    section row with who saved it, the countries, dialogues, partners and the budget. The number of statements
    does not depend on how many sections are filled."""
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            joinedload(Proposal.call).selectinload(Call.domains),
            joinedload(Proposal.call).selectinload(Call.dialogues),
            joinedload(Proposal.call).selectinload(Call.country_rows),
            joinedload(Proposal.organisation),
            selectinload(Proposal.sections).joinedload(ProposalSection.updated_by),
            selectinload(Proposal.country_rows),
            selectinload(Proposal.dialogues),
            selectinload(Proposal.partners).joinedload(ProposalPartner.organisation),
            # The budget's check reads the lines and, once there are lines, the co-financing.
            selectinload(Proposal.budget_lines),
            selectinload(Proposal.cofinancing),
        )
    )
    return db.session.scalars(stmt).unique().one_or_none()


def snapshots_of(proposal: Proposal) -> list[ProposalSnapshot]:
    """The records of the proposal's submitted versions, newest first, without their frozen copies of the proposal
    (`data`, tens of kilobytes, loaded if asked for): the page shows their versions, times and fingerprints."""
    stmt = (
        select(ProposalSnapshot)
        .where(ProposalSnapshot.proposal_id == proposal.id)
        .order_by(ProposalSnapshot.version.desc())
        .options(defer(ProposalSnapshot.data))
    )
    return list(db.session.scalars(stmt))


def proposal_for_reading(proposal_id: int) -> Proposal | None:
    """The proposal with everything its page reads (portal.proposals.reading): the sections, countries, dialogues,
    domain, consortium, budget lines, co-financing and attachments. The number of statements does not depend on
    how many sections are filled, nor on the number of budget lines, partners or files."""
    proposal = db.session.scalars(_reading_statement(), {"proposal_id": proposal_id}).unique().one_or_none()
    if proposal is not None:
        loading.fill(proposal, _reading_collections())
    return proposal


@functools.cache
def _reading_statement():
    """Built once per process (after the mappers are configured): SQLAlchemy then keeps the statement's cache key
    instead of working it out again from its fourteen loader options at every request."""
    return (
        select(Proposal)
        .where(Proposal.id == bindparam("proposal_id"))
        .options(
            joinedload(Proposal.call),
            joinedload(Proposal.organisation),
            joinedload(Proposal.jvap_domain),
            # Of the author and the related stage's proposals, the page shows a name and references, not whole rows
            # (each would add its twenty-odd columns to every row of this statement).
            joinedload(Proposal.created_by).load_only(User.id, User.full_name, User.email),
            joinedload(Proposal.parent).load_only(Proposal.id, Proposal.reference),
            joinedload(Proposal.full_application).load_only(Proposal.id, Proposal.reference),
            joinedload(Proposal.decision),
            # A proposal names one to a few countries and one to three dialogues: joined (their rows repeat the
            # proposal's, at most a few dozen), two statements less.
            joinedload(Proposal.country_rows),
            joinedload(Proposal.dialogues),
        )
    )


@functools.cache
def _reading_collections() -> dict:
    """The proposal's collections the page reads, one statement each (portal.core.loading: for one proposal, half
    the cost of `selectinload`)."""
    return {
        "sections": loading.children_of(Proposal.sections),
        "partners": loading.children_of(Proposal.partners, joinedload(ProposalPartner.organisation)),
        "budget_lines": loading.children_of(Proposal.budget_lines),
        "cofinancing": loading.children_of(Proposal.cofinancing),
        "attachments": loading.children_of(Proposal.attachments, joinedload(ProposalAttachment.requirement)),
    }
