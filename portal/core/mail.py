"""The one way the portal sends e-mail.

Backends: `console` prints messages (make run), `memory` keeps them in a list (tests), `smtp` sends them
(production). Messages are rendered in the recipient's language and sent only after the transaction that
caused them commits."""

from __future__ import annotations

import logging
import smtplib
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale

from portal.core.jobs import after_commit
from portal.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with a message (a receipt's PDF): its name as the recipient sees it, its MIME type, its bytes."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[MailAttachment] = field(default_factory=list)


def outbox() -> list[OutgoingMail]:
    """Messages kept by the `memory` backend (tests read it)."""
    return current_app.extensions.setdefault("mail_outbox", [])


def render(template: str, locale: str, **context) -> tuple[str, str]:
    """Render `emails/<template>.txt` and its subject line (`emails/<template>.subject.txt`) in `locale`."""
    with force_locale(locale or "en"):
        subject = render_template(f"emails/{template}.subject.txt", **context).strip()
        text = render_template(f"emails/{template}.txt", **context)
    return subject, text


def send(
    to: str,
    template: str,
    locale: str = "en",
    *,
    attachments: list[MailAttachment] | tuple[MailAttachment, ...] = (),
    **context,
) -> OutgoingMail:
    """Render now (while the data is at hand) and deliver once the current transaction commits, with the
    `attachments` (MailAttachment) if any."""
    subject, text = render(template, locale, **context)
    message = OutgoingMail(to=to, subject=subject, text=text, attachments=list(attachments))
    app = current_app._get_current_object()
    after_commit(db.session(), lambda: _deliver(app, message))
    return message


def _deliver(app, message: OutgoingMail) -> None:
    backend = app.config["MAIL_BACKEND"]
    if backend == "memory":
        app.extensions.setdefault("mail_outbox", []).append(message)
    elif backend == "console":
        print(
            f"\n----- e-mail to {message.to} -----\nSubject: {message.subject}\n\n{message.text}\n"
            + "".join(f"[attached: {a.filename} ({a.content_type}, {a.size} bytes)]\n" for a in message.attachments)
            + "----- end of e-mail -----",
            file=sys.stdout,
            flush=True,
        )
    elif backend == "smtp":
        email = EmailMessage()
        email["From"] = app.config["MAIL_DEFAULT_SENDER"]
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.text)
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            email.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=30) as smtp:
            if app.config["MAIL_USE_TLS"]:
                smtp.starttls()
            if app.config["MAIL_USERNAME"]:
                smtp.login(app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
            smtp.send_message(email)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")
    log.info("mail sent to %s: %s", message.to, message.subject)
