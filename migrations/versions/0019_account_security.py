"""Account security. Accounts get `email_confirmed_at` (self-registration is confirmed by a link e-mailed to the
address; every account that exists already is taken as confirmed, at its creation). TOTP secrets are encrypted at
rest with the keys of DATA_ENCRYPTION_KEYS (portal/core/crypto.py; in development a key derived from SECRET_KEY):
the column grows to hold the token, and the secrets already stored in clear are encrypted. The downgrade decrypts
them back (it needs the same keys).

Revision ID: 0019_account_security
Revises: 0016_document_templates
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from portal.core import crypto

revision = "0019_account_security"
down_revision = "0016_document_templates"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("totp_secret", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("email_confirmed_at", sa.DateTime(timezone=True)),
)


def _convert(change) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))).all()
    for user_id, value in rows:
        conn.execute(users.update().where(users.c.id == user_id).values(totp_secret=change(value)))


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=True
        )
    op.execute(users.update().values(email_confirmed_at=users.c.created_at))
    keys = crypto.keys_from_config(current_app.config)
    _convert(lambda secret: crypto.encrypt(secret, keys))


def downgrade():
    keys = crypto.keys_from_config(current_app.config)
    _convert(lambda token: crypto.decrypt(token, keys))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=True
        )
        batch_op.drop_column("email_confirmed_at")
