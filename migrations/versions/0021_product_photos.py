"""Product photos from the back office: the colour a photo shows, decorative photos,
the stored sizes with the largest one's dimensions, and the imported URL a stored photo
was fetched from.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_image', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colour_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decorative', sa.Boolean(), nullable=False,
                                      server_default=sa.text('false')))
        batch_op.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('height', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('renditions', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('source_url', sa.String(length=2000), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_product_image_colour_id_colour'), 'colour',
                                    ['colour_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('product_image', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_product_image_colour_id_colour'),
                                 type_='foreignkey')
        batch_op.drop_column('source_url')
        batch_op.drop_column('renditions')
        batch_op.drop_column('height')
        batch_op.drop_column('width')
        batch_op.drop_column('decorative')
        batch_op.drop_column('colour_id')
