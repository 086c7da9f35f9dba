"""Data integrity. The audit log is append-only in the database itself: a trigger refuses UPDATE, DELETE (and on PostgreSQL
TRUNCATE) of audit_entries whatever the role, and PUBLIC loses those privileges. The portal's own non-owner role is
set up as docs/reliability.md describes (scripts/ops/db_roles.sql). And payment tranches get a version column, so
that two managers changing the same tranche are told instead of overwriting each other.

Revision ID: 0018_audit_append_only
Revises: 0013_two_factor
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_audit_append_only"
down_revision = "0013_two_factor"
branch_labels = None
depends_on = None

MESSAGE = "audit_entries is append-only"

POSTGRES_UP = [
    f"""
    CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM PUBLIC",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_append_only()",
]
SQLITE_UP = [
    f"CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END",
    f"CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_entries_no_update",
    "DROP TRIGGER IF EXISTS audit_entries_no_delete",
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    raise NotImplementedError(f"No append-only rule for the {dialect} dialect")


def upgrade():
    for statement in _statements(up=True):
        op.execute(statement)
    with op.batch_alter_table("grant_tranches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version_id", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("grant_tranches", schema=None) as batch_op:
        batch_op.drop_column("version_id")
    for statement in _statements(up=False):
        op.execute(statement)
