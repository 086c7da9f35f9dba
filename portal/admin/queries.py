"""Read helpers for the administration pages. Lists are paginated; each page runs a fixed number of queries."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from portal.accounts.models import Invitation, User
from portal.core.audit import AuditEntry
from portal.core.db import utcnow
from portal.extensions import db

PER_PAGE = 50


def users_page(role: str | None, page: int) -> Pagination:
    query = db.select(User).order_by(User.email)
    if role:
        query = query.where(User.role == role)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def pending_invitations(role: str | None = None) -> list[Invitation]:
    """Invitations neither accepted nor expired, newest first, with inviter and organisation."""
    query = (
        db.select(Invitation)
        .where(Invitation.accepted_at.is_(None), Invitation.expires_at > utcnow())
        .options(joinedload(Invitation.invited_by), joinedload(Invitation.organisation))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if role:
        query = query.where(Invitation.role == role)
    return list(db.session.scalars(query))


def audit_object_types() -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)))


def audit_page(*, action: str | None, object_type: str | None, actor: str | None, page: int) -> Pagination:
    """Audit entries, newest first, filtered by action prefix, object type and (part of) the actor's e-mail."""
    query = db.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if actor:
        query = query.where(AuditEntry.actor_email.icontains(actor.strip(), autoescape=True))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
