"""Orders remember the article the shopper followed a product link from.

Nullable, and set to NULL when the article is deleted: the order stays, only
the credit for the sale is lost. Existing orders have no source.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_article_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_shop_order_source_article_id'),
                              ['source_article_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_shop_order_source_article_id_article'),
                                    'article', ['source_article_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shop_order_source_article_id_article'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_shop_order_source_article_id'))
        batch_op.drop_column('source_article_id')
