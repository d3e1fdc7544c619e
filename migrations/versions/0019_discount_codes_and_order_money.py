"""What an order costs: discount codes (their products and each order's use of one),
shipping rates, sales tax rates, and on orders the discount per order and per line, the
chosen rate's name and the tax; the order total is now subtotal - discount + shipping + tax.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('min_subtotal_cents', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('usage_limit', sa.Integer(), nullable=True),
    sa.Column('times_used', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('once_per_email', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind != 'percent' OR value <= 100", name=op.f('ck_discount_percent_at_most_100')),
    sa.CheckConstraint("kind IN ('percent', 'fixed')", name=op.f('ck_discount_kind_known')),
    sa.CheckConstraint('min_subtotal_cents IS NULL OR min_subtotal_cents >= 0', name=op.f('ck_discount_min_subtotal_non_negative')),
    sa.CheckConstraint('starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at', name=op.f('ck_discount_ends_after_it_starts')),
    sa.CheckConstraint('times_used >= 0', name=op.f('ck_discount_times_used_non_negative')),
    sa.CheckConstraint('usage_limit IS NULL OR times_used <= usage_limit', name=op.f('ck_discount_within_usage_limit')),
    sa.CheckConstraint('usage_limit IS NULL OR usage_limit > 0', name=op.f('ck_discount_usage_limit_positive')),
    sa.CheckConstraint('value > 0', name=op.f('ck_discount_value_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount')),
    sa.UniqueConstraint('code', name=op.f('uq_discount_code'))
    )
    op.create_table('discount_product',
    sa.Column('discount_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['discount_id'], ['discount.id'], name=op.f('fk_discount_product_discount_id_discount'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_discount_product_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('discount_id', 'product_id', name=op.f('pk_discount_product'))
    )
    op.create_table('discount_redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('discount_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_discount_redemption_amount_non_negative')),
    sa.ForeignKeyConstraint(['discount_id'], ['discount.id'], name=op.f('fk_discount_redemption_discount_id_discount')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_discount_redemption_order_id_shop_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_redemption')),
    sa.UniqueConstraint('order_id', name=op.f('uq_discount_redemption_order_id'))
    )
    op.create_table('shipping_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('free_at_cents', sa.Integer(), nullable=True),
    sa.Column('countries', sa.String(length=1000), nullable=False),
    sa.Column('estimate', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('free_at_cents IS NULL OR free_at_cents >= 0', name=op.f('ck_shipping_rate_free_at_non_negative')),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_shipping_rate_price_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rate'))
    )
    op.create_table('tax_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('basis_points', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('taxes_shipping', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('basis_points >= 0 AND basis_points <= 10000', name=op.f('ck_tax_rate_basis_points_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rate')),
    sa.UniqueConstraint('country', 'region', name=op.f('uq_tax_rate_country'))
    )
    with op.batch_alter_table('discount_redemption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discount_redemption_discount_id'), ['discount_id'], unique=False)
        batch_op.create_index('uq_discount_redemption_email', ['discount_id', 'email'], unique=True, sqlite_where=sa.text('email IS NOT NULL AND released_at IS NULL'), postgresql_where=sa.text('email IS NOT NULL AND released_at IS NULL'))

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_cents', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.create_check_constraint(
            batch_op.f('ck_order_line_discount_within_line_total'),
            'discount_cents >= 0 AND discount_cents <= line_total_cents')

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_cents', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('shipping_rate_name', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tax_cents', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('tax_label', sa.String(length=100), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_shop_order_total_adds_up'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_shop_order_total_adds_up'),
            'total_cents = subtotal_cents - discount_cents + shipping_cents + tax_cents')
        batch_op.create_check_constraint(batch_op.f('ck_shop_order_tax_non_negative'), 'tax_cents >= 0')
        batch_op.create_check_constraint(
            batch_op.f('ck_shop_order_discount_within_subtotal'),
            'discount_cents >= 0 AND discount_cents <= subtotal_cents')



def downgrade():
    # Going back forgets discounts and tax: orders keep their total, which the old CHECK
    # (total = subtotal + shipping) would refuse, so their subtotal follows it.
    op.execute("UPDATE shop_order SET subtotal_cents = subtotal_cents - discount_cents"
               " + tax_cents")
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shop_order_tax_non_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_shop_order_discount_within_subtotal'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_shop_order_total_adds_up'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_shop_order_total_adds_up'), 'total_cents = subtotal_cents + shipping_cents')
        batch_op.drop_column('tax_label')
        batch_op.drop_column('tax_cents')
        batch_op.drop_column('shipping_rate_name')
        batch_op.drop_column('discount_code')
        batch_op.drop_column('discount_cents')

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_line_discount_within_line_total'), type_='check')
        batch_op.drop_column('discount_cents')

    with op.batch_alter_table('discount_redemption', schema=None) as batch_op:
        batch_op.drop_index('uq_discount_redemption_email', sqlite_where=sa.text('email IS NOT NULL AND released_at IS NULL'), postgresql_where=sa.text('email IS NOT NULL AND released_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_discount_redemption_discount_id'))

    op.drop_table('tax_rate')
    op.drop_table('shipping_rate')
    op.drop_table('discount_redemption')
    op.drop_table('discount_product')
    op.drop_table('discount')
