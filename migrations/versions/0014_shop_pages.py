"""The shop's standing pages: shipping, returns, privacy and the like, in Markdown.

Adds the shop_page table (slug, title, summary, body, footer position, time of
the last edit). Empty until `flask demo load` or marketing adds pages.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shop_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_page')),
    sa.UniqueConstraint('slug', name=op.f('uq_shop_page_slug'))
    )


def downgrade():
    op.drop_table('shop_page')
