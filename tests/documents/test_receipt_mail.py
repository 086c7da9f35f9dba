"""Mail with attachments (a receipt's PDF): kept by the memory backend, printed by name by the console backend, and
sent as a MIME part over SMTP."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from portal.core import mail
from portal.extensions import db
from tests.main.test_mail import smtp_server  # noqa: F401 - the fixture

PDF = b"%PDF-1.7\n% a receipt\n"


def _send(app, user):
    with app.test_request_context():
        mail.send(
            user.email,
            "accounts_password_reset",
            "en",
            attachments=[mail.MailAttachment("receipt.pdf", "application/pdf", PDF)],
            user=user,
            link="https://portal.example/x",
            minutes=60,
        )
    db.session.commit()


def test_the_memory_backend_keeps_the_attachment(app, make_user, outbox):
    _send(app, make_user(email="lead@ngo.example"))
    assert [(a.filename, a.content_type, a.data) for a in outbox[0].attachments] == [
        ("receipt.pdf", "application/pdf", PDF)
    ]


def test_the_console_backend_names_the_attachment(app, make_user, monkeypatch, capsys):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    _send(app, make_user(email="lead@ngo.example"))
    out = capsys.readouterr().out
    assert "[attached: receipt.pdf (application/pdf, 21 bytes)]" in out
    assert "%PDF" not in out


def test_smtp_sends_the_attachment_as_a_mime_part(app, make_user, smtp_server, monkeypatch):  # noqa: F811
    port, recorder = smtp_server
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    _send(app, make_user(email="lead@ngo.example"))
    assert len(recorder.messages) == 1
    message = message_from_bytes(recorder.messages[0].content, policy=default)
    assert message["To"] == "lead@ngo.example"
    parts = list(message.iter_attachments())
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [("receipt.pdf", "application/pdf")]
    assert parts[0].get_content() == PDF
    assert "choose a new password" in message.get_body(preferencelist=("plain",)).get_content()
