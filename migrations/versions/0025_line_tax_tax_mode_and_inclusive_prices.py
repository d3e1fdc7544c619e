"""Each order line keeps its own sales tax, so a refund of some of its units gives back
their share of the tax too. Orders placed before keep 0 on their lines: their tax stays
on the order and goes back with the last units refunded, as it did.
An order also records who works out its tax: the shop's rate table ("rates", every
order so far) or Stripe Tax on the payment page ("stripe"), and whether its prices
included the tax: then the tax is part of the subtotal, and the total CHECK adds it only
when they did not.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_cents', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_order_line_line_tax_non_negative'),
                                         'tax_cents >= 0')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_mode', sa.String(length=10), server_default='rates',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_shop_order_tax_mode_known'),
                                         "tax_mode IN ('rates', 'stripe')")
        batch_op.add_column(sa.Column('prices_include_tax', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_shop_order_total_adds_up'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_shop_order_total_adds_up'),
            'total_cents = subtotal_cents - discount_cents + shipping_cents'
            ' + CASE WHEN prices_include_tax THEN 0 ELSE tax_cents END')


def downgrade():
    # The old CHECK always adds the tax: orders whose prices included it keep their total
    # and forget the tax inside it.
    op.execute("UPDATE shop_order SET tax_cents = 0 WHERE prices_include_tax")
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shop_order_total_adds_up'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_shop_order_total_adds_up'),
            'total_cents = subtotal_cents - discount_cents + shipping_cents + tax_cents')
        batch_op.drop_column('prices_include_tax')
        batch_op.drop_constraint(batch_op.f('ck_shop_order_tax_mode_known'), type_='check')
        batch_op.drop_column('tax_mode')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_line_line_tax_non_negative'),
                                 type_='check')
        batch_op.drop_column('tax_cents')
