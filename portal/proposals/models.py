"""Proposals submitted to calls by a lead organisation (with its consortium), and their submitted snapshots."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Money, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.calls.models import Call, JvapDomain
    from portal.evaluation.models import Assignment, Decision
    from portal.grants.models import Grant
    from portal.organisations.models import Organisation


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    AWARDED = "awarded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


PROPOSAL_STATUS_VALUES = tuple(s.value for s in ProposalStatus)


class PartnerRole(enum.StrEnum):
    CO_APPLICANT = "co_applicant"
    ASSOCIATED = "associated"


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    requested_amount: Mapped[Decimal | None] = mapped_column(Money())
    duration_months: Mapped[int | None]
    jvap_domain_id: Mapped[int | None] = mapped_column(ForeignKey("jvap_domains.id"))
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.DRAFT.value, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    call: Mapped[Call] = relationship(back_populates="proposals")
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

    def can_view(self, user: User) -> bool:
        if not user.is_authenticated:
            return False
        if user.is_staff or self.is_applicant_member(user):
            return True
        # An evaluator sees a proposal only once assigned and after declaring no conflict of interest.
        assignment = self.active_assignment_for(user)
        return assignment is not None and assignment.declared_no_conflict

    def can_edit(self, user: User) -> bool:
        return self.is_draft and self.is_applicant_member(user)

    def can_submit(self, user: User) -> bool:
        return self.can_edit(user)

    def can_decide(self, user: User) -> bool:
        return bool(user.is_authenticated) and user.is_staff

    def __repr__(self) -> str:
        return f"<Proposal {self.reference}>"


class ProposalCountry(db.Model):
    __tablename__ = "proposal_countries"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)

    proposal: Mapped[Proposal] = relationship(back_populates="country_rows")


class ProposalPartner(db.Model):
    """A consortium member other than the lead: a co-applicant (receives part of the budget) or an
    associated entity (takes part, receives no funds)."""

    __tablename__ = "proposal_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=PartnerRole.CO_APPLICANT.value)
    budget_share: Mapped[Decimal | None] = mapped_column(Money())
    confirmed_at: Mapped[dt.datetime | None]

    proposal: Mapped[Proposal] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        UniqueConstraint("proposal_id", "organisation_id"),
        CheckConstraint("role IN ('co_applicant', 'associated')", name="role_known"),
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
