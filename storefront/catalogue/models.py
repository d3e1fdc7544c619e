"""Products, their options (size, width, colour) and sellable variants."""

from datetime import datetime

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..models import UTCDateTime, created_at_column
from ..signals import announce_edits

CATEGORIES = {
    "everyday": "Everyday shoes",
    "walking": "Walking shoes",
    "boots": "Boots",
    "sandals": "Sandals",
    "dress": "Dress shoes",
    "slippers": "House shoes",
}
GENDERS = {"women": "Women", "men": "Men", "unisex": "Unisex"}
# How a product shows in the shop: published ones are for sale, drafts are being prepared,
# archived ones are withdrawn for good but kept for their orders and history.
STATUSES = {"published": "Published", "draft": "Draft", "archived": "Archived"}

product_tag = Table(
    "product_tag",
    db.metadata,
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


product_feature = Table(
    "product_feature",
    db.metadata,
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    Column("feature_id", ForeignKey("feature.id", ondelete="CASCADE"), primary_key=True),
)


class Feature(db.Model):
    """An adaptive feature shoppers filter by (brace compatible, easy closure, ...)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60))


class Size(db.Model):
    """A US shoe size; `sort_key` orders 7, 7.5, 8 ... numerically."""

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(10), unique=True)
    sort_key: Mapped[int] = mapped_column(Integer)


class Width(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    label: Mapped[str] = mapped_column(String(40))
    sort_key: Mapped[int] = mapped_column(Integer)


class Colour(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    hex: Mapped[str] = mapped_column(String(7))


def search_document(table):
    """The text PostgreSQL full-text search matches products against."""
    return func.to_tsvector(
        text("'english'::regconfig"),
        func.coalesce(table.c.title, "") + " " + func.coalesce(table.c.summary, "") + " "
        + func.coalesce(table.c.description, ""),
    )


class Product(db.Model):
    __table_args__ = (
        CheckConstraint("low_stock_threshold >= 0", name="low_stock_threshold_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    gender: Mapped[str] = mapped_column(String(10), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    seo_title: Mapped[str | None] = mapped_column(String(200))
    seo_description: Mapped[str | None] = mapped_column(String(300))
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    fit_notes: Mapped[str] = mapped_column(Text, default="")
    # Foot length per size, one "size: centimetres" line each; empty uses the standard scale.
    size_chart: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised by every back-office save, so an editor opened before another's save is stale.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # Sold as mismatched pairs too: a different size or width for each foot, one colour.
    allows_mismatched: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=text("false"))
    created_at = created_at_column()

    features: Mapped[list[Feature]] = relationship(secondary=product_feature,
                                                   order_by=Feature.position)
    tags: Mapped[list[Tag]] = relationship(secondary=product_tag, order_by=Tag.name)
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product",
        order_by="ProductImage.position",
        cascade="all, delete-orphan",
    )
    # The variants on sale; retired ones stay in the database (orders and the stock ledger
    # name them) and show only in the back office, through `all_variants`.
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="Variant.id", cascade="all, delete-orphan",
        primaryjoin="and_(Product.id == Variant.product_id, Variant.retired_at.is_(None))",
    )
    all_variants: Mapped[list["Variant"]] = relationship(
        order_by="Variant.id", viewonly=True,
    )

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category.title())

    @property
    def gender_label(self):
        return GENDERS.get(self.gender, self.gender.title())

    @property
    def status(self):
        if self.published:
            return "published"
        return "archived" if self.archived_at is not None else "draft"

    @property
    def status_label(self):
        return STATUSES[self.status]


class ProductImage(db.Model):
    """A photo of a product, or of one of its colours.

    An uploaded (or fetched) photo is stored: `renditions` lists its files in MEDIA_ROOT
    (WebP and a fallback format at a few widths) and `path` names the largest fallback.
    Otherwise `path` is what an import gave: an absolute URL or a file under static/.
    """

    __table_args__ = (UniqueConstraint("product_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    # Empty for a decorative photo, which screen readers skip.
    alt: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The colour this photo shows; none: the product in general.
    colour_id: Mapped[int | None] = mapped_column(ForeignKey("colour.id", ondelete="SET NULL"))
    decorative: Mapped[bool] = mapped_column(Boolean, default=False,
                                             server_default=text("false"))
    # Of the largest rendition, so pages reserve the photo's space before it loads.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    renditions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # The imported URL a stored photo was fetched from (`flask media fetch`).
    source_url: Mapped[str | None] = mapped_column(String(2000))

    product: Mapped[Product] = relationship(back_populates="images")
    colour: Mapped[Colour | None] = relationship()

    @property
    def is_stored(self):
        return bool(self.renditions)

    @property
    def origin(self):
        """Where the photo came from: the imported URL, or its path when not fetched."""
        return self.source_url or self.path

    def files(self, fmt=None):
        """The stored renditions (dicts: name, format, width, height), narrowest first;
        only those in `fmt` when given."""
        return [r for r in self.renditions or () if fmt is None or r["format"] == fmt]


OPTION_KEY_LENGTH = 255


class Variant(db.Model):
    """One sellable option of a product. Its stock lives in inventory's stock_level."""

    __table_args__ = (
        # Two variants may share size, width and colour when their other options differ.
        UniqueConstraint("product_id", "size_id", "width_id", "colour_id", "option_key",
                         name="uq_variant_options"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint(
            "compare_at_cents IS NULL OR compare_at_cents > price_cents",
            name="compare_at_above_price",
        ),
        CheckConstraint("weight_grams IS NULL OR weight_grams >= 0",
                        name="weight_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    size_id: Mapped[int] = mapped_column(ForeignKey("size.id"))
    width_id: Mapped[int] = mapped_column(ForeignKey("width.id"))
    colour_id: Mapped[int] = mapped_column(ForeignKey("colour.id"))
    price_cents: Mapped[int] = mapped_column(Integer)
    compare_at_cents: Mapped[int | None] = mapped_column(Integer)
    # Options other than size, width and colour (e.g. {"Material": "Suede"}), as imported.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # The attributes as one comparable text ("Heel height: 5 cm; Material: Suede"), kept in
    # step with them so the database can tell two variants apart by attributes alone.
    option_key: Mapped[str] = mapped_column(String(OPTION_KEY_LENGTH), default="",
                                            server_default="")
    # False for a variant whose stock is not really counted (Shopify did not track it): it
    # holds a generous on hand, and shoppers see "In stock", never a number.
    stock_tracked: Mapped[bool] = mapped_column(Boolean, default=True,
                                                server_default=text("true"))
    # A GTIN/EAN/UPC as printed under the bar code; unique where set.
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    # Set when staff take the variant off sale; it is never deleted once sold or stocked.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship(back_populates="variants")
    size: Mapped[Size] = relationship(lazy="joined")
    width: Mapped[Width] = relationship(lazy="joined")
    colour: Mapped[Colour] = relationship(lazy="joined")

    @validates("attributes")
    def _keep_option_key(self, _key, attributes):
        self.option_key = attributes_key(attributes)
        return attributes

    @property
    def label(self):
        label = f"Size {self.size.label}, {self.width.label}, {self.colour.name}"
        return f"{label}, {self.option_key}" if self.option_key else label


def attributes_key(attributes):
    """A variant's attributes as one text, sorted by name; "" for none."""
    return "; ".join(f"{name}: {value}" for name, value in sorted((attributes or {}).items()))


class PriceChange(db.Model):
    """One change of a variant's price or compare-at price by staff; rows are never updated.

    `old_*` are empty for the price a variant was created with.
    """

    __tablename__ = "price_change"
    __table_args__ = (Index("ix_price_change_variant_id_id", "variant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"))
    old_price_cents: Mapped[int | None] = mapped_column(Integer)
    new_price_cents: Mapped[int] = mapped_column(Integer)
    old_compare_at_cents: Mapped[int | None] = mapped_column(Integer)
    new_compare_at_cents: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))
    changed_at = created_at_column()

    variant: Mapped[Variant] = relationship()


# PostgreSQL only: a GIN index over the search document (SQLite searches with LIKE).
Index("ix_product_search", search_document(Product.__table__),
      postgresql_using="gin").ddl_if(dialect="postgresql")


class SearchSynonym(db.Model):
    """Words shoppers use for the same thing ("velcro, hook-and-loop, strap"): a search
    for any of them finds products described with any other. Staff edit the list."""

    __tablename__ = "search_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower-case words or phrases separated by commas.
    words: Mapped[str] = mapped_column(String(500))


# Trigram similarity for misspelt searches (catalogue/trigrams.py); migration 0024 on
# databases built by migrations. Without it the same measure is computed in Python.
event.listen(SearchSynonym.__table__, "after_create", DDL(
    "CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))

announce_edits("catalogue", Product, ProductImage, Variant, Feature, Tag, Size, Width, Colour)
announce_edits("search", SearchSynonym)
