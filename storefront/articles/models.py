"""Articles, their tags, featured and mentioned products, comments and product clicks;
and the shop's standing pages (shipping, returns, privacy...), also Markdown.

Authors are staff users, referenced by table name only: the articles package
sits below the staff package and never imports it.
"""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, created_at_column, utcnow
from ..signals import announce_edits

COMMENT_STATUSES = {
    "pending": "Waiting for approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "spam": "Spam",
}


class Article(db.Model):
    """A blog article. Draft while `publish_at` is empty, scheduled while it lies in
    the future, published once it has passed; so publishing on time needs no job."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    cover_image: Mapped[str] = mapped_column(String(300), default="")
    cover_alt: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )

    # By class name, so this package needs no import of the staff package.
    author = relationship("StaffUser", lazy="joined")
    tags: Mapped[list["ArticleTag"]] = relationship(
        back_populates="article", order_by="ArticleTag.name", cascade="all, delete-orphan"
    )
    featured: Mapped[list["ArticleProduct"]] = relationship(
        back_populates="article", order_by="ArticleProduct.position",
        cascade="all, delete-orphan",
    )
    mentions: Mapped[list["ArticleMention"]] = relationship(cascade="all, delete-orphan")
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="article", order_by="Comment.created_at", cascade="all, delete-orphan"
    )

    @property
    def published_at(self):
        """When the article goes (or went) out; None for a draft."""
        return self.publish_at

    @property
    def modified_at(self):
        """When the article last changed for readers: edited or published, the later."""
        return max(t for t in (self.updated_at, self.publish_at) if t is not None)

    def state(self, now):
        """draft / scheduled / published at `now`."""
        if self.publish_at is None:
            return "draft"
        return "scheduled" if self.published_at > now else "published"


class ArticleTag(db.Model):
    """One tag on one article; tag pages gather articles by `slug`."""

    __tablename__ = "article_tag"
    __table_args__ = (UniqueConstraint("article_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(String(60))

    article: Mapped[Article] = relationship(back_populates="tags")


class ArticleProduct(db.Model):
    """A product featured in the block at the end of an article."""

    __tablename__ = "article_product"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    article: Mapped[Article] = relationship(back_populates="featured")


class ArticleMention(db.Model):
    """A product slug named by a `[[product:slug]]` shortcode in an article's body.

    Kept as a slug, not a foreign key, so links to products that are missing
    (renamed, deleted, mistyped) can be reported to staff. Rewritten on save.
    """

    __tablename__ = "article_mention"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    product_slug: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class Comment(db.Model):
    """A reader's comment; shown only once staff approve it."""

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'spam')", name="status_known"
        ),
        Index("ix_comment_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at = created_at_column()
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    article: Mapped[Article] = relationship(back_populates="comments")

    @property
    def status_label(self):
        return COMMENT_STATUSES[self.status]


class ArticleClick(db.Model):
    """A shopper followed a product link or card from an article."""

    __tablename__ = "article_click"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    created_at = created_at_column()


class ShopPage(db.Model):
    """A standing page shoppers look for before buying (shipping, returns, privacy...),
    written in Markdown by marketing and linked from every page's footer."""

    __tablename__ = "shop_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Place in the footer, smallest first.
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


announce_edits("articles", Article, ArticleTag, ArticleProduct, ArticleMention, Comment)
# Every page's footer lists the shop pages, so an edit changes every cached page.
announce_edits("pages", ShopPage)


def published_by(now):
    """How many articles are out at `now`, as a scalar subquery: scheduled articles
    appear when their time comes, with no write, so cached pages count them."""
    return (select(func.count()).select_from(Article)
            .where(Article.publish_at <= now).scalar_subquery())
