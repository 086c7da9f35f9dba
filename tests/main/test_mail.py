"""The one mail module: rendered in the recipient's language, delivered only after commit, and over real SMTP
when configured."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from portal.core import mail
from portal.extensions import db


class Recorder(Sink):
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


def _send_reset(app, user, locale="en"):
    with app.test_request_context():
        mail.send(user.email, "accounts_password_reset", locale, user=user, link="https://portal.example/x", minutes=60)
    return user


def test_mail_waits_for_the_commit_and_is_dropped_on_rollback(app, make_user, outbox):
    user = make_user(email="reset@ngo.example")
    _send_reset(app, user)
    assert outbox == []
    db.session.rollback()
    db.session.commit()
    assert outbox == []
    _send_reset(app, user)
    db.session.commit()
    assert [m.to for m in outbox] == ["reset@ngo.example"]


def test_mail_goes_out_over_smtp(app, make_user, smtp_server, monkeypatch):
    port, recorder = smtp_server
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    _send_reset(app, make_user(email="reset@ngo.example", locale="fr"), locale="fr")
    db.session.commit()
    assert len(recorder.messages) == 1
    envelope = recorder.messages[0]
    assert envelope.rcpt_tos == ["reset@ngo.example"]
    message = message_from_bytes(envelope.content, policy=default)
    assert message["To"] == "reset@ngo.example"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "https://portal.example/x" in body
    assert body.startswith("Bonjour")  # in the recipient's language
    # The same message in HTML, for mail programs that show it: escaped text, links made clickable.
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fr">' in html
    assert '<a href="https://portal.example/x">https://portal.example/x</a>' in html
    assert "<p>Bonjour" in html
