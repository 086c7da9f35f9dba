"""Document templates written by managers in the portal: every save is a new version (kind, HTML, CSS); the active
version of a kind overrides the built-in file template (templates/pdf/<kind>/...). Restoring the default
deactivates every version; restoring an old version saves it again as a new one, so the history only grows."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User


class DocumentTemplate(db.Model):
    __tablename__ = "document_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    version: Mapped[int]
    html: Mapped[str] = mapped_column(Text)
    css: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("kind", "version"),
        # At most one active version per kind (PostgreSQL and SQLite both know partial indexes).
        Index(
            "uq_document_templates_one_active",
            "kind",
            unique=True,
            postgresql_where=db.text("active"),
            sqlite_where=db.text("active"),
        ),
    )
