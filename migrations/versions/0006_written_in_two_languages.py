"""Texts written in several languages: the language a call is written in, and its texts (and its published
clarifications) in the other languages of the portal.

Revision ID: 0006_written_in_two_languages
Revises: 0005_issue5_portfolio
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_written_in_two_languages"
down_revision = "0005_issue5_portfolio"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("call_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("call_questions", schema=None) as batch_op:
        batch_op.drop_column("translations")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("language")
