"""Grants: awarded proposals, tracked with their implementing organisations and countries."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Money, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.calls.models import Call
    from portal.documents.models import Document
    from portal.organisations.models import Organisation
    from portal.proposals.models import Proposal


class GrantStatus(enum.StrEnum):
    CONTRACTING = "contracting"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    TERMINATED = "terminated"


GRANT_STATUS_VALUES = tuple(s.value for s in GrantStatus)


class GrantRole(enum.StrEnum):
    LEAD = "lead"
    CO_BENEFICIARY = "co_beneficiary"
    ASSOCIATED = "associated"


class Grant(db.Model):
    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_number: Mapped[str] = mapped_column(String(40), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    lead_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money())
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default=GrantStatus.CONTRACTING.value, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    call: Mapped[Call] = relationship()
    proposal: Mapped[Proposal] = relationship(back_populates="grant")
    lead_organisation: Mapped[Organisation] = relationship()
    organisations: Mapped[list[GrantOrganisation]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="GrantOrganisation.id"
    )
    country_rows: Mapped[list[GrantCountry]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="GrantCountry.country_code"
    )
    documents: Mapped[list[Document]] = relationship(back_populates="grant", order_by="Document.version")

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint(f"status IN {GRANT_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("start_date < end_date", name="dates_ordered"),
    )

    @property
    def countries(self) -> list[str]:
        return [row.country_code for row in self.country_rows]

    @property
    def duration_months(self) -> int:
        months = (self.end_date.year - self.start_date.year) * 12 + self.end_date.month - self.start_date.month
        return months + (1 if self.end_date.day >= self.start_date.day else 0)

    def is_implementer(self, user: User) -> bool:
        """The user belongs to the lead organisation (the holder of the award letter)."""
        return bool(user.is_authenticated) and self.lead_organisation_id in user.organisation_ids()

    def is_participant(self, user: User) -> bool:
        if not user.is_authenticated:
            return False
        mine = user.organisation_ids()
        return any(row.organisation_id in mine for row in self.organisations)

    def can_view(self, user: User) -> bool:
        return bool(user.is_authenticated) and (user.is_staff or self.is_participant(user))

    def can_download_letter(self, user: User) -> bool:
        return bool(user.is_authenticated) and (user.is_staff or self.is_implementer(user))

    def can_manage(self, user: User) -> bool:
        return bool(user.is_authenticated) and user.is_staff

    @property
    def current_letter(self) -> Document | None:
        letters = [d for d in self.documents if d.kind == "award_letter" and d.superseded_at is None]
        return letters[-1] if letters else None


class GrantOrganisation(db.Model):
    """An implementing organisation of a grant (lead or co-beneficiary), or an associated entity."""

    __tablename__ = "grant_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    budget_share: Mapped[Decimal | None] = mapped_column(Money())

    grant: Mapped[Grant] = relationship(back_populates="organisations")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        UniqueConstraint("grant_id", "organisation_id"),
        CheckConstraint("role IN ('lead', 'co_beneficiary', 'associated')", name="role_known"),
    )


class GrantCountry(db.Model):
    __tablename__ = "grant_countries"

    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
    share_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    grant: Mapped[Grant] = relationship(back_populates="country_rows")
