"""Read helpers for the organisation pages: a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Invitation, User
from portal.core.db import utcnow
from portal.extensions import db
from portal.organisations.models import Membership, MembershipRequest, MembershipRequestStatus, Organisation


def memberships_of(user: User) -> list[Membership]:
    """The user's memberships with their organisations, by organisation name."""
    return list(
        db.session.scalars(
            db.select(Membership)
            .join(Membership.organisation)
            .where(Membership.user_id == user.id)
            .options(joinedload(Membership.organisation))
            .order_by(Organisation.legal_name)
        )
    )


def members(organisation: Organisation) -> list[Membership]:
    """Members with their users: contact persons first, then by name."""
    return list(
        db.session.scalars(
            db.select(Membership)
            .join(Membership.user)
            .where(Membership.organisation_id == organisation.id)
            .options(joinedload(Membership.user))
            .order_by(Membership.is_contact.desc(), User.full_name, User.email)
        )
    )


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations to the organisation that were neither accepted nor expired, newest first."""
    return list(
        db.session.scalars(
            db.select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .options(selectinload(Invitation.invited_by))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def pending_requests(organisation: Organisation) -> list[MembershipRequest]:
    """Requests to join the organisation that wait for an answer, oldest first."""
    return list(
        db.session.scalars(
            db.select(MembershipRequest)
            .where(
                MembershipRequest.organisation_id == organisation.id,
                MembershipRequest.status == MembershipRequestStatus.PENDING.value,
            )
            .options(joinedload(MembershipRequest.user))
            .order_by(MembershipRequest.created_at, MembershipRequest.id)
        )
    )


def requests_of(user: User) -> list[MembershipRequest]:
    """The user's own requests to join organisations that wait for an answer."""
    return list(
        db.session.scalars(
            db.select(MembershipRequest)
            .where(
                MembershipRequest.user_id == user.id,
                MembershipRequest.status == MembershipRequestStatus.PENDING.value,
            )
            .options(joinedload(MembershipRequest.organisation))
            .order_by(MembershipRequest.created_at.desc(), MembershipRequest.id.desc())
        )
    )
