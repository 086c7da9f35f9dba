"""Each proposal follows the version of its call's evaluation pipeline that was current at its first submission.

Revision ID: 0008_pipeline_pin
Revises: 0007_evaluation_pipeline_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_pipeline_pin"
down_revision = "0007_evaluation_pipeline_spine"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pipeline_version", sa.Integer(), nullable=True))
    # Every call had a single pipeline version until now: pin what has been submitted to it.
    op.execute("UPDATE proposals SET pipeline_version = 1 WHERE submitted_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_column("pipeline_version")
