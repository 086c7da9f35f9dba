"""A proposal's internal discussion and the clarifications asked of its applicants.

Revision ID: 0012_threads
Revises: 0014_notifications
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_threads"
down_revision = "0014_notifications"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "thread_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(body) > 0", name=op.f("ck_thread_messages_body_not_empty")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_thread_messages_author_id_users")),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_thread_messages_proposal_id_proposals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_messages")),
    )
    with op.batch_alter_table("thread_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_messages_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "clarification_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_late", sa.Boolean(), nullable=False),
        sa.Column("attachment_key", sa.String(length=200), nullable=True),
        sa.Column("attachment_name", sa.String(length=255), nullable=True),
        sa.Column("attachment_content_type", sa.String(length=100), nullable=True),
        sa.Column("attachment_size", sa.Integer(), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'cancelled')", name=op.f("ck_clarification_requests_status_known")
        ),
        sa.CheckConstraint(
            "status != 'answered' OR answered_at IS NOT NULL", name=op.f("ck_clarification_requests_answered_when")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_clarification_requests_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(["asked_by_id"], ["users.id"], name=op.f("fk_clarification_requests_asked_by_id_users")),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["users.id"], name=op.f("fk_clarification_requests_cancelled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_clarification_requests_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarification_requests")),
    )
    with op.batch_alter_table("clarification_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clarification_requests_proposal_id"), ["proposal_id"], unique=False)


def downgrade():
    with op.batch_alter_table("clarification_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clarification_requests_proposal_id"))
    op.drop_table("clarification_requests")
    with op.batch_alter_table("thread_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_messages_proposal_id"))
    op.drop_table("thread_messages")
