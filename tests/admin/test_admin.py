from __future__ import annotations

import datetime as dt
import re

from portal.core.audit import AuditEntry, record
from portal.core.db import utcnow
from portal.extensions import db
from tests.accounts.helpers import text_of


def _rows(response) -> int:
    body = response.get_data(as_text=True)
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return len(re.findall(r"<tr>", tbody))


def test_users_lists_users_filters_by_role_and_shows_pending_invitations(client, make_user, login):
    admin = make_user("admin")
    make_user("evaluator", email="eva@eval.example")
    make_user("applicant", email="app@ngo.example")
    login(client, admin)
    client.post("/admin/invitations/new", data={"email": "invited@eval.example", "role": "manager"})

    page = text_of(client.get("/admin/users"))
    assert "eva@eval.example" in page
    assert "app@ngo.example" in page
    assert "Pending invitations" in page
    assert "invited@eval.example" in page
    assert "Programme manager" in page

    evaluators = text_of(client.get("/admin/users?role=evaluator"))
    assert "eva@eval.example" in evaluators
    assert "app@ngo.example" not in evaluators
    assert "invited@eval.example" not in evaluators  # a manager invitation


def test_invite_page(client, make_user, login):
    login(client, make_user("admin"))
    response = client.get("/admin/invitations/new")
    assert response.status_code == 200
    page = text_of(response)
    assert '<option value="evaluator">Evaluator</option>' in page
    assert '<option value="manager">Programme manager</option>' in page
    assert 'value="admin"' not in page
    missing = text_of(client.post("/admin/invitations/new", data={"email": "", "role": "evaluator"}))
    assert "Enter an e-mail address." in missing


def test_audit_log_newest_first_with_details(client, make_user, login, session):
    manager = make_user("manager", email="boss@facility.example")
    target = make_user(email="someone@ngo.example")
    old = record("user.update", target, actor=manager, before={"full_name": "A"}, after={"full_name": "B"})
    old.created_at = utcnow() - dt.timedelta(days=1)
    record("organisation.update", target, actor=manager, before={"legal_name": "Old"}, after={"legal_name": "New"})
    session.commit()
    login(client, manager)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    page = text_of(response)
    assert page.index("organisation.update") < page.index("user.update")
    assert '{"full_name": "A"}' in page
    assert '{"legal_name": "New"}' in page
    assert "boss@facility.example" in page


def test_audit_log_filters(client, make_user, login, session):
    manager = make_user("manager", email="boss@facility.example")
    other = make_user("admin", email="root@facility.example")
    target = make_user(email="someone@ngo.example")
    record("user.update", target, actor=manager, after={"n": 1})
    record("user.password_change", target, actor=other)
    record("organisation.update", target, actor=other)
    record("call.publish", target, actor=None)
    session.commit()
    login(client, manager)

    by_prefix = text_of(client.get("/admin/audit?action=user."))
    assert "user.update" in by_prefix
    assert "user.password_change" in by_prefix
    assert "organisation.update" not in by_prefix

    # the prefix is taken literally: "_" is not a wildcard
    assert "user.password_change" not in text_of(client.get("/admin/audit?action=user_"))

    by_actor = text_of(client.get("/admin/audit?actor=ROOT@"))
    assert "user.password_change" in by_actor
    assert "organisation.update" in by_actor
    assert "user.update" not in by_actor

    by_type = client.get("/admin/audit?object_type=nothing-such")
    assert "No entry matches." in text_of(by_type)


def test_audit_log_paginates_by_50(client, make_user, login, session):
    manager = make_user("manager")
    for i in range(55):
        record("test.entry", manager, actor=manager, after={"i": i})
    session.commit()
    login(client, manager)
    first = client.get("/admin/audit?action=test.")
    assert _rows(first) == 50
    assert "Page 1 of 2" in text_of(first)
    assert "page=2" in text_of(first)
    second = client.get("/admin/audit?action=test.&page=2")
    assert _rows(second) == 5
    assert '{"i": 0}' in text_of(second)  # the oldest ones come last
    assert '{"i": 54}' in text_of(first)


def test_audit_log_has_no_way_to_change_entries(app):
    rules = sorted(
        (r.rule, sorted(r.methods - {"HEAD", "OPTIONS"}))
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/admin/audit")
    )
    assert rules == [
        ("/admin/audit", ["GET"]),
        ("/admin/audit/export.csv", ["GET"]),
        ("/admin/audit/export.xlsx", ["GET"]),
    ]


def test_audit_log_page_query_count_does_not_grow(client, make_user, login, session, app):
    from sqlalchemy import event

    manager = make_user("manager")
    login(client, manager)

    def count(n):
        for i in range(n):
            record("count.entry", manager, actor=manager, after={"i": i})
        session.commit()
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", before)
        try:
            client.get("/admin/audit")
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(statements)

    few = count(2)
    assert few > 0
    assert count(20) == few
    assert session.query(AuditEntry).count() >= 22
