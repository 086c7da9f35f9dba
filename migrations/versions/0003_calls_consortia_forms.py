"""Calls, consortia and the proposal form: the call's full rules, documents, attachment requirements,
clarifications and deadline changes; membership requests; consortium invitations; the proposal's sections,
budget, co-financing, attachments, two-stage link; submission receipts as documents.

Revision ID: 0003_calls_consortia_forms
Revises: 0002_reference_data
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_calls_consortia_forms'
down_revision = '0002_reference_data'
branch_labels = None
depends_on = None

STATUSES_BEFORE = ("draft", "submitted", "under_review", "awarded", "rejected", "withdrawn")
STATUSES_AFTER = ("draft", "submitted", "under_review", "invited", "awarded", "rejected", "withdrawn")


def upgrade():
    op.create_table('call_applicant_types',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('organisation_type', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_applicant_types_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'organisation_type', name=op.f('pk_call_applicant_types'))
    )
    op.create_table('call_attachment_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('statutes', 'registration', 'accounts', 'cv', 'support_letter', 'other')", name=op.f('ck_call_attachment_requirements_kind_known')),
    sa.CheckConstraint("stage IN ('concept_note', 'full_application', 'any')", name=op.f('ck_call_attachment_requirements_stage_known')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_attachment_requirements_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attachment_requirements'))
    )
    with op.batch_alter_table('call_attachment_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_attachment_requirements_call_id'), ['call_id'], unique=False)

    op.create_table('call_deadline_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.DateTime(timezone=True), nullable=False),
    sa.Column('new_value', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_deadline_changes_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_call_deadline_changes_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_deadline_changes'))
    )
    with op.batch_alter_table('call_deadline_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_deadline_changes_call_id'), ['call_id'], unique=False)

    op.create_table('call_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('guidelines', 'annex')", name=op.f('ck_call_documents_kind_known')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_documents_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_call_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_documents'))
    )
    with op.batch_alter_table('call_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_documents_call_id'), ['call_id'], unique=False)

    op.create_table('call_lead_countries',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_lead_countries_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'country_code', name=op.f('pk_call_lead_countries'))
    )
    op.create_table('call_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published_question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'published', 'dismissed')", name=op.f('ck_call_questions_status_known')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_call_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_call_questions_asked_by_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_questions_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_questions'))
    )
    with op.batch_alter_table('call_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_questions_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_questions_status'), ['status'], unique=False)

    op.create_table('call_themes',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_themes_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'theme', name=op.f('pk_call_themes'))
    )
    op.create_table('membership_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined')", name=op.f('ck_membership_requests_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_membership_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_membership_requests_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_membership_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_requests'))
    )
    with op.batch_alter_table('membership_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_requests_user_id'), ['user_id'], unique=False)

    op.create_table('cofinancing_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('secured', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_cofinancing_sources_amount_positive')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_cofinancing_sources_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cofinancing_sources'))
    )
    with op.batch_alter_table('cofinancing_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cofinancing_sources_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_dialogues',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], name=op.f('fk_proposal_dialogues_dialogue_id_dialogues')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_dialogues_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'dialogue_id', name=op.f('pk_proposal_dialogues'))
    )
    op.create_table('proposal_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_sections_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_proposal_sections_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_sections')),
    sa.UniqueConstraint('proposal_id', 'key', name=op.f('uq_proposal_sections_proposal_id_key'))
    )
    with op.batch_alter_table('proposal_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_sections_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("category IN ('human_resources', 'travel', 'equipment', 'local_office', 'other_services', 'sub_granting', 'indirect')", name=op.f('ck_budget_lines_category_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_budget_lines_quantity_positive')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_budget_lines_unit_cost_not_negative')),
    sa.ForeignKeyConstraint(['partner_id'], ['proposal_partners.id'], name=op.f('fk_budget_lines_partner_id_proposal_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_budget_lines_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines'))
    )
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_lines_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('requirement_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['proposal_partners.id'], name=op.f('fk_proposal_attachments_partner_id_proposal_partners'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_attachments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requirement_id'], ['call_attachment_requirements.id'], name=op.f('fk_proposal_attachments_requirement_id_call_attachment_requirements'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_proposal_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_attachments'))
    )
    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_attachments_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('procedure', sa.String(length=20), nullable=False, server_default='single'))
        batch_op.add_column(sa.Column('full_application_closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('questions_close_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('guidelines', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('min_duration_months', sa.Integer(), nullable=False, server_default='6'))
        batch_op.add_column(sa.Column('max_duration_months', sa.Integer(), nullable=False, server_default='36'))
        batch_op.add_column(sa.Column('min_cofinancing_pct', sa.Numeric(precision=5, scale=2), nullable=False, server_default='10.00'))
        batch_op.add_column(sa.Column('max_indirect_cost_pct', sa.Numeric(precision=5, scale=2), nullable=False, server_default='7.00'))
        batch_op.add_column(sa.Column('max_amount_change_pct', sa.Numeric(precision=5, scale=2), nullable=False, server_default='20.00'))
        batch_op.add_column(sa.Column('summary_word_limit', sa.Integer(), nullable=False, server_default='300'))
        batch_op.add_column(sa.Column('min_co_applicants', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('max_co_applicants', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('require_african_member', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('eu_lead_needs_african_co_applicant', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_check_constraint(op.f("ck_calls_procedure_known"), "procedure IN ('single', 'two_stage')")
        batch_op.create_check_constraint(
            op.f("ck_calls_full_after_concept"),
            "full_application_closes_at IS NULL OR full_application_closes_at > closes_at",
        )
        batch_op.create_check_constraint(
            op.f("ck_calls_durations"), "min_duration_months >= 1 AND min_duration_months <= max_duration_months"
        )
        batch_op.create_check_constraint(
            op.f("ck_calls_cofinancing_pct"), "min_cofinancing_pct >= 0 AND min_cofinancing_pct < 100"
        )
        batch_op.create_check_constraint(
            op.f("ck_calls_indirect_pct"), "max_indirect_cost_pct >= 0 AND max_indirect_cost_pct <= 100"
        )
        batch_op.create_check_constraint(op.f("ck_calls_amount_change_pct"), "max_amount_change_pct >= 0")
        batch_op.create_check_constraint(op.f("ck_calls_word_limit_positive"), "summary_word_limit > 0")
        batch_op.create_check_constraint(
            op.f("ck_calls_co_applicant_range"),
            "min_co_applicants >= 0 AND (max_co_applicants IS NULL OR max_co_applicants >= min_co_applicants)",
        )

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_snapshot_id'), ['snapshot_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_documents_kind_snapshot_id'), ['kind', 'snapshot_id'])
        batch_op.create_foreign_key(batch_op.f('fk_documents_snapshot_id_proposal_snapshots'), 'proposal_snapshots', ['snapshot_id'], ['id'])

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('legal_representative', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('legal_representative_title', sa.String(length=200), nullable=True))

    with op.batch_alter_table('proposal_countries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_pct', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_proposal_countries_share"), "share_pct IS NULL OR (share_pct > 0 AND share_pct <= 100)"
        )

    with op.batch_alter_table('proposal_partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='invited'))
        batch_op.add_column(sa.Column('invited_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('invited_name', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('invited_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('responded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('editable_sections', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_proposal_partners_responded_by_id_users'), 'users', ['responded_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_proposal_partners_invited_by_id_users'), 'users', ['invited_by_id'], ['id'])
        batch_op.create_check_constraint(
            op.f("ck_proposal_partners_status_known"), "status IN ('invited', 'accepted', 'declined')"
        )
        batch_op.create_check_constraint(
            op.f("ck_proposal_partners_who"), "organisation_id IS NOT NULL OR invited_email IS NOT NULL"
        )
    # Partners recorded before invitations existed had confirmed, or were still to confirm.
    op.execute("UPDATE proposal_partners SET status = 'accepted' WHERE confirmed_at IS NOT NULL")

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=False, server_default='full_application'))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('total_budget', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_proposals_parent_id'), ['parent_id'])
        batch_op.create_foreign_key(batch_op.f('fk_proposals_parent_id_proposals'), 'proposals', ['parent_id'], ['id'])
        batch_op.create_check_constraint(
            op.f("ck_proposals_stage_known"), "stage IN ('concept_note', 'full_application')"
        )
        batch_op.drop_constraint(op.f("ck_proposals_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_proposals_status_known"), f"status IN {STATUSES_AFTER!r}")



def downgrade():
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_proposals_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_proposals_status_known"), f"status IN {STATUSES_BEFORE!r}")
        batch_op.drop_constraint(op.f("ck_proposals_stage_known"), type_="check")
        batch_op.drop_constraint(batch_op.f('fk_proposals_parent_id_proposals'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_proposals_parent_id'), type_='unique')
        batch_op.drop_column('invited_at')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('total_budget')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('stage')

    op.execute("DELETE FROM proposal_partners WHERE organisation_id IS NULL")
    with op.batch_alter_table('proposal_partners', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_proposal_partners_who"), type_="check")
        batch_op.drop_constraint(op.f("ck_proposal_partners_status_known"), type_="check")
        batch_op.drop_constraint(batch_op.f('fk_proposal_partners_invited_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_proposal_partners_responded_by_id_users'), type_='foreignkey')
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('editable_sections')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('responded_by_id')
        batch_op.drop_column('responded_at')
        batch_op.drop_column('invited_by_id')
        batch_op.drop_column('invited_at')
        batch_op.drop_column('invited_name')
        batch_op.drop_column('invited_email')
        batch_op.drop_column('status')

    with op.batch_alter_table('proposal_countries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_proposal_countries_share"), type_="check")
        batch_op.drop_column('share_pct')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('legal_representative_title')
        batch_op.drop_column('legal_representative')
        batch_op.drop_column('phone')
        batch_op.drop_column('email')
        batch_op.drop_column('address')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_documents_snapshot_id_proposal_snapshots'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_documents_kind_snapshot_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_documents_snapshot_id'))
        batch_op.drop_column('snapshot_id')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        for name in ("procedure_known", "full_after_concept", "durations", "cofinancing_pct", "indirect_pct",
                     "amount_change_pct", "word_limit_positive", "co_applicant_range"):
            batch_op.drop_constraint(op.f(f"ck_calls_{name}"), type_="check")
        batch_op.drop_column('eu_lead_needs_african_co_applicant')
        batch_op.drop_column('require_african_member')
        batch_op.drop_column('max_co_applicants')
        batch_op.drop_column('min_co_applicants')
        batch_op.drop_column('summary_word_limit')
        batch_op.drop_column('max_amount_change_pct')
        batch_op.drop_column('max_indirect_cost_pct')
        batch_op.drop_column('min_cofinancing_pct')
        batch_op.drop_column('max_duration_months')
        batch_op.drop_column('min_duration_months')
        batch_op.drop_column('guidelines')
        batch_op.drop_column('questions_close_at')
        batch_op.drop_column('full_application_closes_at')
        batch_op.drop_column('procedure')

    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_attachments_proposal_id'))

    op.drop_table('proposal_attachments')
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_lines_proposal_id'))

    op.drop_table('budget_lines')
    with op.batch_alter_table('proposal_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_sections_proposal_id'))

    op.drop_table('proposal_sections')
    op.drop_table('proposal_dialogues')
    with op.batch_alter_table('cofinancing_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cofinancing_sources_proposal_id'))

    op.drop_table('cofinancing_sources')
    with op.batch_alter_table('membership_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_membership_requests_organisation_id'))

    op.drop_table('membership_requests')
    op.drop_table('call_themes')
    with op.batch_alter_table('call_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_questions_status'))
        batch_op.drop_index(batch_op.f('ix_call_questions_call_id'))

    op.drop_table('call_questions')
    op.drop_table('call_lead_countries')
    with op.batch_alter_table('call_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_documents_call_id'))

    op.drop_table('call_documents')
    with op.batch_alter_table('call_deadline_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_deadline_changes_call_id'))

    op.drop_table('call_deadline_changes')
    with op.batch_alter_table('call_attachment_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_attachment_requirements_call_id'))

    op.drop_table('call_attachment_requirements')
    op.drop_table('call_applicant_types')
