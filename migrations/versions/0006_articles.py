"""Articles: tags, featured and mentioned products, comments awaiting moderation, product clicks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 04:58:17
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("cover_image", sa.String(length=300), nullable=False),
        sa.Column("cover_alt", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["staff_user.id"],
                                name=op.f("fk_article_author_id_staff_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("slug", name=op.f("uq_article_slug")),
    )
    with op.batch_alter_table("article") as batch_op:
        batch_op.create_index(batch_op.f("ix_article_author_id"), ["author_id"])
        batch_op.create_index(batch_op.f("ix_article_publish_at"), ["publish_at"])

    op.create_table(
        "article_click",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_article_click_article_id_article"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_article_click_product_id_product"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_click")),
    )
    with op.batch_alter_table("article_click") as batch_op:
        batch_op.create_index(batch_op.f("ix_article_click_article_id"), ["article_id"])
        batch_op.create_index(batch_op.f("ix_article_click_product_id"), ["product_id"])

    op.create_table(
        "article_mention",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("product_slug", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_article_mention_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "product_slug", name=op.f("pk_article_mention")),
    )
    with op.batch_alter_table("article_mention") as batch_op:
        batch_op.create_index(batch_op.f("ix_article_mention_product_slug"), ["product_slug"])

    op.create_table(
        "article_product",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_article_product_article_id_article"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_article_product_product_id_product"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "product_id", name=op.f("pk_article_product")),
    )
    with op.batch_alter_table("article_product") as batch_op:
        batch_op.create_index(batch_op.f("ix_article_product_product_id"), ["product_id"])

    op.create_table(
        "article_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_article_tag_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_tag")),
        sa.UniqueConstraint("article_id", "slug", name=op.f("uq_article_tag_article_id")),
    )
    with op.batch_alter_table("article_tag") as batch_op:
        batch_op.create_index(batch_op.f("ix_article_tag_slug"), ["slug"])

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'spam')",
                           name=op.f("ck_comment_status_known")),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_comment_article_id_article"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["moderated_by_id"], ["staff_user.id"],
                                name=op.f("fk_comment_moderated_by_id_staff_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    with op.batch_alter_table("comment") as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_article_id"), ["article_id"])
        batch_op.create_index("ix_comment_status_created_at", ["status", "created_at"])


def downgrade():
    op.drop_table("comment")
    op.drop_table("article_tag")
    op.drop_table("article_product")
    op.drop_table("article_mention")
    op.drop_table("article_click")
    op.drop_table("article")
