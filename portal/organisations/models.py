"""Applicant and implementing organisations, and the users who belong to them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import countries
from portal.core.db import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User


class OrganisationType(enum.StrEnum):
    NGO = "ngo"
    RESEARCH = "research"
    DIASPORA = "diaspora"
    LOCAL_AUTHORITY = "local_authority"
    PRIVATE_SECTOR = "private_sector"
    INTERNATIONAL = "international"


ORGANISATION_TYPE_VALUES = tuple(t.value for t in OrganisationType)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    acronym: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(30))
    country: Mapped[str] = mapped_column(String(2), index=True)
    registration_number: Mapped[str] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Who signs for the organisation (the addressee of an award letter to a lead applicant).
    legal_representative: Mapped[str | None] = mapped_column(String(200))
    legal_representative_title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("country", "registration_number"),
        CheckConstraint(f"type IN {ORGANISATION_TYPE_VALUES!r}", name="type_known"),
    )

    @property
    def name(self) -> str:
        return f"{self.legal_name} ({self.acronym})" if self.acronym else self.legal_name

    @property
    def is_african(self) -> bool:
        return countries.is_african(self.country)

    def is_member(self, user: User) -> bool:
        return bool(user.is_authenticated) and any(m.user_id == user.id for m in self.memberships)

    def can_view(self, user: User) -> bool:
        return bool(user.is_authenticated) and (user.is_staff or self.is_member(user))

    def can_edit(self, user: User) -> bool:
        return self.is_member(user)

    def __repr__(self) -> str:
        return f"<Organisation {self.legal_name}>"


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)


class MembershipRequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class MembershipRequest(db.Model):
    """A user asks to join an organisation that already exists (instead of registering a duplicate); its
    contact accepts or declines."""

    __tablename__ = "membership_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=MembershipRequestStatus.PENDING.value)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status_known"),)

    def can_view(self, user: User) -> bool:
        return bool(user.is_authenticated) and (user.id == self.user_id or self.organisation.is_member(user))

    def can_decide(self, user: User) -> bool:
        return self.status == MembershipRequestStatus.PENDING and self.organisation.is_member(user)
