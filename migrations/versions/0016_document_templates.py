"""Document templates edited in the portal (versions, one active per kind), decision letters (rejection,
reserve list) tied to their decision, and a grant's special conditions printed in its award letter.

Revision ID: 0016_document_templates
Revises: 0018_audit_append_only
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_document_templates"
down_revision = "0018_audit_append_only"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("css", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_document_templates_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_templates")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_document_templates_kind_version")),
    )
    op.create_index(
        "uq_document_templates_one_active",
        "document_templates",
        ["kind"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_documents_decision_id_decisions"), "decisions", ["decision_id"], ["id"])
        batch.create_index(op.f("ix_documents_decision_id"), ["decision_id"], unique=False)
        batch.create_unique_constraint(op.f("uq_documents_kind_decision_id_version"), ["kind", "decision_id", "version"])
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("special_conditions", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("special_conditions")
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(op.f("uq_documents_kind_decision_id_version"), type_="unique")
        batch.drop_index(op.f("ix_documents_decision_id"))
        batch.drop_constraint(op.f("fk_documents_decision_id_decisions"), type_="foreignkey")
        batch.drop_column("decision_id")
    op.drop_index("uq_document_templates_one_active", table_name="document_templates")
    op.drop_table("document_templates")
