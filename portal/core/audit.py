"""The audit log: who did what to which object, when, from where, with the before and after values.

Nothing in the application updates or deletes an entry; `record()` is the only writer."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import logging
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)


def _plain(value: Any) -> Any:
    """Make a value JSON-safe for the before/after columns."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def record(
    action: str,
    obj: Any,
    *,
    actor: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits or rolls back with the change itself)."""
    actor_id = getattr(actor, "id", None) if actor is not None and not getattr(actor, "is_anonymous", False) else None
    entry = AuditEntry(
        actor_id=actor_id,
        actor_email=getattr(actor, "email", None) if actor_id else None,
        action=action,
        object_type=getattr(obj, "__tablename__", type(obj).__name__),
        object_id=str(getattr(obj, "id", "") or ""),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    log.info("audit %s %s:%s by %s", action, entry.object_type, entry.object_id, entry.actor_email or "system")
    return entry


def snapshot(obj: Any, fields: list[str]) -> dict:
    """The named attributes of an object, ready for `before=` / `after=`."""
    return {name: _plain(getattr(obj, name)) for name in fields}
