"""The outbox of e-mail messages, the in-portal notifications, each user's e-mail preferences and the record of
reminders already sent."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import utcnow
from portal.extensions import db


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # committed, waiting for (or retried by) the delivery task
    HELD = "held"  # kept for the recipient's daily digest
    DIGESTED = "digested"  # went out inside a digest message
    SENT = "sent"
    FAILED = "failed"  # every attempt failed; `error` says why


MESSAGE_STATUS_VALUES = tuple(s.value for s in MessageStatus)


class OutboxMessage(db.Model):
    """One e-mail, written in the same transaction as the action that caused it and delivered after commit."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    template: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None]
    # The digest message that carried this one (status "digested").
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"))

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
    )

    __table_args__ = (
        CheckConstraint(f"status IN {MESSAGE_STATUS_VALUES!r}", name="status_known"),
        Index("ix_outbox_messages_status_created", "status", "created_at"),
    )


class OutboxAttachment(db.Model):
    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")


class Notification(db.Model):
    """What the in-portal notification list shows: every message a user is sent, whatever their e-mail choice."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )


class Delivery(enum.StrEnum):
    INSTANT = "instant"
    DIGEST = "digest"
    PORTAL_ONLY = "portal"  # no e-mail; the in-portal list only


DELIVERY_VALUES = tuple(d.value for d in Delivery)


class NotificationPreference(db.Model):
    """A user's choice for one category of messages (no row: instant)."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    delivery: Mapped[str] = mapped_column(String(10), default=Delivery.INSTANT.value)

    __table_args__ = (
        UniqueConstraint("user_id", "category"),
        CheckConstraint(f"delivery IN {DELIVERY_VALUES!r}", name="delivery_known"),
    )


class SentReminder(db.Model):
    """A reminder already sent, by its key (what it is about and which occasion). The unique key is what stops a
    reminder going out twice, even from two beat processes running at once."""

    __tablename__ = "sent_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
