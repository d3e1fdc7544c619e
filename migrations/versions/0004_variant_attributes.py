"""Variant attributes: options other than size, width and colour (e.g. from a Shopify import).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_column('attributes')
