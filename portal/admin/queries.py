"""Read helpers for the administration pages. Lists are paginated; each page runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
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


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log page and its exports are narrowed to. Days are whole days in the reader's time zone."""

    text: str | None = None
    action: str | None = None
    object_type: str | None = None
    actor: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    timezone: str = "UTC"

    def as_args(self) -> dict[str, str]:
        """The query string that gives these filters back (for pagination and export links)."""
        args = {
            "q": self.text,
            "action": self.action,
            "object_type": self.object_type,
            "actor": self.actor,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: v for k, v in args.items() if v}


def _day_start(day: dt.date, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(timezone)).astimezone(dt.UTC)


def _contains(column, text: str):
    return column.icontains(text, autoescape=True)


def audit_query(filters: AuditFilters):
    """Audit entries, newest first. `text` is looked for (case-insensitively, literally) in the action, the object
    type and id, the actor's e-mail and the before/after values read as JSON text; `action` is a prefix."""
    query = db.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if filters.text:
        text = filters.text.strip()
        # JSON is stored with non-ASCII characters escaped ("é" as "\u00e9"): look for both spellings.
        spellings = {text, json.dumps(text)[1:-1]}
        columns = [
            AuditEntry.action,
            AuditEntry.object_type,
            AuditEntry.object_id,
            AuditEntry.actor_email,
            sa.cast(AuditEntry.before, sa.Text),
            sa.cast(AuditEntry.after, sa.Text),
        ]
        query = query.where(sa.or_(*(_contains(column, spelling) for column in columns for spelling in spellings)))
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.actor:
        query = query.where(_contains(AuditEntry.actor_email, filters.actor.strip()))
    if filters.date_from:
        query = query.where(AuditEntry.created_at >= _day_start(filters.date_from, filters.timezone))
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        query = query.where(AuditEntry.created_at < _day_start(next_day, filters.timezone))
    return query


def audit_page(filters: AuditFilters, page: int) -> Pagination:
    return db.paginate(audit_query(filters), page=page, per_page=PER_PAGE, error_out=False)


def audit_entries(filters: AuditFilters, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every matching entry, read in batches (a server-side cursor on PostgreSQL): memory stays flat for an export of
    any size."""
    result = db.session.execute(audit_query(filters).execution_options(yield_per=batch))
    yield from result.scalars()
