"""Calls for proposals, and the reference lists that classify calls, proposals and grants:
the dialogues and the five JVAP domains."""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Money, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.evaluation.models import EvaluationStage
    from portal.proposals.models import Proposal


class Dialogue(db.Model):
    __tablename__ = "dialogues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")


class JvapDomain(db.Model):
    __tablename__ = "jvap_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_fr: Mapped[str] = mapped_column(String(300))


call_dialogues = Table(
    "call_dialogues",
    db.metadata,
    Column("call_id", ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("dialogue_id", ForeignKey("dialogues.id"), primary_key=True),
)
call_domains = Table(
    "call_domains",
    db.metadata,
    Column("call_id", ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("domain_id", ForeignKey("jvap_domains.id"), primary_key=True),
)


class CallStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    EVALUATION = "evaluation"
    DECIDED = "decided"
    ARCHIVED = "archived"


CALL_STATUS_VALUES = tuple(s.value for s in CallStatus)


class Call(db.Model):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_envelope: Mapped[Decimal] = mapped_column(Money())
    min_grant: Mapped[Decimal] = mapped_column(Money())
    max_grant: Mapped[Decimal] = mapped_column(Money())
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime] = mapped_column(index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.DRAFT.value, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    dialogues: Mapped[list[Dialogue]] = relationship(secondary=call_dialogues, order_by=Dialogue.id)
    domains: Mapped[list[JvapDomain]] = relationship(secondary=call_domains, order_by=JvapDomain.number)
    country_rows: Mapped[list[CallCountry]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallCountry.country_code"
    )
    stages: Mapped[list[EvaluationStage]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="EvaluationStage.position"
    )
    proposals: Mapped[list[Proposal]] = relationship(back_populates="call")
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint(f"status IN {CALL_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("min_grant > 0", name="min_grant_positive"),
        CheckConstraint("min_grant <= max_grant", name="grant_range"),
        CheckConstraint("max_grant <= budget_envelope", name="max_within_envelope"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )

    @property
    def countries(self) -> list[str]:
        return [row.country_code for row in self.country_rows]

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        return self.status == CallStatus.PUBLISHED and self.opens_at <= now < self.closes_at

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        return (now or utcnow()) >= self.closes_at

    def phase(self, now: dt.datetime | None = None) -> str:
        """What a reader needs to know: "draft", "upcoming", "open" or "closed" (published and past its
        deadline, or already in evaluation, decided or archived)."""
        now = now or utcnow()
        if self.status == CallStatus.DRAFT:
            return "draft"
        if self.status == CallStatus.PUBLISHED and now < self.opens_at:
            return "upcoming"
        if self.is_open(now):
            return "open"
        return "closed"

    @property
    def is_public(self) -> bool:
        return self.status != CallStatus.DRAFT

    def can_view(self, user: User) -> bool:
        return self.is_public or (user.is_authenticated and user.is_staff)

    def can_manage(self, user: User) -> bool:
        return bool(user.is_authenticated) and user.is_staff

    @property
    def concept_note_stage(self) -> EvaluationStage | None:
        return self.stages[0] if self.stages else None

    def __repr__(self) -> str:
        return f"<Call {self.reference}>"


class CallCountry(db.Model):
    """A country eligible for implementation under the call."""

    __tablename__ = "call_countries"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)

    call: Mapped[Call] = relationship(back_populates="country_rows")
