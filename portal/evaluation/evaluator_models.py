"""Evaluators: their profile (expertise, languages, countries they know, organisation and past employers), the
confidentiality and impartiality declaration they sign before their first assignment, and the reminders managers
send them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.calls.models import JvapDomain
    from portal.organisations.models import Organisation

# The version of the confidentiality and impartiality declaration's text (templates/evaluation/_declaration_text.html).
# A new text gets a new version; an evaluator who signed an older one signs again before a new assignment.
DECLARATION_VERSION = "2026-1"

evaluator_domains = Table(
    "evaluator_domains",
    db.metadata,
    Column("profile_id", ForeignKey("evaluator_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("domain_id", ForeignKey("jvap_domains.id", ondelete="CASCADE"), primary_key=True),
)

evaluator_past_employers = Table(
    "evaluator_past_employers",
    db.metadata,
    Column("profile_id", ForeignKey("evaluator_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class EvaluatorProfile(db.Model):
    __tablename__ = "evaluator_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    themes: Mapped[str] = mapped_column(Text, default="")
    # ISO 639-1 codes ("en", "fr", "pt", "ar") and ISO 3166-1 alpha-2 codes, validated by the operations.
    languages: Mapped[list] = mapped_column(JSON, default=list)
    countries: Mapped[list] = mapped_column(JSON, default=list)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # Past employers that are not registered organisations, as the evaluator wrote them; compared with the
    # consortium's names by the organisation matcher (portal.organisations.matching).
    past_employer_names: Mapped[list] = mapped_column(JSON, default=list)
    declaration_signed_at: Mapped[dt.datetime | None]
    declaration_version: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    domains: Mapped[list[JvapDomain]] = relationship(secondary=evaluator_domains, order_by="JvapDomain.number")
    past_employers: Mapped[list[Organisation]] = relationship(
        secondary=evaluator_past_employers, order_by="Organisation.legal_name"
    )

    @property
    def has_signed(self) -> bool:
        return self.declaration_signed_at is not None and self.declaration_version == DECLARATION_VERSION


class EvaluationReminder(db.Model):
    """A reminder e-mailed to an evaluator about their reviews in a stage; at most one per evaluator, stage and day."""

    __tablename__ = "evaluation_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("evaluation_stages.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_on: Mapped[dt.date]
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (UniqueConstraint("stage_id", "evaluator_id", "sent_on"),)
