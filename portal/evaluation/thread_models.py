"""A proposal's internal discussion (managers, and its evaluators where the stage allows) and the clarifications
that managers ask of its applicants. The discussion is never shown to applicants; a clarification request and its
answer are part of the proposal's record."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.proposals.models import Proposal


class ThreadMessage(db.Model):
    """A message of a proposal's internal discussion. Plain text, never edited or deleted."""

    __tablename__ = "thread_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    author: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("length(body) > 0", name="body_not_empty"),)


class ClarificationStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    # Not stored: an open request past its deadline reads as overdue (ClarificationRequest.state).
    OVERDUE = "overdue"


CLARIFICATION_STORED_STATUSES = (
    ClarificationStatus.OPEN.value,
    ClarificationStatus.ANSWERED.value,
    ClarificationStatus.CANCELLED.value,
)


class ClarificationRequest(db.Model):
    """A manager asks the applicant for missing information or a clarification, with a response deadline; the
    lead organisation's users answer in the portal (text and, optionally, one file)."""

    __tablename__ = "clarification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default=ClarificationStatus.OPEN.value)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None]
    # Answers after the deadline are accepted, and marked as late.
    answered_late: Mapped[bool] = mapped_column(default=False)
    attachment_key: Mapped[str | None] = mapped_column(String(200))
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_content_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None]
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[dt.datetime | None]

    proposal: Mapped[Proposal] = relationship()
    asked_by: Mapped[User] = relationship(foreign_keys=[asked_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])

    __table_args__ = (
        CheckConstraint(f"status IN {CLARIFICATION_STORED_STATUSES!r}", name="status_known"),
        CheckConstraint("status != 'answered' OR answered_at IS NOT NULL", name="answered_when"),
    )

    def state(self, now: dt.datetime | None = None) -> str:
        """open, overdue (open past its deadline), answered or cancelled."""
        if self.status == ClarificationStatus.OPEN and (now or utcnow()) > self.due_at:
            return ClarificationStatus.OVERDUE.value
        return self.status

    @property
    def is_open(self) -> bool:
        return self.status == ClarificationStatus.OPEN

    # -- access --
    def can_view(self, user: User) -> bool:
        """Staff, and the users of the proposal's lead organisation."""
        return bool(user.is_authenticated) and (user.is_staff or self.proposal.is_applicant_member(user))

    def can_answer(self, user: User) -> bool:
        return self.is_open and self.proposal.is_applicant_member(user)

    def can_cancel(self, user: User) -> bool:
        return self.is_open and bool(user.is_authenticated) and user.is_staff
