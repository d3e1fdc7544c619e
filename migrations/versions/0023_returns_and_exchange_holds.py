"""Returns and exchanges: a return per parcel with its lines and replacements; stock
holds gain a kind, so an exchange's replacement can be held for days.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shop_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('resolution', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('hold_status', sa.String(length=12), nullable=True),
    sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('difference_cents', sa.Integer(), nullable=False),
    sa.Column('difference_status', sa.String(length=10), nullable=False),
    sa.Column('difference_session_id', sa.String(length=255), nullable=True),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('refund_reference', sa.String(length=255), nullable=True),
    sa.Column('carrier', sa.String(length=60), nullable=False),
    sa.Column('tracking_number', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("difference_status IN ('none', 'due', 'paid', 'waived', 'to_refund', 'refunded')", name=op.f('ck_shop_return_difference_status_known')),
    sa.CheckConstraint("reason IN ('too_small', 'too_big', 'too_narrow', 'too_wide', 'brace', 'changed_mind', 'faulty', 'other')", name=op.f('ck_shop_return_reason_known')),
    sa.CheckConstraint("resolution IN ('refund', 'exchange')", name=op.f('ck_shop_return_resolution_known')),
    sa.CheckConstraint("status IN ('requested', 'received', 'refunded', 'exchanged', 'closed', 'cancelled')", name=op.f('ck_shop_return_status_known')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_shop_return_order_id_shop_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_return')),
    sa.UniqueConstraint('difference_session_id', name=op.f('uq_shop_return_difference_session_id')),
    sa.UniqueConstraint('form_key', name=op.f('uq_shop_return_form_key')),
    sa.UniqueConstraint('number', name=op.f('uq_shop_return_number')),
    sa.UniqueConstraint('order_id', 'sequence', name=op.f('uq_shop_return_order_id'))
    )
    with op.batch_alter_table('shop_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_return_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_shop_return_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('return_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('replacement_variant_id', sa.Integer(), nullable=True),
    sa.Column('replacement_right_variant_id', sa.Integer(), nullable=True),
    sa.Column('replacement_sku', sa.String(length=140), nullable=False),
    sa.Column('replacement_label', sa.String(length=200), nullable=False),
    sa.Column('replacement_unit_price_cents', sa.Integer(), nullable=True),
    sa.Column('condition', sa.String(length=10), nullable=True),
    sa.CheckConstraint("condition IS NULL OR condition IN ('restock', 'damaged')", name=op.f('ck_return_line_condition_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_return_line_quantity_positive')),
    sa.CheckConstraint('unit_price_cents >= 0', name=op.f('ck_return_line_unit_price_non_negative')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], name=op.f('fk_return_line_order_line_id_order_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replacement_right_variant_id'], ['variant.id'], name=op.f('fk_return_line_replacement_right_variant_id_variant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replacement_variant_id'], ['variant.id'], name=op.f('fk_return_line_replacement_variant_id_variant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['return_id'], ['shop_return.id'], name=op.f('fk_return_line_return_id_shop_return'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_line'))
    )
    with op.batch_alter_table('return_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_line_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_line_return_id'), ['return_id'], unique=False)

    with op.batch_alter_table('stock_hold', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), server_default='checkout', nullable=False))
        batch_op.create_check_constraint(
            batch_op.f('ck_stock_hold_kind_known'), "kind IN ('checkout', 'exchange')")



def downgrade():
    with op.batch_alter_table('stock_hold', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stock_hold_kind_known'), type_='check')
        batch_op.drop_column('kind')

    with op.batch_alter_table('return_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_line_return_id'))
        batch_op.drop_index(batch_op.f('ix_return_line_order_line_id'))

    op.drop_table('return_line')
    with op.batch_alter_table('shop_return', schema=None) as batch_op:
        batch_op.drop_index('ix_shop_return_status_created_at')
        batch_op.drop_index(batch_op.f('ix_shop_return_order_id'))

    op.drop_table('shop_return')
