"""Variants told apart by their other options: a variant's attributes as one text
(`option_key`), part of the uniqueness of size, width and colour within a product; and
`stock_tracked`, false for a variant whose stock is not counted (imported untracked);
and an order line's copy of those other options (`details`).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""
import json

import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def _key(attributes):
    if isinstance(attributes, str):
        attributes = json.loads(attributes or "{}")
    return "; ".join(f"{name}: {value}" for name, value in sorted((attributes or {}).items()))


def upgrade():
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('option_key', sa.String(length=255), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('stock_tracked', sa.Boolean(), server_default=sa.text('true'),
                                      nullable=False))
    bind = op.get_bind()
    variant = sa.table('variant', sa.column('id', sa.Integer), sa.column('attributes', sa.JSON),
                       sa.column('option_key', sa.String))
    for row in bind.execute(sa.select(variant.c.id, variant.c.attributes)).all():
        key = _key(row.attributes)
        if key:
            bind.execute(variant.update().where(variant.c.id == row.id)
                         .values(option_key=key[:255]))
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_constraint('uq_variant_product_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_variant_options', ['product_id', 'size_id', 'width_id', 'colour_id', 'option_key'])
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.String(length=255), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_column('details')
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_constraint('uq_variant_options', type_='unique')
        batch_op.create_unique_constraint(
            'uq_variant_product_id', ['product_id', 'size_id', 'width_id', 'colour_id'])
        batch_op.drop_column('stock_tracked')
        batch_op.drop_column('option_key')
