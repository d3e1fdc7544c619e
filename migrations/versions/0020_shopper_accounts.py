"""Shopper accounts: accounts (name and marketing consent from a Shopify import) with a
fit profile per foot, e-mailed sign-in and deletion links, saved shipping addresses.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shopper_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('browser_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('sign_in', 'delete')", name=op.f('ck_shopper_link_purpose_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shopper_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_shopper_link_token_hash'))
    )
    with op.batch_alter_table('shopper_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shopper_link_email'), ['email'], unique=False)

    op.create_table('shopper',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('accepts_marketing', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('session_nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_size_id', sa.Integer(), nullable=True),
    sa.Column('left_width_id', sa.Integer(), nullable=True),
    sa.Column('right_size_id', sa.Integer(), nullable=True),
    sa.Column('right_width_id', sa.Integer(), nullable=True),
    sa.Column('brace', sa.String(length=10), server_default='none', nullable=False),
    sa.Column('closures', sa.JSON(), server_default='[]', nullable=False),
    sa.CheckConstraint("brace IN ('none', 'left', 'right', 'both')", name=op.f('ck_shopper_brace_known')),
    sa.ForeignKeyConstraint(['left_size_id'], ['size.id'], name=op.f('fk_shopper_left_size_id_size'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['left_width_id'], ['width.id'], name=op.f('fk_shopper_left_width_id_width'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['right_size_id'], ['size.id'], name=op.f('fk_shopper_right_size_id_size'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['right_width_id'], ['width.id'], name=op.f('fk_shopper_right_width_id_width'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shopper')),
    sa.UniqueConstraint('email', name=op.f('uq_shopper_email'))
    )
    op.create_table('shopper_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shopper_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=30), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shopper_id'], ['shopper.id'], name=op.f('fk_shopper_address_shopper_id_shopper'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shopper_address'))
    )
    with op.batch_alter_table('shopper_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shopper_address_shopper_id'), ['shopper_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shopper_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shopper_address_shopper_id'))

    op.drop_table('shopper_address')
    op.drop_table('shopper')
    with op.batch_alter_table('shopper_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shopper_link_email'))

    op.drop_table('shopper_link')
