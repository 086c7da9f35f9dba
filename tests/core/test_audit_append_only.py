"""The audit log is append-only in the database: whatever the code does, an entry cannot be changed or deleted.
On PostgreSQL a trigger refuses it for every role, and a role without the owner's privileges is refused even before."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry, record


@pytest.fixture
def entry(session, make_user):
    user = make_user("manager")
    made = record("test.append_only", user, actor=user, before={"a": 1}, after={"a": 2})
    session.flush()
    return made


def _refused(session, statement) -> str:
    with pytest.raises(sa.exc.DBAPIError) as caught, session.begin_nested():
        session.execute(statement)
    return str(caught.value.orig)


def test_an_entry_cannot_be_updated(session, entry):
    message = _refused(session, sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(action="forged"))
    assert "audit_entries is append-only" in message and "UPDATE" in message
    session.expire_all()
    assert session.get(AuditEntry, entry.id).action == "test.append_only"


def test_an_entry_cannot_be_changed_through_the_orm(session, entry):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), session.begin_nested():
        entry.after = {"a": 3}
        session.flush()
    session.expire_all()
    assert session.get(AuditEntry, entry.id).after == {"a": 2}


def test_an_entry_cannot_be_deleted(session, entry):
    message = _refused(session, sa.delete(AuditEntry).where(AuditEntry.id == entry.id))
    assert "audit_entries is append-only" in message and "DELETE" in message
    assert session.get(AuditEntry, entry.id) is not None


def test_new_entries_are_still_added(session, entry):
    record("test.append_only", entry, after={"second": True})
    session.flush()
    count = session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "test.append_only"))
    assert count == 2


def _postgres(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def test_truncate_is_refused_on_postgresql(session, entry):
    if not _postgres(session):
        pytest.skip("TRUNCATE is PostgreSQL's (runs under CI)")
    message = _refused(session, sa.text("TRUNCATE audit_entries CASCADE"))
    assert "TRUNCATE" in message


def test_a_non_owner_role_has_no_update_or_delete_privilege_on_postgresql(session, entry):
    """The production set-up of docs/reliability.md: the portal runs as a role that is granted what it needs on every
    table, then loses UPDATE and DELETE on audit_entries. Refused by privileges, before any trigger runs."""
    if not _postgres(session):
        pytest.skip("roles are PostgreSQL's (runs under CI)")
    role = f"portal_app_{uuid.uuid4().hex[:8]}"
    session.execute(sa.text(f"CREATE ROLE {role} NOLOGIN"))
    session.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
    session.execute(sa.text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    session.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM {role}"))
    session.execute(sa.text(f"SET LOCAL ROLE {role}"))
    for statement in (
        sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(action="forged"),
        sa.delete(AuditEntry).where(AuditEntry.id == entry.id),
    ):
        assert "permission denied" in _refused(session, statement)
    # What the role may do: read the log and add to it.
    with session.begin_nested():
        record("test.append_only", entry, after={"by_role": role})
        session.flush()
    assert session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "test.append_only")) == 2
    session.execute(sa.text("RESET ROLE"))  # the role itself goes with the test's transaction (CREATE ROLE is one)
