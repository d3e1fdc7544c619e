"""Scoped page cache: stock counters count their changes, and stock notifications
name the variant.

`stock_level.changes` goes up by one with every change of a variant's counters,
so a cached page that showed a variant's stock can tell, by comparing it, that
it is still current (storefront/pagecache.py). On PostgreSQL the stock ledger's
trigger now sends the variant id as the notification's payload, so each worker
forgets only the pages that showed that variant; content_version keeps its
trigger with an empty payload (every page).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stock_level') as batch_op:
        batch_op.add_column(sa.Column('changes', sa.Integer(), server_default='0',
                                      nullable=False))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION storefront_stock_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('storefront_content', NEW.variant_id::text);
            RETURN NULL;
        END $$""")
    op.execute("DROP TRIGGER IF EXISTS stock_movement_content_changed ON stock_movement")
    op.execute("CREATE TRIGGER stock_movement_stock_changed "
               "AFTER INSERT ON stock_movement "
               "FOR EACH ROW EXECUTE FUNCTION storefront_stock_changed()")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS stock_movement_stock_changed ON stock_movement")
        op.execute("DROP FUNCTION IF EXISTS storefront_stock_changed()")
        op.execute("CREATE TRIGGER stock_movement_content_changed "
                   "AFTER INSERT OR UPDATE OR DELETE ON stock_movement "
                   "FOR EACH ROW EXECUTE FUNCTION storefront_content_changed()")
    with op.batch_alter_table('stock_level') as batch_op:
        batch_op.drop_column('changes')
