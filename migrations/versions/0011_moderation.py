"""Moderation: a moderator's consensus scores and comments per criterion, with a written justification; earlier
consensus records are kept (replaced_at) rather than overwritten.

Revision ID: 0011_moderation
Revises: 0009_pipeline_checks
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_moderation"
down_revision = "0009_pipeline_checks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "moderations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["moderator_id"], ["users.id"], name=op.f("fk_moderations_moderator_id_users")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name=op.f("fk_moderations_proposal_id_proposals")),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["evaluation_stages.id"], name=op.f("fk_moderations_stage_id_evaluation_stages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderations")),
    )
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderations_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moderations_stage_id"), ["stage_id"], unique=False)
        batch_op.create_index(
            "uq_moderations_current",
            ["stage_id", "proposal_id"],
            unique=True,
            postgresql_where=sa.text("replaced_at IS NULL"),
            sqlite_where=sa.text("replaced_at IS NULL"),
        )
    op.create_table(
        "moderation_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderation_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"], ["criteria.id"], name=op.f("fk_moderation_scores_criterion_id_criteria")
        ),
        sa.ForeignKeyConstraint(
            ["moderation_id"],
            ["moderations.id"],
            name=op.f("fk_moderation_scores_moderation_id_moderations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_scores")),
        sa.UniqueConstraint(
            "moderation_id", "criterion_id", name=op.f("uq_moderation_scores_moderation_id_criterion_id")
        ),
    )
    with op.batch_alter_table("moderation_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderation_scores_moderation_id"), ["moderation_id"], unique=False)


def downgrade():
    with op.batch_alter_table("moderation_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_scores_moderation_id"))
    op.drop_table("moderation_scores")
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.drop_index("uq_moderations_current")
        batch_op.drop_index(batch_op.f("ix_moderations_stage_id"))
        batch_op.drop_index(batch_op.f("ix_moderations_proposal_id"))
    op.drop_table("moderations")
