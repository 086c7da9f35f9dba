"""The unread count in every page's header is read by the statement that loads the signed-in user (with their
memberships), not by statements of its own; it stays right when notifications change during the request."""

from __future__ import annotations

import re

from flask_login import login_user
from sqlalchemy import select

from portal.accounts.sessions import load_signed_in
from portal.core import mail
from portal.core.querycount import counting
from portal.extensions import db
from portal.notifications import operations
from portal.notifications.models import Notification


def _notify(user, n: int) -> None:
    for i in range(n):
        db.session.add(Notification(user_id=user.id, category="proposals", subject=f"Message {i}", text="Text"))


def _badge(page: str) -> int:
    found = re.search(r'class="badge badge-active">(\d+)<span class="visually-hidden"> unread', page)
    return int(found.group(1)) if found else 0


def test_the_header_counts_unread_notifications_without_a_statement_of_its_own(app, client, login, make_user):
    user = make_user(email="reader@ngo.example")
    _notify(user, 3)
    db.session.commit()
    login(client, user)
    with counting(keep_statements=True) as queries:
        page = client.get("/account/notifications").get_data(as_text=True)
    assert _badge(page) == 3
    statements = [" ".join(s.split()) for s, _params in queries.statements]
    assert sum("FROM notifications" in s for s in statements) == 1, statements
    assert not any(s.startswith("SELECT memberships.") for s in statements), statements
    loader = next(s for s in statements if "FROM notifications" in s)
    assert "FROM users" in loader and "memberships" in loader


def test_reading_them_all_empties_the_count_on_the_next_page(app, client, login, make_user):
    user = make_user(email="reader2@ngo.example")
    _notify(user, 2)
    db.session.commit()
    login(client, user)
    assert _badge(client.get("/account/notifications").get_data(as_text=True)) == 2
    page = client.post("/notifications/read", follow_redirects=True).get_data(as_text=True)
    assert _badge(page) == 0


def test_a_change_during_the_request_is_counted_again(app, make_user):
    user = make_user(email="reader3@ngo.example")
    _notify(user, 1)
    db.session.commit()
    user_id = user.id
    with app.test_request_context("/"):
        db.session.expunge_all()
        signed_in = load_signed_in(user_id)
        login_user(signed_in)
        assert signed_in.unread_at_load == 1
        assert operations.unread_count(signed_in) == 1
        # A message to the signed-in person in this request (a receipt, say): counted, not the number read before.
        mail.send(signed_in.email, "accounts_password_reset", "en", user=signed_in, link="https://p.example", minutes=5)
        assert signed_in.unread_at_load is None
        assert operations.unread_count(signed_in) == 2
        operations.mark_all_read(signed_in)
        assert operations.unread_count(signed_in) == 0
        db.session.rollback()


def test_the_loaded_count_is_forgotten_at_commit(app, make_user):
    user = make_user(email="reader4@ngo.example")
    db.session.commit()
    user_id = user.id
    db.session.expunge_all()
    signed_in = load_signed_in(user_id)
    assert signed_in.unread_at_load == 0 and [m.organisation_id for m in signed_in.memberships] == []
    _notify(signed_in, 2)
    db.session.commit()
    assert signed_in.unread_at_load is None
    assert operations.unread_count(signed_in) == 2


def test_an_unknown_user_id_loads_nobody(app):
    assert load_signed_in(987654321) is None
    assert db.session.scalar(select(Notification).limit(1)) is None
