"""On PostgreSQL, stock ledger rows and content counters notify the page cache.

A row trigger on stock_movement and on content_version calls pg_notify on the
storefront_content channel; every app worker listens there and re-reads the
content version of its cached pages (storefront/pagecache.py). PostgreSQL
delivers the notification at COMMIT and folds repeats in one transaction.
SQLite has no notifications: its workers read the version per request.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ('stock_movement', 'content_version')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION storefront_content_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('storefront_content', '');
            RETURN NULL;
        END $$""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_content_changed "
                   f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION storefront_content_changed()")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_content_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS storefront_content_changed()")
