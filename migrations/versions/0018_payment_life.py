"""The whole life of a payment: orders awaiting a bank payment, disputes, and the
units of each order line that were refunded or restocked.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD_STATUSES = "('pending', 'paid', 'shipped', 'cancelled', 'expired', 'failed')"
NEW_STATUSES = ("('pending', 'awaiting_payment', 'paid', 'shipped', 'cancelled', 'expired', "
                "'failed')")


def upgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shop_order_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_shop_order_status_known'),
                                         f"status IN {NEW_STATUSES}")
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_quantity', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('restocked_quantity', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_order_line_refunded_within_quantity'),
                                         'refunded_quantity BETWEEN 0 AND quantity')
        batch_op.create_check_constraint(batch_op.f('ck_order_line_restocked_within_quantity'),
                                         'restocked_quantity BETWEEN 0 AND quantity')
    op.create_table('dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('evidence_due_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_dispute_amount_non_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_dispute_order_id_shop_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute')),
    sa.UniqueConstraint('gateway', 'reference', name=op.f('uq_dispute_gateway'))
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_order_id'))
    op.drop_table('dispute')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_line_restocked_within_quantity'),
                                 type_='check')
        batch_op.drop_constraint(batch_op.f('ck_order_line_refunded_within_quantity'),
                                 type_='check')
        batch_op.drop_column('restocked_quantity')
        batch_op.drop_column('refunded_quantity')
    # Orders waiting for a bank payment had not been paid: back to awaiting their page.
    op.execute("UPDATE shop_order SET status = 'pending' WHERE status = 'awaiting_payment'")
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shop_order_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_shop_order_status_known'),
                                         f"status IN {OLD_STATUSES}")
