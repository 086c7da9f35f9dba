"""Read helpers of consortium building; each runs a fixed number of SQL statements whatever the number of rows."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.organisations.models import Organisation
from portal.proposals.models import PartnerStatus, Proposal, ProposalPartner, ProposalStatus

SEARCH_LIMIT = 20


def proposal_with_consortium(proposal_id: int) -> Proposal | None:
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            joinedload(Proposal.call),
            joinedload(Proposal.organisation),
            selectinload(Proposal.partners).joinedload(ProposalPartner.organisation),
        )
    )
    return db.session.scalars(stmt).unique().one_or_none()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_organisations(query: str, country: str | None, *, exclude_ids: set[int]) -> list[Organisation]:
    """Registered organisations whose legal name or acronym contains `query`, optionally in one country.

    Only what the lead needs to pick one (name, acronym, type, country) is shown on the page: never the members
    or their e-mail addresses."""
    query = (query or "").strip()
    if len(query) < 2 and not country:
        return []
    stmt = select(Organisation).order_by(Organisation.legal_name, Organisation.id).limit(SEARCH_LIMIT)
    if query:
        pattern = _like(query.lower())
        stmt = stmt.where(
            or_(
                db.func.lower(Organisation.legal_name).like(pattern, escape="\\"),
                db.func.lower(Organisation.acronym).like(pattern, escape="\\"),
            )
        )
    if country:
        stmt = stmt.where(Organisation.country == country.upper())
    if exclude_ids:
        stmt = stmt.where(Organisation.id.not_in(exclude_ids))
    return list(db.session.scalars(stmt))


def _invitations(org_ids: set[int]):
    return (
        select(ProposalPartner)
        .join(ProposalPartner.proposal)
        .where(
            ProposalPartner.organisation_id.in_(org_ids),
            ProposalPartner.status == PartnerStatus.INVITED.value,
            Proposal.status == ProposalStatus.DRAFT.value,
        )
        .options(
            joinedload(ProposalPartner.organisation),
            joinedload(ProposalPartner.proposal).joinedload(Proposal.call),
            joinedload(ProposalPartner.proposal).joinedload(Proposal.organisation),
        )
        .order_by(ProposalPartner.invited_at.desc(), ProposalPartner.id.desc())
    )


def pending_invitations_of(organisation: Organisation) -> list[ProposalPartner]:
    return list(db.session.scalars(_invitations({organisation.id})).unique())


# The columns the lists read of an organisation (its name) and of a proposal.
_NAMED = (Organisation.id, Organisation.legal_name, Organisation.acronym)
_LISTED = (Proposal.id, Proposal.reference, Proposal.title, Proposal.organisation_id, Proposal.call_id, Proposal.status)


def invitations_and_partnerships(user) -> tuple[list[ProposalPartner], list[ProposalPartner]]:
    """Both lists of the applicant's dashboard in one statement: the invitations waiting for an answer from any of the
    user's organisations (draft proposals only; newest first) and the consortia they joined (accepted; most
    recently started first). The calls of the invitations' proposals are read in a second statement only when there
    are invitations (the partnerships list does not show its calls)."""
    from portal.calls.models import Call

    org_ids = user.organisation_ids() if user.is_authenticated else set()
    if not org_ids:
        return [], []
    stmt = (
        select(ProposalPartner)
        .join(ProposalPartner.proposal)
        .where(
            ProposalPartner.organisation_id.in_(org_ids),
            or_(
                ProposalPartner.status == PartnerStatus.ACCEPTED.value,
                and_(
                    ProposalPartner.status == PartnerStatus.INVITED.value,
                    Proposal.status == ProposalStatus.DRAFT.value,
                ),
            ),
        )
        .options(  # what the lists show (consortia/_invitation_list.html, _partnership_list.html), no more
            joinedload(ProposalPartner.organisation).load_only(*_NAMED),
            joinedload(ProposalPartner.proposal)
            .load_only(*_LISTED)
            .joinedload(Proposal.organisation)
            .load_only(*_NAMED),
        )
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
    )
    rows = list(db.session.scalars(stmt).unique())
    invitations = sorted(
        (r for r in rows if r.status == PartnerStatus.INVITED.value), key=lambda r: (r.invited_at, r.id), reverse=True
    )
    if invitations:  # into the identity map: `invitation.proposal.call` is then found there, without a statement
        db.session.scalars(select(Call).where(Call.id.in_({r.proposal.call_id for r in invitations}))).all()
    return invitations, [r for r in rows if r.status == PartnerStatus.ACCEPTED.value]
