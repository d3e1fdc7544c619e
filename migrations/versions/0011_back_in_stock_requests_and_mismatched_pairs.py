"""Back-in-stock requests per variant, and mismatched pairs (a shoe for each foot).

Adds the back_in_stock_request table (one row per variant and address, with
its confirmation, notice and unsubscribe times), product.allows_mismatched
(off for existing products), and the right shoe of a pair on order lines
(empty for every existing line).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('back_in_stock_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_back_in_stock_request_variant_id_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_back_in_stock_request')),
    sa.UniqueConstraint('token', name=op.f('uq_back_in_stock_request_token')),
    sa.UniqueConstraint('variant_id', 'email', name=op.f('uq_back_in_stock_request_variant_id'))
    )
    with op.batch_alter_table('back_in_stock_request', schema=None) as batch_op:
        batch_op.create_index('ix_back_in_stock_request_waiting', ['variant_id', 'confirmed_at', 'notified_at'], unique=False)

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('right_variant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('right_sku', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('right_size', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('right_width', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_line_right_variant_id'), ['right_variant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_order_line_right_variant_id_variant'), 'variant', ['right_variant_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allows_mismatched', sa.Boolean(), server_default=sa.text('false'), nullable=False))



def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('allows_mismatched')

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_line_right_variant_id_variant'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_order_line_right_variant_id'))
        batch_op.drop_column('right_width')
        batch_op.drop_column('right_size')
        batch_op.drop_column('right_sku')
        batch_op.drop_column('right_variant_id')

    with op.batch_alter_table('back_in_stock_request', schema=None) as batch_op:
        batch_op.drop_index('ix_back_in_stock_request_waiting')

    op.drop_table('back_in_stock_request')
