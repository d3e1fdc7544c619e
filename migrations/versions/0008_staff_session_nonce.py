"""Staff sessions can be ended: a per-account nonce that is part of the session id.

Existing accounts start from one shared value; their first logout gives them
their own.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=64), nullable=False,
                                      server_default='initial'))
    # The application always sets the value; the default only filled existing rows.
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('session_nonce', server_default=None)


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('session_nonce')
