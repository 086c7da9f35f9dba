"""Grant tracking: the payment schedule (tranches), reporting milestones and their files, amendments, the grant's
dialogues and JVAP domains, co-financing and actual dates; personal API tokens.

Revision ID: 0004_grant_tracking
Revises: 0003_calls_consortia_forms
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_grant_tracking'
down_revision = '0003_calls_consortia_forms'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_api_tokens_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('grant_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=False),
    sa.Column('terms_before', sa.JSON(), nullable=True),
    sa.Column('terms_after', sa.JSON(), nullable=True),
    sa.Column('terms_version', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('no_cost_extension', 'budget_reallocation', 'partner_change')", name=op.f('ck_grant_amendments_kind_known')),
    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_grant_amendments_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_grant_amendments_decided_by_id_users')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_amendments_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_grant_amendments_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_amendments')),
    sa.UniqueConstraint('grant_id', 'number', name=op.f('uq_grant_amendments_grant_id_number'))
    )
    with op.batch_alter_table('grant_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_amendments_grant_id'), ['grant_id'], unique=False)

    op.create_table('grant_dialogues',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], name=op.f('fk_grant_dialogues_dialogue_id_dialogues')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_dialogues_grant_id_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grant_id', 'dialogue_id', name=op.f('pk_grant_dialogues'))
    )
    with op.batch_alter_table('grant_dialogues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_dialogues_dialogue_id'), ['dialogue_id'], unique=False)

    op.create_table('grant_domains',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['jvap_domains.id'], name=op.f('fk_grant_domains_domain_id_jvap_domains')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_domains_grant_id_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grant_id', 'domain_id', name=op.f('pk_grant_domains'))
    )
    with op.batch_alter_table('grant_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_domains_domain_id'), ['domain_id'], unique=False)

    op.create_table('grant_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("period IN ('interim', 'final')", name=op.f('ck_grant_reports_period_known')),
    sa.CheckConstraint("status IN ('due', 'submitted', 'changes_requested', 'approved')", name=op.f('ck_grant_reports_status_known')),
    sa.CheckConstraint("type IN ('narrative', 'financial')", name=op.f('ck_grant_reports_type_known')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_reports_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_grant_reports_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_reports'))
    )
    with op.batch_alter_table('grant_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_reports_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_reports_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_reports_status'), ['status'], unique=False)

    op.create_table('grant_report_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['grant_reports.id'], name=op.f('fk_grant_report_files_report_id_grant_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_grant_report_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_report_files')),
    sa.UniqueConstraint('report_id', 'version', name=op.f('uq_grant_report_files_report_id_version'))
    )
    with op.batch_alter_table('grant_report_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_report_files_report_id'), ['report_id'], unique=False)

    op.create_table('grant_tranches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=False),
    sa.Column('planned_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('requires_report_id', sa.Integer(), nullable=True),
    sa.Column('paid_date', sa.Date(), nullable=True),
    sa.Column('paid_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('paid_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('pre_financing', 'further_pre_financing', 'balance')", name=op.f('ck_grant_tranches_kind_known')),
    sa.CheckConstraint('(paid_date IS NULL) = (paid_amount IS NULL)', name=op.f('ck_grant_tranches_paid_together')),
    sa.CheckConstraint('paid_amount IS NULL OR paid_amount > 0', name=op.f('ck_grant_tranches_paid_positive')),
    sa.CheckConstraint('planned_amount > 0', name=op.f('ck_grant_tranches_planned_positive')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_tranches_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paid_recorded_by_id'], ['users.id'], name=op.f('fk_grant_tranches_paid_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['requires_report_id'], ['grant_reports.id'], name=op.f('fk_grant_tranches_requires_report_id_grant_reports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_tranches')),
    sa.UniqueConstraint('grant_id', 'number', name=op.f('uq_grant_tranches_grant_id_number'))
    )
    with op.batch_alter_table('grant_tranches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_tranches_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_tranches_paid_date'), ['paid_date'], unique=False)

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cofinancing', sa.Numeric(precision=14, scale=2), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('awarded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('actual_start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('actual_end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('terms_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_check_constraint(op.f("ck_grants_cofinancing_not_negative"), "cofinancing >= 0")
        batch_op.create_index(batch_op.f('ix_grants_awarded_on'), ['awarded_on'], unique=False)



    # Grants awarded before this revision take their dialogues from their call and their domain from the proposal.
    op.execute(
        "INSERT INTO grant_dialogues (grant_id, dialogue_id) SELECT g.id, cd.dialogue_id FROM grants g "
        "JOIN call_dialogues cd ON cd.call_id = g.call_id"
    )
    op.execute(
        "INSERT INTO grant_domains (grant_id, domain_id) SELECT g.id, p.jvap_domain_id FROM grants g "
        "JOIN proposals p ON p.id = g.proposal_id WHERE p.jvap_domain_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_awarded_on'))
        batch_op.drop_constraint(op.f("ck_grants_cofinancing_not_negative"), type_="check")
        batch_op.drop_column('terms_version')
        batch_op.drop_column('actual_end_date')
        batch_op.drop_column('actual_start_date')
        batch_op.drop_column('awarded_on')
        batch_op.drop_column('cofinancing')

    with op.batch_alter_table('grant_tranches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_tranches_paid_date'))
        batch_op.drop_index(batch_op.f('ix_grant_tranches_grant_id'))

    op.drop_table('grant_tranches')
    with op.batch_alter_table('grant_report_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_report_files_report_id'))

    op.drop_table('grant_report_files')
    with op.batch_alter_table('grant_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_reports_status'))
        batch_op.drop_index(batch_op.f('ix_grant_reports_grant_id'))
        batch_op.drop_index(batch_op.f('ix_grant_reports_due_date'))

    op.drop_table('grant_reports')
    with op.batch_alter_table('grant_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_domains_domain_id'))

    op.drop_table('grant_domains')
    with op.batch_alter_table('grant_dialogues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_dialogues_dialogue_id'))

    op.drop_table('grant_dialogues')
    with op.batch_alter_table('grant_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_amendments_grant_id'))

    op.drop_table('grant_amendments')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
