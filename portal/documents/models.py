"""Generated documents (award letters first): one row per document and version, with the status of the job
that renders it, and the fingerprint of what it produced."""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.calls.models import Call
    from portal.evaluation.models import Decision, EvaluationStage
    from portal.grants.models import Grant
    from portal.proposals.models import ProposalSnapshot


class DocumentKind(enum.StrEnum):
    AWARD_LETTER = "award_letter"
    SUBMISSION_RECEIPT = "submission_receipt"
    # The committee's decision not to fund (or to fund only if money frees up), told to the lead applicant.
    REJECTION_LETTER = "rejection_letter"
    RESERVE_LETTER = "reserve_letter"
    # The evaluation committee's ranked list of a call's stage (staff only: it names evaluators).
    COMMITTEE_RANKING = "committee_ranking"


DECISION_LETTER_KINDS = (DocumentKind.REJECTION_LETTER.value, DocumentKind.RESERVE_LETTER.value)


class DocumentStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


DOCUMENT_STATUS_VALUES = tuple(s.value for s in DocumentStatus)
# Unambiguous characters for codes people read aloud or type from paper (no 0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"), index=True)
    # Submission receipts: the frozen snapshot the receipt describes.
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_snapshots.id"), index=True)
    # Rejection and reserve-list letters: the committee's decision they tell.
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    # The committee's ranked list: the call and stage it ranks, and the fingerprint of the ranking it prints.
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_stages.id"))
    source_digest: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.QUEUED.value, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    verification_code: Mapped[str] = mapped_column(String(20), unique=True, default=new_verification_code)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    rendered_at: Mapped[dt.datetime | None]
    superseded_at: Mapped[dt.datetime | None]

    grant: Mapped[Grant | None] = relationship(back_populates="documents")
    snapshot: Mapped[ProposalSnapshot | None] = relationship()
    decision: Mapped[Decision | None] = relationship()
    call: Mapped[Call | None] = relationship()
    stage: Mapped[EvaluationStage | None] = relationship()

    __table_args__ = (
        UniqueConstraint("kind", "grant_id", "version"),
        UniqueConstraint("kind", "snapshot_id"),
        UniqueConstraint("kind", "decision_id", "version"),
        UniqueConstraint("kind", "call_id", "stage_id", "version"),
        CheckConstraint(f"status IN {DOCUMENT_STATUS_VALUES!r}", name="status_known"),
    )

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY

    @property
    def is_receipt(self) -> bool:
        return self.kind == DocumentKind.SUBMISSION_RECEIPT

    @property
    def is_decision_letter(self) -> bool:
        return self.kind in DECISION_LETTER_KINDS

    @property
    def is_ranked_list(self) -> bool:
        return self.kind == DocumentKind.COMMITTEE_RANKING

    @property
    def proposal(self):
        """The proposal a receipt or a decision letter is about (None for an award letter)."""
        if self.is_receipt:
            return self.snapshot.proposal if self.snapshot else None
        if self.is_decision_letter:
            return self.decision.proposal if self.decision else None
        return None

    @property
    def filename(self) -> str:
        if self.is_ranked_list:
            reference = re.sub(r"[^A-Za-z0-9._-]+", "-", self.call.reference) if self.call else str(self.id)
            return f"ranked-list-{reference}-v{self.version}.pdf"
        if self.is_decision_letter:
            reference = self.proposal.reference if self.proposal else str(self.id)
            return f"{self.kind.replace('_', '-')}-{reference}-v{self.version}.pdf"
        if self.is_receipt:
            reference = self.snapshot.proposal.reference if self.snapshot else str(self.id)
            return f"submission-receipt-{reference}-v{self.version}.pdf"
        number = self.grant.agreement_number if self.grant else str(self.id)
        return f"award-letter-{number}-v{self.version}.pdf"

    # -- access: an award letter is seen and fetched through its grant, a receipt through its proposal --
    def can_view(self, user) -> bool:
        if self.is_ranked_list:
            # The ranked list names evaluators and every applicant's scores: staff only; others may not know it
            # exists.
            return bool(user.is_authenticated) and user.is_staff
        if self.is_decision_letter:
            return self.proposal is not None and self.proposal.can_view(user)
        if self.is_receipt:
            return self.snapshot is not None and self.snapshot.proposal.can_view(user)
        return self.grant is not None and self.grant.can_view(user)

    def _is_addressee_or_staff(self, user) -> bool:
        # A decision letter is addressed to the lead applicant: its members and staff read it; partners learn the
        # outcome from the proposal page, evaluators never see the letter.
        return bool(user.is_authenticated) and (user.is_staff or self.proposal.is_applicant_member(user))

    def can_download(self, user) -> bool:
        if self.is_ranked_list:
            return self.can_view(user)
        if self.is_decision_letter:
            return self.can_view(user) and self._is_addressee_or_staff(user)
        if self.is_receipt:
            # Everyone who may see the proposal (its lead, co-applicants, staff, its evaluators) may read what
            # was submitted, and so its receipt.
            return self.can_view(user)
        return self.grant is not None and self.grant.can_download_letter(user)

    def can_retry(self, user) -> bool:
        return bool(user.is_authenticated) and user.is_staff

    @property
    def is_superseded(self) -> bool:
        return self.superseded_at is not None


from portal.documents import template_models as _template_models  # noqa: E402, F401
