"""Calls for proposals, and the reference lists that classify calls, proposals and grants:
the dialogues and the five JVAP domains."""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Numeric, String, Table, Text
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


class Procedure(enum.StrEnum):
    """SINGLE: one full application. TWO_STAGE: a concept note, then a full application by invitation."""

    SINGLE = "single"
    TWO_STAGE = "two_stage"


PROCEDURE_VALUES = tuple(p.value for p in Procedure)


class Theme(enum.StrEnum):
    """Other priorities that calls name besides the JVAP domains (DOMAIN.md)."""

    CLIMATE = "climate"
    DIASPORA = "diaspora"
    REMITTANCES = "remittances"
    FREE_MOVEMENT = "free_movement"
    GOVERNANCE = "governance"


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
    # The deadline of the first (or only) stage: concept notes under a two-stage call, full applications otherwise.
    closes_at: Mapped[dt.datetime] = mapped_column(index=True)
    procedure: Mapped[str] = mapped_column(String(20), default=Procedure.SINGLE.value)
    full_application_closes_at: Mapped[dt.datetime | None]
    # Clarification questions are accepted until this instant (None: until the deadline).
    questions_close_at: Mapped[dt.datetime | None]
    guidelines: Mapped[str] = mapped_column(Text, default="")
    # The language the texts above are written in, and their versions in other languages:
    # {"fr": {"title": ..., "description": ..., "guidelines": ...}} (portal.core.i18n.written picks the reader's).
    language: Mapped[str] = mapped_column(String(8), default="en")
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    min_duration_months: Mapped[int] = mapped_column(default=6)
    max_duration_months: Mapped[int] = mapped_column(default=36)
    # Share of the total budget the consortium must bring itself; 0 lets the facility fund up to 100%.
    min_cofinancing_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("10.00"))
    max_indirect_cost_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("7.00"))
    # Two-stage calls: how far the full application's requested amount may move from the concept note's.
    max_amount_change_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20.00"))
    summary_word_limit: Mapped[int] = mapped_column(default=300)
    min_co_applicants: Mapped[int] = mapped_column(default=0)
    max_co_applicants: Mapped[int | None]
    require_african_member: Mapped[bool] = mapped_column(default=False)
    eu_lead_needs_african_co_applicant: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.DRAFT.value, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    dialogues: Mapped[list[Dialogue]] = relationship(secondary=call_dialogues, order_by=Dialogue.id)
    domains: Mapped[list[JvapDomain]] = relationship(secondary=call_domains, order_by=JvapDomain.number)
    applicant_type_rows: Mapped[list[CallApplicantType]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallApplicantType.organisation_type"
    )
    lead_country_rows: Mapped[list[CallLeadCountry]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallLeadCountry.country_code"
    )
    theme_rows: Mapped[list[CallTheme]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallTheme.theme"
    )
    documents: Mapped[list[CallDocument]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallDocument.position"
    )
    attachment_requirements: Mapped[list[AttachmentRequirement]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="AttachmentRequirement.position"
    )
    questions: Mapped[list[CallQuestion]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallQuestion.asked_at"
    )
    deadline_changes: Mapped[list[DeadlineChange]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="DeadlineChange.changed_at"
    )
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
        CheckConstraint(f"procedure IN {PROCEDURE_VALUES!r}", name="procedure_known"),
        CheckConstraint(
            "full_application_closes_at IS NULL OR full_application_closes_at > closes_at", name="full_after_concept"
        ),
        CheckConstraint("min_duration_months >= 1 AND min_duration_months <= max_duration_months", name="durations"),
        CheckConstraint("min_cofinancing_pct >= 0 AND min_cofinancing_pct < 100", name="cofinancing_pct"),
        CheckConstraint("max_indirect_cost_pct >= 0 AND max_indirect_cost_pct <= 100", name="indirect_pct"),
        CheckConstraint("max_amount_change_pct >= 0", name="amount_change_pct"),
        CheckConstraint("summary_word_limit > 0", name="word_limit_positive"),
        CheckConstraint(
            "min_co_applicants >= 0 AND (max_co_applicants IS NULL OR max_co_applicants >= min_co_applicants)",
            name="co_applicant_range",
        ),
    )

    @property
    def countries(self) -> list[str]:
        return [row.country_code for row in self.country_rows]

    @property
    def applicant_types(self) -> list[str]:
        """Eligible organisation types; empty means every type."""
        return [row.organisation_type for row in self.applicant_type_rows]

    @property
    def lead_countries(self) -> list[str]:
        """Countries where the lead applicant may be established; empty means any country."""
        return [row.country_code for row in self.lead_country_rows]

    @property
    def themes(self) -> list[str]:
        return [row.theme for row in self.theme_rows]

    @property
    def is_two_stage(self) -> bool:
        return self.procedure == Procedure.TWO_STAGE

    def deadline_for(self, stage: str) -> dt.datetime:
        """The submission deadline of a proposal stage ("concept_note" or "full_application")."""
        if self.is_two_stage and stage == "full_application" and self.full_application_closes_at is not None:
            return self.full_application_closes_at
        return self.closes_at

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
        """The first scored stage of the newest pipeline version (a pipeline may open with its checks)."""
        from portal.evaluation.models import SCORED_KINDS

        newest = max((s.pipeline_version for s in self.stages), default=None)
        scored = [s for s in self.stages if s.pipeline_version == newest and s.kind in SCORED_KINDS]
        return min(scored, key=lambda s: s.position) if scored else None

    def __repr__(self) -> str:
        return f"<Call {self.reference}>"


class CallCountry(db.Model):
    """A country eligible for implementation under the call."""

    __tablename__ = "call_countries"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)

    call: Mapped[Call] = relationship(back_populates="country_rows")


class CallApplicantType(db.Model):
    """An organisation type eligible to apply (as lead or co-applicant); a call without rows admits every type."""

    __tablename__ = "call_applicant_types"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    organisation_type: Mapped[str] = mapped_column(String(30), primary_key=True)

    call: Mapped[Call] = relationship(back_populates="applicant_type_rows")


class CallLeadCountry(db.Model):
    """A country where the lead applicant may be established; a call without rows admits any country."""

    __tablename__ = "call_lead_countries"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)

    call: Mapped[Call] = relationship(back_populates="lead_country_rows")


class CallTheme(db.Model):
    __tablename__ = "call_themes"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)

    call: Mapped[Call] = relationship(back_populates="theme_rows")


class CallDocumentKind(enum.StrEnum):
    GUIDELINES = "guidelines"
    ANNEX = "annex"


class CallDocument(db.Model):
    """A file published with the call (the guidelines for applicants, annexes such as templates)."""

    __tablename__ = "call_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=CallDocumentKind.ANNEX.value)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8), default="en")
    position: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    call: Mapped[Call] = relationship(back_populates="documents")

    __table_args__ = (CheckConstraint("kind IN ('guidelines', 'annex')", name="kind_known"),)

    def can_view(self, user: User) -> bool:
        return self.call.can_view(user)


class AttachmentKind(enum.StrEnum):
    STATUTES = "statutes"
    REGISTRATION = "registration"
    ACCOUNTS = "accounts"
    CV = "cv"
    SUPPORT_LETTER = "support_letter"
    OTHER = "other"


ATTACHMENT_KIND_VALUES = tuple(k.value for k in AttachmentKind)


class AttachmentRequirement(db.Model):
    """A document the call asks applicants to attach, required or optional, at a stage of the procedure."""

    __tablename__ = "call_attachment_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200), default="")
    required: Mapped[bool] = mapped_column(default=True)
    # "concept_note", "full_application", or "any" (asked at every stage)
    stage: Mapped[str] = mapped_column(String(20), default="any")
    position: Mapped[int] = mapped_column(default=0)

    call: Mapped[Call] = relationship(back_populates="attachment_requirements")

    __table_args__ = (
        CheckConstraint(f"kind IN {ATTACHMENT_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("stage IN ('concept_note', 'full_application', 'any')", name="stage_known"),
    )

    def applies_to(self, stage: str) -> bool:
        return self.stage in ("any", stage)


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    DISMISSED = "dismissed"


class CallQuestion(db.Model):
    """A clarification question from an applicant. Managers publish it anonymised, with the answer, on the
    call's page; the asker is never shown."""

    __tablename__ = "call_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=QuestionStatus.PENDING.value, index=True)
    # What is published: the question as rewritten by the manager (anonymised) and the answer.
    published_question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None]
    # The published question and answer in other languages than the call's: {"fr": {"published_question": ...,
    # "answer": ...}}.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    version_id: Mapped[int] = mapped_column(default=1)

    call: Mapped[Call] = relationship(back_populates="questions")
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])

    @property
    def language(self) -> str:
        return self.call.language

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (CheckConstraint("status IN ('pending', 'published', 'dismissed')", name="status_known"),)


class DeadlineChange(db.Model):
    """A deadline moved after publication (only extensions are allowed once a proposal was submitted);
    shown on the call's page."""

    __tablename__ = "call_deadline_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[dt.datetime]
    new_value: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    call: Mapped[Call] = relationship(back_populates="deadline_changes")
