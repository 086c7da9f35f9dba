"""The one way the portal sends e-mail.

Messages are rendered in the recipient's language, in plain text and HTML, and written to the outbox
(portal.notifications) in the transaction that causes them; a Celery task delivers them after it commits, with
retries. Backends: `console` prints messages (make run), `memory` keeps them in a list (tests), `smtp` sends them
(production)."""

from __future__ import annotations

import logging
import re
import smtplib
import sys
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup, escape

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


def category_of(template: str) -> str:
    """The category a user chooses instant or digest e-mail for; account messages (invitations, password resets)
    are always sent at once."""
    area = template.split("_", 1)[0]
    if area in ("accounts", "organisations") or template == "consortia_invitation_email":
        return "account"
    return {"consortia": "proposals", "documents": "proposals"}.get(area, area)


# Written by hand rather than with a library: plain text we wrote ourselves becomes paragraphs with its links made
# clickable; markupsafe escapes everything else.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def text_to_html(text: str) -> Markup:
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        parts, last = [], 0
        for match in _URL.finditer(block):
            parts.append(escape(block[last : match.start()]))
            url = escape(match.group(0))
            parts.append(Markup('<a href="{0}">{0}</a>').format(url))
            last = match.end()
        parts.append(escape(block[last:]))
        paragraphs.append(Markup("<p>{}</p>").format(Markup("").join(parts).replace("\n", Markup("<br>\n"))))
    return Markup("\n").join(paragraphs)


def render_html(subject: str, text: str, locale: str) -> str:
    with force_locale(locale or "en"):
        return render_template("emails/_layout.html", subject=subject, body=text_to_html(text), locale=locale or "en")


def send(
    to: str,
    template: str,
    locale: str = "en",
    *,
    attachments: list[MailAttachment] | tuple[MailAttachment, ...] = (),
    **context,
) -> OutgoingMail:
    """Render now (while the data is at hand), in text and HTML, and write the message to the outbox in the current
    transaction; a Celery task delivers it once the transaction commits, with retries. A user who chose a daily
    digest for this category gets it in the next digest instead; every user also finds it in their notifications."""
    from portal.notifications import operations as notifications

    subject, text = render(template, locale, **context)
    html = render_html(subject, text, locale)
    message = OutgoingMail(to=to, subject=subject, text=text, html=html, attachments=list(attachments))
    notifications.post(
        message, template=template, category=category_of(template), locale=locale, url=context.get("url")
    )
    return message


def deliver_now(app, message: OutgoingMail) -> None:
    """Hand one message to the configured backend (the outbox's delivery task calls this)."""
    _deliver(app, message)


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
        if message.html:
            email.add_alternative(message.html, subtype="html")
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
