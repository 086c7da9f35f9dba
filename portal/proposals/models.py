"""Proposals submitted to calls by a lead organisation (with its consortium), and their submitted snapshots."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Money, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.calls.models import AttachmentRequirement, Call, Dialogue, JvapDomain
    from portal.evaluation.models import Assignment, Decision
    from portal.grants.models import Grant
    from portal.organisations.models import Organisation


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ADMISSIBLE = "admissible"  # passed the administrative check
    NOT_ADMISSIBLE = "not_admissible"
    ELIGIBLE = "eligible"  # passed the eligibility check
    NOT_ELIGIBLE = "not_eligible"
    UNDER_REVIEW = "under_review"  # with its evaluators
    SHORTLISTED = "shortlisted"  # a concept note ranked within the shortlist
    NOT_SHORTLISTED = "not_shortlisted"
    INVITED = "invited"  # a concept note whose lead is invited to submit a full application
    FULL_APPLICATION_SUBMITTED = "full_application_submitted"  # the concept note whose full application is in
    RECOMMENDED = "recommended"  # ranked within the envelope, for the committee's decision
    RESERVE = "reserve"  # above the thresholds, below the budget line
    AWARDED = "awarded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


PROPOSAL_STATUS_VALUES = tuple(s.value for s in ProposalStatus)


class ProposalStage(enum.StrEnum):
    CONCEPT_NOTE = "concept_note"
    FULL_APPLICATION = "full_application"


class PartnerRole(enum.StrEnum):
    CO_APPLICANT = "co_applicant"
    ASSOCIATED = "associated"


class PartnerStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class BudgetCategory(enum.StrEnum):
    HUMAN_RESOURCES = "human_resources"
    TRAVEL = "travel"
    EQUIPMENT = "equipment"
    LOCAL_OFFICE = "local_office"
    OTHER_SERVICES = "other_services"
    SUB_GRANTING = "sub_granting"
    INDIRECT = "indirect"


BUDGET_CATEGORY_VALUES = tuple(c.value for c in BudgetCategory)

proposal_dialogues = Table(
    "proposal_dialogues",
    db.metadata,
    Column("proposal_id", ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True),
    Column("dialogue_id", ForeignKey("dialogues.id"), primary_key=True),
)


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str] = mapped_column(String(20), default=ProposalStage.FULL_APPLICATION.value)
    # A full application made from an invited concept note points at it (one full application per note).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # Computed on the server from the budget (total costs minus co-financing); kept for ranking and envelopes.
    requested_amount: Mapped[Decimal | None] = mapped_column(Money())
    total_budget: Mapped[Decimal | None] = mapped_column(Money())
    duration_months: Mapped[int | None]
    jvap_domain_id: Mapped[int | None] = mapped_column(ForeignKey("jvap_domains.id"))
    status: Mapped[str] = mapped_column(String(30), default=ProposalStatus.DRAFT.value, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    invited_at: Mapped[dt.datetime | None]
    # The version of the call's evaluation pipeline this proposal follows, pinned at its first submission.
    pipeline_version: Mapped[int | None]
    version_id: Mapped[int] = mapped_column(default=1)

    call: Mapped[Call] = relationship(back_populates="proposals")
    parent: Mapped[Proposal | None] = relationship(remote_side=[id], back_populates="full_application")
    full_application: Mapped[Proposal | None] = relationship(back_populates="parent")
    dialogues: Mapped[list[Dialogue]] = relationship(secondary=proposal_dialogues, order_by="Dialogue.id")
    sections: Mapped[list[ProposalSection]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalSection.key"
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="BudgetLine.position"
    )
    cofinancing: Mapped[list[CofinancingSource]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="CofinancingSource.position"
    )
    attachments: Mapped[list[ProposalAttachment]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalAttachment.uploaded_at"
    )
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    jvap_domain: Mapped[JvapDomain | None] = relationship()
    country_rows: Mapped[list[ProposalCountry]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalCountry.country_code"
    )
    partners: Mapped[list[ProposalPartner]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalPartner.id"
    )
    snapshots: Mapped[list[ProposalSnapshot]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalSnapshot.version"
    )
    assignments: Mapped[list[Assignment]] = relationship(back_populates="proposal")
    decision: Mapped[Decision | None] = relationship(back_populates="proposal")
    grant: Mapped[Grant | None] = relationship(back_populates="proposal")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint(f"status IN {PROPOSAL_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("requested_amount IS NULL OR requested_amount > 0", name="amount_positive"),
        CheckConstraint("duration_months IS NULL OR duration_months > 0", name="duration_positive"),
        CheckConstraint("stage IN ('concept_note', 'full_application')", name="stage_known"),
    )

    @property
    def countries(self) -> list[str]:
        return [row.country_code for row in self.country_rows]

    @property
    def is_draft(self) -> bool:
        return self.status == ProposalStatus.DRAFT

    # -- access: who may do what with this proposal --
    def is_applicant_member(self, user: User) -> bool:
        """The user belongs to the lead organisation."""
        return bool(user.is_authenticated) and self.organisation_id in user.organisation_ids()

    def active_assignment_for(self, user: User) -> Assignment | None:
        if not user.is_authenticated or not user.is_evaluator:
            return None
        for assignment in self.assignments:
            if assignment.evaluator_id == user.id and assignment.is_active:
                return assignment
        return None

    def partner_for(self, user: User) -> ProposalPartner | None:
        """The consortium membership (accepted, not the lead) through which `user` takes part, if any."""
        if not user.is_authenticated:
            return None
        mine = user.organisation_ids()
        for partner in self.partners:
            if partner.status == PartnerStatus.ACCEPTED and partner.organisation_id in mine:
                return partner
        return None

    def can_view(self, user: User) -> bool:
        if not user.is_authenticated:
            return False
        if user.is_staff or self.is_applicant_member(user) or self.partner_for(user) is not None:
            return True
        # An evaluator sees a proposal only once assigned and after declaring no conflict of interest.
        assignment = self.active_assignment_for(user)
        # In a blind stage the evaluator reads it only through the evaluation pages, which name no applicant.
        return assignment is not None and assignment.declared_no_conflict and not assignment.stage.blind

    def can_edit(self, user: User) -> bool:
        """Edit the whole draft: the lead applicant's users."""
        return self.is_draft and self.is_applicant_member(user)

    def can_edit_section(self, user: User, key: str) -> bool:
        """The lead edits every section; a co-applicant edits the sections the lead gave it."""
        if not self.is_draft:
            return False
        if self.is_applicant_member(user):
            return True
        partner = self.partner_for(user)
        if partner is None or partner.role != PartnerRole.CO_APPLICANT:
            return False
        return key in (partner.editable_sections or [])

    def can_contribute(self, user: User) -> bool:
        """Reach the draft's form at all: the lead, or a co-applicant given at least one section."""
        if not self.is_draft:
            return False
        if self.is_applicant_member(user):
            return True
        partner = self.partner_for(user)
        return partner is not None and partner.role == PartnerRole.CO_APPLICANT and bool(partner.editable_sections)

    def can_manage_consortium(self, user: User) -> bool:
        return self.is_draft and self.is_applicant_member(user)

    def can_submit(self, user: User) -> bool:
        """Only the lead applicant submits."""
        return self.is_draft and self.is_applicant_member(user)

    def can_withdraw(self, user: User) -> bool:
        return self.status == ProposalStatus.SUBMITTED and self.is_applicant_member(user)

    def can_decide(self, user: User) -> bool:
        return bool(user.is_authenticated) and user.is_staff

    def __repr__(self) -> str:
        return f"<Proposal {self.reference}>"


class ProposalCountry(db.Model):
    __tablename__ = "proposal_countries"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    # Share of the activity in this country, in percent; the shares of a proposal add up to 100.
    share_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    proposal: Mapped[Proposal] = relationship(back_populates="country_rows")

    __table_args__ = (CheckConstraint("share_pct IS NULL OR (share_pct > 0 AND share_pct <= 100)", name="share"),)


class ProposalPartner(db.Model):
    """A consortium member other than the lead: a co-applicant (receives part of the budget) or an
    associated entity (takes part, receives no funds)."""

    __tablename__ = "proposal_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    # None while the invitation goes to an organisation not yet registered (by e-mail); set when it accepts.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=PartnerRole.CO_APPLICANT.value)
    budget_share: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(20), default=PartnerStatus.INVITED.value)
    invited_email: Mapped[str | None] = mapped_column(String(254))
    invited_name: Mapped[str | None] = mapped_column(String(300))
    invited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[dt.datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[dt.datetime | None]
    # Keys of the proposal's sections that this partner's users may edit (the lead decides).
    editable_sections: Mapped[list] = mapped_column(JSON, default=list)

    proposal: Mapped[Proposal] = relationship(back_populates="partners")
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        UniqueConstraint("proposal_id", "organisation_id"),
        CheckConstraint("role IN ('co_applicant', 'associated')", name="role_known"),
        CheckConstraint("status IN ('invited', 'accepted', 'declined')", name="status_known"),
        CheckConstraint("organisation_id IS NOT NULL OR invited_email IS NOT NULL", name="who"),
    )


class ProposalSnapshot(db.Model):
    """What was submitted, frozen: the whole proposal as JSON with its SHA-256 fingerprint."""

    __tablename__ = "proposal_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="snapshots")

    __table_args__ = (UniqueConstraint("proposal_id", "version"),)


class ProposalSection(db.Model):
    """The content of one section of the form (narrative text, logical framework, work plan, risks, ...) as
    JSON, with its own version so that two people editing different sections never collide, and two editing
    the same one are told."""

    __tablename__ = "proposal_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    proposal: Mapped[Proposal] = relationship(back_populates="sections")
    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (UniqueConstraint("proposal_id", "key"),)


class BudgetLine(db.Model):
    """One line of the budget: description x unit x quantity x unit cost, for one partner (None: the lead)
    and one cost category."""

    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_partners.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    position: Mapped[int] = mapped_column(default=0)

    proposal: Mapped[Proposal] = relationship(back_populates="budget_lines")
    partner: Mapped[ProposalPartner | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"category IN {BUDGET_CATEGORY_VALUES!r}", name="category_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
    )

    @property
    def total(self) -> Decimal:
        """quantity x unit cost to the cent, halves rounded up (as portal.proposals.budget.line_total)."""
        return (self.quantity * self.unit_cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class CofinancingSource(db.Model):
    """Money the consortium brings from elsewhere (own funds, other donors)."""

    __tablename__ = "cofinancing_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money())
    secured: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    proposal: Mapped[Proposal] = relationship(back_populates="cofinancing")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class ProposalAttachment(db.Model):
    """A file attached to a proposal (statutes, registration proof, accounts, CVs, letters of support), checked by
    its content and stored under a random name; fetched only through a route that checks access."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_attachment_requirements.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(30))
    # Whose document it is (None: the lead applicant's, or the consortium's as a whole).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_partners.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300), default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="attachments")
    requirement: Mapped[AttachmentRequirement | None] = relationship()
    partner: Mapped[ProposalPartner | None] = relationship()

    def can_view(self, user: User) -> bool:
        return self.proposal.can_view(user)
