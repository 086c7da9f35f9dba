"""The committee's ranked list as a generated document: tied to its call and evaluation stage, versioned, with the
fingerprint of the ranking it prints (asking again for an unchanged ranking makes no new version).

Revision ID: 0020_documents_more
Revises: 0019_account_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_documents_more"
down_revision = "0019_account_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("call_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("stage_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source_digest", sa.String(length=64), nullable=True))
        batch.create_foreign_key(op.f("fk_documents_call_id_calls"), "calls", ["call_id"], ["id"])
        batch.create_foreign_key(op.f("fk_documents_stage_id_evaluation_stages"), "evaluation_stages", ["stage_id"], ["id"])
        batch.create_index(op.f("ix_documents_call_id"), ["call_id"], unique=False)
        batch.create_unique_constraint(
            op.f("uq_documents_kind_call_id_stage_id_version"), ["kind", "call_id", "stage_id", "version"]
        )


def downgrade():
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(op.f("uq_documents_kind_call_id_stage_id_version"), type_="unique")
        batch.drop_index(op.f("ix_documents_call_id"))
        batch.drop_constraint(op.f("fk_documents_stage_id_evaluation_stages"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_documents_call_id_calls"), type_="foreignkey")
        batch.drop_column("source_digest")
        batch.drop_column("stage_id")
        batch.drop_column("call_id")
