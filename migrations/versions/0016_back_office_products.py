"""Back-office product editing: status (archived), size charts, edit revisions; variant
barcodes, weights and retirement; the price history.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size_chart', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False,
                                      server_default=sa.text('1')))
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barcode', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('weight_grams', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_variant_barcode'), ['barcode'])
        batch_op.create_check_constraint(
            batch_op.f('ck_variant_weight_non_negative'), 'weight_grams IS NULL OR weight_grams >= 0')
    op.create_table('price_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('old_price_cents', sa.Integer(), nullable=True),
    sa.Column('new_price_cents', sa.Integer(), nullable=False),
    sa.Column('old_compare_at_cents', sa.Integer(), nullable=True),
    sa.Column('new_compare_at_cents', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_price_change_variant_id_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change'))
    )
    op.create_index('ix_price_change_variant_id_id', 'price_change', ['variant_id', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_price_change_variant_id_id', table_name='price_change')
    op.drop_table('price_change')
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_variant_weight_non_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_variant_barcode'), type_='unique')
        batch_op.drop_column('retired_at')
        batch_op.drop_column('weight_grams')
        batch_op.drop_column('barcode')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('size_chart')
