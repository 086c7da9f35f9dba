"""The outbox: every e-mail is written in the transaction that causes it, delivered by a task after the commit
(text and HTML), retried on transient errors, sent once however often its job runs, and kept in the recipient's
notifications whatever their e-mail choice."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import select

from portal.core import mail
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.notifications import operations, tasks
from portal.notifications.models import MessageStatus, Notification, OutboxMessage


def _send(app, user, template="accounts_password_reset", **context):
    context = {"user": user, "link": "https://portal.example/reset", "minutes": 60, **context}
    with app.test_request_context():
        mail.send(user.email, template, user.locale, **context)


def _rows(recipient):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)).all()


def test_a_message_is_stored_then_delivered_after_commit_in_text_and_html(app, make_user, outbox):
    user = make_user(email="amina@ngo.example", locale="fr")
    _send(app, user)
    row = _rows("amina@ngo.example")[0]
    assert row.status == MessageStatus.QUEUED and outbox == []
    db.session.commit()
    db.session.refresh(row)
    assert row.status == MessageStatus.SENT and row.attempts == 1 and row.sent_at is not None
    assert [m.to for m in outbox] == ["amina@ngo.example"]
    assert outbox[0].text.startswith("Bonjour")
    assert '<a href="https://portal.example/reset">' in outbox[0].html
    assert '<html lang="fr">' in outbox[0].html


def test_html_escapes_what_it_is_given(app):
    html = str(mail.text_to_html("Title <script>alert(1)</script>\n\nSee https://a.example/x?y=1&z=2."))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://a.example/x?y=1&amp;z=2">' in html


def test_a_rolled_back_action_writes_and_sends_nothing(app, make_user, outbox):
    user = make_user(email="gone@ngo.example")
    db.session.commit()
    _send(app, user)
    db.session.rollback()
    db.session.commit()
    assert _rows("gone@ngo.example") == [] and outbox == []


def test_every_message_is_in_the_users_notifications(app, make_user, client, login):
    user = make_user(email="n@ngo.example")
    _send(app, user, "evaluation_assigned", evaluator=user, proposal=_Ref(), call=_Ref(), url="https://p.example/a")
    db.session.commit()
    notification = db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert notification.category == "evaluation" and notification.read_at is None
    login(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    assert notification.subject in page and "https://p.example/a" in page
    assert client.post("/notifications/read").status_code == 302
    db.session.refresh(notification)
    assert notification.read_at is not None


class _Ref:
    reference = "CFP-1-001"
    title = "A call"


class _FlakySmtp:
    """Fails `failures` times with a transient error, then delivers."""

    def __init__(self, failures):
        self.failures, self.delivered = failures, []

    def __call__(self, app, message):
        if self.failures:
            self.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.delivered.append(message.to)


def test_a_transient_failure_is_retried_until_it_goes(app, make_user, monkeypatch):
    flaky = _FlakySmtp(failures=2)
    monkeypatch.setattr(mail, "deliver_now", flaky)
    user = make_user(email="retry@ngo.example")
    _send(app, user)
    db.session.commit()
    row = _rows("retry@ngo.example")[0]
    db.session.refresh(row)
    assert flaky.delivered == ["retry@ngo.example"]
    assert row.status == MessageStatus.SENT and row.attempts == 3 and row.error is None


def test_a_message_that_keeps_failing_is_marked_failed_with_the_reason_and_can_be_sent_again(
    app, make_user, monkeypatch, client, login
):
    flaky = _FlakySmtp(failures=tasks.MAX_RETRIES + 1)
    monkeypatch.setattr(mail, "deliver_now", flaky)
    user = make_user(email="down@ngo.example")
    _send(app, user)
    db.session.commit()
    row = _rows("down@ngo.example")[0]
    db.session.refresh(row)
    assert row.status == MessageStatus.FAILED and row.attempts == tasks.MAX_RETRIES + 1
    assert "Connection unexpectedly closed" in row.error
    assert flaky.delivered == []

    admin = make_user("admin")
    login(client, admin)
    page = client.get(f"/admin/outbox/{row.id}").get_data(as_text=True)
    assert "Connection unexpectedly closed" in page and "Send it again" in page
    assert client.post(f"/admin/outbox/{row.id}/retry").status_code == 302
    db.session.refresh(row)
    assert row.status == MessageStatus.SENT and flaky.delivered == ["down@ngo.example"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.retry")).actor_id == admin.id


def test_the_same_job_delivered_twice_sends_one_e_mail(app, make_user, outbox):
    user = make_user(email="twice@ngo.example")
    _send(app, user)
    db.session.commit()
    row = _rows("twice@ngo.example")[0]
    assert tasks.deliver.apply(args=[row.id]).get() is None  # already sent: left alone
    assert len(outbox) == 1


def test_the_sweep_requeues_messages_whose_job_never_ran(app, make_user, outbox, monkeypatch):
    monkeypatch.setattr(operations, "queue", lambda row: None)  # the broker was down: nothing was queued
    user = make_user(email="later@ngo.example")
    _send(app, user)
    db.session.commit()
    assert outbox == []
    monkeypatch.undo()
    ids = operations.requeue_stalled(older_than_seconds=-1)
    db.session.commit()
    assert ids == [_rows("later@ngo.example")[0].id]
    assert [m.to for m in outbox] == ["later@ngo.example"]


@pytest.mark.parametrize("delivery", ["digest", "portal"])
def test_a_user_choice_holds_or_skips_the_e_mail_but_never_the_notification(app, make_user, outbox, delivery):
    user = make_user(email=f"{delivery}@ngo.example")
    operations.save_preferences(user, {"evaluation": delivery})
    db.session.commit()
    _send(app, user, "evaluation_assigned", evaluator=user, proposal=_Ref(), call=_Ref(), url="https://p.example/a")
    db.session.commit()
    assert outbox == []
    assert db.session.scalar(select(Notification).where(Notification.user_id == user.id)) is not None
    rows = _rows(user.email)
    assert [r.status for r in rows] == (["held"] if delivery == "digest" else [])


def test_account_messages_are_always_sent_at_once(app, make_user, outbox):
    user = make_user(email="acct@ngo.example")
    operations.save_preferences(user, dict.fromkeys(operations.CATEGORIES, "portal"))
    db.session.commit()
    _send(app, user)
    db.session.commit()
    assert [m.to for m in outbox] == ["acct@ngo.example"]


def test_the_daily_digest_gathers_held_messages_once_a_day(app, make_user, outbox):
    user = make_user(email="digest@ngo.example", locale="fr")
    operations.save_preferences(user, {"evaluation": "digest"})
    db.session.commit()
    for reference in ("CFP-1-001", "CFP-1-002"):
        proposal = type("P", (), {"reference": reference, "title": "T"})()
        _send(app, user, "evaluation_assigned", evaluator=user, proposal=proposal, call=_Ref(), url="https://p/x")
    db.session.commit()
    with app.test_request_context():
        assert operations.send_digests() == 1
        db.session.commit()
        assert operations.send_digests() == 0  # a second beat, or a second run the same day
        db.session.commit()
    assert len(outbox) == 1
    digest = outbox[0]
    assert "CFP-1-001" in digest.text and "CFP-1-002" in digest.text
    assert digest.subject == "Votre résumé quotidien\u202f: 2 messages"
    assert {r.status for r in _rows(user.email) if r.template != "notifications_digest"} == {"digested"}


def test_preferences_page_saves_the_choice_and_audits_it(app, make_user, client, login):
    user = make_user(email="prefs@ngo.example")
    login(client, user)
    assert "Notification settings" in client.get("/account/notifications").get_data(as_text=True)
    data = dict.fromkeys(operations.CATEGORIES, "instant") | {"reminders": "digest"}
    assert client.post("/account/notifications", data=data).status_code == 302
    assert operations.preferences_of(user)["reminders"] == "digest"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "notifications.preferences_changed"))
    assert entry.after["reminders"] == "digest"
    # An unknown choice is refused with a message, and nothing changes.
    response = client.post("/account/notifications", data=data | {"reminders": "pigeon"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert operations.preferences_of(user)["reminders"] == "digest"


def test_the_outbox_lists_messages_for_administrators(app, make_user, client, login):
    user = make_user(email="listed@ngo.example")
    _send(app, user)
    db.session.commit()
    login(client, make_user("admin"))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "listed@ngo.example" in page
    row = _rows("listed@ngo.example")[0]
    html = client.get(f"/admin/outbox/{row.id}/html")
    assert html.headers["Content-Security-Policy"].startswith("sandbox")
    assert "https://portal.example/reset" in html.get_data(as_text=True)


def test_a_message_with_an_attachment_shows_its_name_and_size_to_administrators(app, make_user, client, login):
    user = make_user(email="receipt@ngo.example")
    with app.test_request_context():
        mail.send(
            user.email,
            "accounts_password_reset",
            "en",
            attachments=[mail.MailAttachment("receipt.pdf", "application/pdf", b"%PDF-1.7 " * 300)],
            user=user,
            link="https://portal.example/reset",
            minutes=60,
        )
    db.session.commit()
    login(client, make_user("admin"))
    response = client.get(f"/admin/outbox/{_rows('receipt@ngo.example')[0].id}")
    assert response.status_code == 200
    assert "receipt.pdf (2.6 KB)" in response.get_data(as_text=True)
