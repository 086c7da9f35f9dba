"""Grants: awarded proposals, tracked with their implementing organisations and countries."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Money, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.calls.models import Call, Dialogue, JvapDomain
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


grant_dialogues = Table(
    "grant_dialogues",
    db.metadata,
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True),
    Column("dialogue_id", ForeignKey("dialogues.id"), primary_key=True, index=True),
)
grant_domains = Table(
    "grant_domains",
    db.metadata,
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True),
    Column("domain_id", ForeignKey("jvap_domains.id"), primary_key=True, index=True),
)


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
    # What the consortium brings besides the grant (from the proposal's budget).
    cofinancing: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    # The day the award was decided (360Giving awardDate); planned dates below, actual ones once they happen.
    awarded_on: Mapped[dt.date | None] = mapped_column(index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    actual_start_date: Mapped[dt.date | None]
    actual_end_date: Mapped[dt.date | None]
    # Goes up with every approved amendment that changes the terms.
    terms_version: Mapped[int] = mapped_column(default=1)
    # Conditions particular to this grant, printed in its award letter (managers edit them with the letter).
    special_conditions: Mapped[str] = mapped_column(Text, default="")
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
    dialogues: Mapped[list[Dialogue]] = relationship(secondary=grant_dialogues, order_by="Dialogue.id")
    domains: Mapped[list[JvapDomain]] = relationship(secondary=grant_domains, order_by="JvapDomain.number")
    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="Tranche.number"
    )
    reports: Mapped[list[GrantReport]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="(GrantReport.due_date, GrantReport.id)"
    )
    amendments: Mapped[list[Amendment]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="Amendment.number"
    )

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint(f"status IN {GRANT_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("start_date < end_date", name="dates_ordered"),
        CheckConstraint("cofinancing >= 0", name="cofinancing_not_negative"),
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

    def can_report(self, user: User) -> bool:
        """The lead organisation's users upload the reports (the lead answers for the whole consortium)."""
        return self.is_implementer(user)

    def can_request_amendment(self, user: User) -> bool:
        return self.is_implementer(user) or self.can_manage(user)

    def overdue_reports(self, today: dt.date) -> list[GrantReport]:
        return [report for report in self.reports if report.is_overdue(today)]

    @property
    def is_open(self) -> bool:
        """Still running (its terms may change, payments and reports go on)."""
        return self.status in (GrantStatus.CONTRACTING, GrantStatus.ACTIVE, GrantStatus.SUSPENDED)

    @property
    def funded_organisations(self) -> list[GrantOrganisation]:
        """The lead and the co-beneficiaries: those with a budget share."""
        return [row for row in self.organisations if row.role != GrantRole.ASSOCIATED]

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


class TrancheKind(enum.StrEnum):
    PRE_FINANCING = "pre_financing"
    FURTHER_PRE_FINANCING = "further_pre_financing"
    BALANCE = "balance"


TRANCHE_KIND_VALUES = tuple(k.value for k in TrancheKind)


class Tranche(db.Model):
    """One payment of the schedule: planned (date and amount), then paid (date and amount). A further tranche
    needs the report named by `requires_report_id` approved first; total pre-financing never above 90%."""

    __tablename__ = "grant_tranches"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    planned_date: Mapped[dt.date]
    planned_amount: Mapped[Decimal] = mapped_column(Money())
    requires_report_id: Mapped[int | None] = mapped_column(ForeignKey("grant_reports.id", ondelete="SET NULL"))
    paid_date: Mapped[dt.date | None] = mapped_column(index=True)
    paid_amount: Mapped[Decimal | None] = mapped_column(Money())
    paid_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # Two managers changing the same tranche: the second is told (payments.change_tranche), never overwrites.
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")

    grant: Mapped[Grant] = relationship(back_populates="tranches")
    requires_report: Mapped[GrantReport | None] = relationship(foreign_keys=[requires_report_id])

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        UniqueConstraint("grant_id", "number"),
        CheckConstraint(f"kind IN {TRANCHE_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("planned_amount > 0", name="planned_positive"),
        CheckConstraint("paid_amount IS NULL OR paid_amount > 0", name="paid_positive"),
        CheckConstraint("(paid_date IS NULL) = (paid_amount IS NULL)", name="paid_together"),
    )

    @property
    def is_paid(self) -> bool:
        return self.paid_date is not None


class ReportPeriod(enum.StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class ReportType(enum.StrEnum):
    NARRATIVE = "narrative"
    FINANCIAL = "financial"


class ReportStatus(enum.StrEnum):
    DUE = "due"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


REPORT_STATUS_VALUES = tuple(s.value for s in ReportStatus)


class GrantReport(db.Model):
    """A reporting milestone (interim or final, narrative or financial) with its due date; the lead uploads the
    report, a manager approves it or asks for changes with comments. Overdue: past due and not yet submitted
    (or sent back and not yet resubmitted)."""

    __tablename__ = "grant_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.DUE.value, index=True)
    submitted_at: Mapped[dt.datetime | None]
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int] = mapped_column(default=1)

    grant: Mapped[Grant] = relationship(back_populates="reports")
    files: Mapped[list[GrantReportFile]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="GrantReportFile.version"
    )

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        CheckConstraint("period IN ('interim', 'final')", name="period_known"),
        CheckConstraint("type IN ('narrative', 'financial')", name="type_known"),
        CheckConstraint(f"status IN {REPORT_STATUS_VALUES!r}", name="status_known"),
    )

    def is_overdue(self, today: dt.date) -> bool:
        return self.status in (ReportStatus.DUE, ReportStatus.CHANGES_REQUESTED) and today > self.due_date


class GrantReportFile(db.Model):
    """One upload of a report (a report sent back for changes is uploaded again: every version is kept)."""

    __tablename__ = "grant_report_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    report: Mapped[GrantReport] = relationship(back_populates="files")

    __table_args__ = (UniqueConstraint("report_id", "version"),)


class AmendmentKind(enum.StrEnum):
    NO_COST_EXTENSION = "no_cost_extension"
    BUDGET_REALLOCATION = "budget_reallocation"
    PARTNER_CHANGE = "partner_change"


class AmendmentStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Amendment(db.Model):
    """A change to the grant's terms: requested (by the lead or a manager), then decided. `changes` holds what
    is asked (e.g. a new end date, new budget shares, a partner joining or leaving); an approved amendment applies
    them and keeps the terms before and after, so the grant shows its current terms and their history."""

    __tablename__ = "grant_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=AmendmentStatus.REQUESTED.value)
    justification: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    terms_before: Mapped[dict | None] = mapped_column(JSON)
    terms_after: Mapped[dict | None] = mapped_column(JSON)
    # The grant's terms_version this amendment produced (approved ones only).
    terms_version: Mapped[int | None]

    grant: Mapped[Grant] = relationship(back_populates="amendments")

    __table_args__ = (
        UniqueConstraint("grant_id", "number"),
        CheckConstraint("kind IN ('no_cost_extension', 'budget_reallocation', 'partner_change')", name="kind_known"),
        CheckConstraint("status IN ('requested', 'approved', 'rejected', 'withdrawn')", name="status_known"),
    )
