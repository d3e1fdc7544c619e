"""Search synonyms: groups of words shoppers use for the same thing.

Adds the search_synonym table, one comma-separated group per row. Empty until
`flask demo load` seeds the shop's words or staff write them at /staff/search.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_synonym',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('words', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_synonym'))
    )


def downgrade():
    op.drop_table('search_synonym')
