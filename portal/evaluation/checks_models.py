"""The administrative and eligibility checks: a call's checklist items of each kind, a manager's answer to each
item for each proposal (per consortium member for the eligibility of the applicants), and the conclusion of each
check (admissible / not admissible, eligible / not eligible)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User


class CheckKind(enum.StrEnum):
    ADMINISTRATIVE = "administrative_check"  # the same values as the pipeline's stage kinds
    ELIGIBILITY = "eligibility_check"


CHECK_KIND_VALUES = tuple(k.value for k in CheckKind)


class CheckItem(db.Model):
    """One point of a call's checklist. `per_member` items are answered once for each consortium member (the lead
    applicant and each co-applicant that confirmed its participation)."""

    __tablename__ = "check_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    position: Mapped[int]
    label_en: Mapped[str] = mapped_column(String(300))
    label_fr: Mapped[str] = mapped_column(String(300))
    per_member: Mapped[bool] = mapped_column(default=False)

    results: Mapped[list[CheckResult]] = relationship(back_populates="item")

    __table_args__ = (CheckConstraint(f"kind IN {CHECK_KIND_VALUES!r}", name="kind_known"),)


class CheckResult(db.Model):
    """A manager's answer to one item for one proposal (and one member organisation for per-member items). A failed
    item carries the reason the applicant will read."""

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_items.id", ondelete="CASCADE"), index=True)
    # The member organisation a per-member item is about; 0 stands for "the proposal as a whole" so that the
    # unique constraint holds (NULLs never collide in SQL).
    organisation_id: Mapped[int] = mapped_column(default=0)
    passed: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    item: Mapped[CheckItem] = relationship(back_populates="results")
    checked_by: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("proposal_id", "item_id", "organisation_id"),
        CheckConstraint("passed OR length(reason) > 0", name="failed_needs_reason"),
    )


class CheckConclusion(db.Model):
    """The end of one check of one proposal; from then on the applicant reads the reasons of the failed items."""

    __tablename__ = "check_conclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    passed: Mapped[bool]
    concluded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    concluded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    concluded_by: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("proposal_id", "kind"),
        CheckConstraint(f"kind IN {CHECK_KIND_VALUES!r}", name="kind_known"),
    )
