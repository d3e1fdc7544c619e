"""Typo-tolerant search on PostgreSQL: the pg_trgm extension, whose similarity()
picks the shop's words closest to a misspelt one. Where the role may not create
it, the shop computes the same measure in Python (storefront/catalogue/trigrams.py).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""
from alembic import op


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create
    # it. Anywhere it cannot be, the migration goes on and search uses the Python twin.
    op.execute("""
        DO $$ BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
            RAISE NOTICE 'pg_trgm not created: search computes trigram similarity itself';
        END $$""")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")
