"""Author pages: a staff member's public web address on the blog and the address of
their photo.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        # Empty until the author sets one: no author page, the byline stays plain.
        batch_op.add_column(sa.Column('author_slug', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('photo_url', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_staff_user_author_slug'), ['author_slug'])


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_staff_user_author_slug'), type_='unique')
        batch_op.drop_column('photo_url')
        batch_op.drop_column('author_slug')
