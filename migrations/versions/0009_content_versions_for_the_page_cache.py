"""Content versions: a counter per kind of content, bumped by every edit, so cached
public pages know when they are stale.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_version',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_content_version'))
    )


def downgrade():
    op.drop_table('content_version')
