"""Posting a message (outbox row, in-portal notification, the recipient's e-mail choice), delivering it, the daily
digest, and preferences. Operations flush and never commit; the task or route commits once."""

from __future__ import annotations

import datetime as dt
import logging

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.core import audit, jobs
from portal.core.db import utcnow
from portal.extensions import db
from portal.notifications.models import (
    Delivery,
    MessageStatus,
    Notification,
    NotificationPreference,
    OutboxAttachment,
    OutboxMessage,
    SentReminder,
)

log = logging.getLogger(__name__)

# The categories a user chooses for; account messages are always e-mailed at once.
CATEGORIES = {
    "calls": _l("Calls for proposals: questions answered, deadlines changed"),
    "proposals": _l("Proposals and consortia: submissions, invitations, outcomes"),
    "evaluation": _l("Evaluation: assignments, conflicts of interest, decisions"),
    "grants": _l("Grants: reports and amendments"),
    "reminders": _l("Reminders: closing calls, evaluations and reports due"),
}
DELIVERY_LABELS = {
    Delivery.INSTANT: _l("E-mail at once"),
    Delivery.DIGEST: _l("One e-mail a day (digest)"),
    Delivery.PORTAL_ONLY: _l("No e-mail: in the portal only"),
}


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def delivery_for(user: User | None, category: str) -> str:
    if user is None or category not in CATEGORIES:
        return Delivery.INSTANT.value
    choice = db.session.scalar(
        select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user.id, NotificationPreference.category == category
        )
    )
    return choice or Delivery.INSTANT.value


def post(message, *, template: str, category: str, locale: str, url: str | None = None) -> OutboxMessage | None:
    """Write `message` (mail.OutgoingMail) to the outbox and the recipient's notifications, in the current
    transaction, and queue its delivery for after the commit (unless it waits for a digest or the recipient reads
    this category in the portal only)."""
    user = _user_by_email(message.to)
    if user is not None:
        forget_unread(user)
        db.session.add(
            Notification(
                user_id=user.id,
                category=category,
                subject=message.subject[:300],
                text=message.text,
                url=url if url and len(url) <= 500 else None,
            )
        )
    delivery = delivery_for(user, category)
    if delivery == Delivery.PORTAL_ONLY:
        db.session.flush()
        return None
    row = OutboxMessage(
        recipient=message.to,
        user_id=user.id if user is not None else None,
        template=template,
        category=category,
        locale=locale or "en",
        subject=message.subject[:300],
        text=message.text,
        html=message.html or "",
        status=(MessageStatus.HELD if delivery == Delivery.DIGEST else MessageStatus.QUEUED).value,
        attachments=[
            OutboxAttachment(filename=a.filename, content_type=a.content_type, data=a.data) for a in message.attachments
        ],
    )
    db.session.add(row)
    db.session.flush()
    if row.status == MessageStatus.QUEUED:
        queue(row)
    return row


def queue(row: OutboxMessage) -> None:
    from portal.notifications.tasks import deliver

    jobs.enqueue(db.session(), deliver, row.id)


def outgoing(row: OutboxMessage):
    from portal.core.mail import MailAttachment, OutgoingMail

    return OutgoingMail(
        to=row.recipient,
        subject=row.subject,
        text=row.text,
        html=row.html or None,
        attachments=[MailAttachment(a.filename, a.content_type, a.data) for a in row.attachments],
    )


def claim(message_id: int) -> OutboxMessage | None:
    """The queued message, locked against a second delivery of the same job running at the same time (PostgreSQL;
    SQLite serialises writers anyway). None when it is gone, already sent, or being sent by another worker."""
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.QUEUED.value)
        .with_for_update(skip_locked=True)
    )


def requeue_stalled(older_than_seconds: int) -> list[int]:
    """Queued messages older than the limit (the broker was down, or the worker died): queue them again."""
    limit = utcnow() - dt.timedelta(seconds=older_than_seconds)
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.QUEUED.value, OutboxMessage.created_at < limit)
        .order_by(OutboxMessage.id)
        .limit(500)
    ).all()
    for row in rows:
        queue(row)
    return [row.id for row in rows]


def claim_key(key: str) -> bool:
    """Record that the reminder (or digest) `key` is being sent; False when it already was, by this process or by
    another one at the same time (the unique key decides, inside a savepoint)."""
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(key=key[:200]))
    except IntegrityError:
        return False
    return True


# -- daily digest --------------------------------------------------------------------------------------------------


def send_digests(today: dt.date | None = None) -> int:
    """One e-mail per recipient with every message held for their digest; returns how many went out."""
    from portal.core.mail import render_html

    today = today or utcnow().date()
    held = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.HELD.value)
        .order_by(OutboxMessage.recipient, OutboxMessage.id)
    ).all()
    by_recipient: dict[str, list[OutboxMessage]] = {}
    for row in held:
        by_recipient.setdefault(row.recipient, []).append(row)
    sent = 0
    for recipient, rows in by_recipient.items():
        if not claim_key(f"digest:{recipient.lower()}:{today.isoformat()}"):
            continue
        user = db.session.get(User, rows[0].user_id) if rows[0].user_id else None
        locale = (user.locale if user else rows[0].locale) or "en"
        with force_locale(locale):
            from flask import render_template

            subject = render_template("emails/notifications_digest.subject.txt", count=len(rows)).strip()
            text = render_template("emails/notifications_digest.txt", messages=rows, user=user)
        digest = OutboxMessage(
            recipient=recipient,
            user_id=rows[0].user_id,
            template="notifications_digest",
            category="digest",
            locale=locale,
            subject=subject[:300],
            text=text,
            html=render_html(subject, text, locale),
            status=MessageStatus.QUEUED.value,
        )
        db.session.add(digest)
        db.session.flush()
        for row in rows:
            row.status = MessageStatus.DIGESTED.value
            row.digest_id = digest.id
        queue(digest)
        sent += 1
    db.session.flush()
    return sent


# -- the user's side -----------------------------------------------------------------------------------------------


def preferences_of(user: User) -> dict[str, str]:
    rows = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    choices = dict.fromkeys(CATEGORIES, Delivery.INSTANT.value)
    choices.update({row.category: row.delivery for row in rows if row.category in CATEGORIES})
    return choices


def save_preferences(user: User, choices: dict[str, str]) -> None:
    before = preferences_of(user)
    existing = {
        row.category: row
        for row in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    for category in CATEGORIES:
        value = choices.get(category, Delivery.INSTANT.value)
        if value not in DELIVERY_LABELS:
            raise ValueError(f"unknown delivery {value!r}")
        row = existing.get(category)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, category=category, delivery=value))
        else:
            row.delivery = value
    db.session.flush()
    after = preferences_of(user)
    if after != before:
        audit.record("notifications.preferences_changed", user, actor=user, before=before, after=after)


def mark_all_read(user: User) -> int:
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
    forget_unread(user)
    db.session.flush()
    return len(rows)


def forget_unread(user: User) -> None:
    """The count read with the signed-in user no longer holds: count again when asked."""
    set_committed_value(user, "unread_at_load", None)


def unread_count(user: User) -> int:
    """The user's unread notifications: the count read with the signed-in user at the start of the request when it
    still holds (see `accounts.sessions.load_signed_in`), else counted now."""
    kept = user.unread_at_load
    if kept is not None:
        return kept
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
