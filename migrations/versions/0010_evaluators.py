"""Evaluator profiles (expertise, languages, countries, organisation and past employers, signed declaration) and the
reminders managers send evaluators.

Revision ID: 0010_evaluators
Revises: 0012_threads
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_evaluators"
down_revision = "0012_threads"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evaluator_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("past_employer_names", sa.JSON(), nullable=False),
        sa.Column("declaration_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declaration_version", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_evaluator_profiles_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_evaluator_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluator_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_evaluator_profiles_user_id")),
    )
    op.create_table(
        "evaluator_domains",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["jvap_domains.id"], name=op.f("fk_evaluator_domains_domain_id_jvap_domains"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["evaluator_profiles.id"],
            name=op.f("fk_evaluator_domains_profile_id_evaluator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", "domain_id", name=op.f("pk_evaluator_domains")),
    )
    op.create_table(
        "evaluator_past_employers",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_evaluator_past_employers_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["evaluator_profiles.id"],
            name=op.f("fk_evaluator_past_employers_profile_id_evaluator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", "organisation_id", name=op.f("pk_evaluator_past_employers")),
    )
    op.create_table(
        "evaluation_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluator_id"], ["users.id"], name=op.f("fk_evaluation_reminders_evaluator_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], name=op.f("fk_evaluation_reminders_sent_by_id_users")),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["evaluation_stages.id"],
            name=op.f("fk_evaluation_reminders_stage_id_evaluation_stages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_reminders")),
        sa.UniqueConstraint(
            "stage_id", "evaluator_id", "sent_on", name=op.f("uq_evaluation_reminders_stage_id_evaluator_id_sent_on")
        ),
    )
    with op.batch_alter_table("evaluation_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_reminders_evaluator_id"), ["evaluator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_reminders_stage_id"), ["stage_id"], unique=False)


def downgrade():
    with op.batch_alter_table("evaluation_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_reminders_stage_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_reminders_evaluator_id"))
    op.drop_table("evaluation_reminders")
    op.drop_table("evaluator_past_employers")
    op.drop_table("evaluator_domains")
    op.drop_table("evaluator_profiles")
