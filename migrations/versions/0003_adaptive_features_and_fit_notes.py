"""Adaptive features (filterable facets), per-product fit notes, full-text search index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SEARCH_DOCUMENT = (
    "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || "
    "coalesce(summary, '') || ' ' || coalesce(description, ''))"
)


def upgrade():
    op.create_table('feature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feature')),
    sa.UniqueConstraint('slug', name=op.f('uq_feature_slug'))
    )
    op.create_table('product_feature',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('feature_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['feature_id'], ['feature.id'], name=op.f('fk_product_feature_feature_id_feature'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_feature_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'feature_id', name=op.f('pk_product_feature'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        # Existing products start with no fit notes.
        batch_op.add_column(sa.Column('fit_notes', sa.Text(), nullable=False, server_default=''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"CREATE INDEX ix_product_search ON product USING gin ({SEARCH_DOCUMENT})")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_product_search")
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('fit_notes')
    op.drop_table('product_feature')
    op.drop_table('feature')
