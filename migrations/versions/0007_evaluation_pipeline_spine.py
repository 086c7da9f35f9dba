"""The evaluation pipeline's spine: every status of a proposal, stage kinds with a versioned pipeline, the
divergence gap, due date, blind mode and thread setting of a stage, per-criterion thresholds, reserve decisions.

Revision ID: 0007_evaluation_pipeline_spine
Revises: 0006_written_in_two_languages
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_evaluation_pipeline_spine"
down_revision = "0006_written_in_two_languages"
branch_labels = None
depends_on = None

STATUSES = (
    "draft",
    "submitted",
    "admissible",
    "not_admissible",
    "eligible",
    "not_eligible",
    "under_review",
    "shortlisted",
    "not_shortlisted",
    "invited",
    "full_application_submitted",
    "recommended",
    "reserve",
    "awarded",
    "rejected",
    "withdrawn",
)
OLD_STATUSES = ("draft", "submitted", "under_review", "invited", "awarded", "rejected", "withdrawn")
KINDS = ("administrative_check", "eligibility_check", "concept_note", "full_application", "moderation", "decision")


def upgrade():
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_proposals_status_known"), type_="check")
        batch_op.alter_column("status", existing_type=sa.String(length=20), type_=sa.String(length=30))
        batch_op.create_check_constraint(batch_op.f("ck_proposals_status_known"), f"status IN {STATUSES!r}")
    with op.batch_alter_table("evaluation_stages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pipeline_version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("divergence_percent", sa.Numeric(precision=5, scale=2), nullable=False, server_default="20")
        )
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("blind", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("evaluators_in_thread", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_constraint(batch_op.f("uq_evaluation_stages_call_id_position"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_evaluation_stages_call_id_pipeline_version_position"),
            ["call_id", "pipeline_version", "position"],
        )
        batch_op.create_check_constraint(batch_op.f("ck_evaluation_stages_kind_known"), f"kind IN {KINDS!r}")
        batch_op.create_check_constraint(
            batch_op.f("ck_evaluation_stages_divergence_range"), "divergence_percent >= 0 AND divergence_percent <= 100"
        )
    with op.batch_alter_table("criteria", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_score", sa.Numeric(precision=4, scale=1), nullable=True))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_decisions_outcome_known"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_decisions_outcome_known"), "outcome IN ('award', 'reserve', 'reject')"
        )


def downgrade():
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_decisions_outcome_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_decisions_outcome_known"), "outcome IN ('award', 'reject')")
    with op.batch_alter_table("criteria", schema=None) as batch_op:
        batch_op.drop_column("min_score")
    with op.batch_alter_table("evaluation_stages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_evaluation_stages_divergence_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_evaluation_stages_kind_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_evaluation_stages_call_id_pipeline_version_position"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_evaluation_stages_call_id_position"), ["call_id", "position"])
        batch_op.drop_column("evaluators_in_thread")
        batch_op.drop_column("blind")
        batch_op.drop_column("due_on")
        batch_op.drop_column("divergence_percent")
        batch_op.drop_column("pipeline_version")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_proposals_status_known"), type_="check")
        batch_op.alter_column("status", existing_type=sa.String(length=30), type_=sa.String(length=20))
        batch_op.create_check_constraint(batch_op.f("ck_proposals_status_known"), f"status IN {OLD_STATUSES!r}")
