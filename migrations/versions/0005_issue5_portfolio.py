"""Search: the unaccent extension on PostgreSQL, so that the staff's search finds "Sénégal" when asked for "senegal".

Created only where the server offers it and the migrating role may create it; otherwise the search works without it
(accents then count). Nothing to do on SQLite.

Revision ID: 0005_issue5_portfolio
Revises: 0004_grant_tracking
"""

from alembic import op

revision = '0005_issue5_portfolio'
down_revision = '0004_grant_tracking'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # The inner block is a subtransaction: a role without the right to create extensions only gets a notice.
    op.execute(
        """
        DO $$
        BEGIN
          IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
            BEGIN
              CREATE EXTENSION IF NOT EXISTS unaccent;
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'unaccent not created (insufficient privilege): search will be accent-sensitive';
            END;
          END IF;
        END
        $$;
        """
    )


def downgrade():
    # The extension may be used by others in the same database: leave it.
    pass
