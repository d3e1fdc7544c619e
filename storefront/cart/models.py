"""Discount codes, the products they apply to, and each order's use of one.

A code's usage limit is a promise like stock: `times_used` only moves by one
conditional UPDATE (see cart.discounts), and the CHECK below is the last line.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, created_at_column, utcnow

DISCOUNT_KINDS = {"percent": "Percentage off", "fixed": "Fixed amount off"}

discount_product = Table(
    "discount_product",
    db.metadata,
    Column("discount_id", ForeignKey("discount.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
)


class Discount(db.Model):
    """A code shoppers type on the cart; `code` is kept upper-case, so it matches any case."""

    __tablename__ = "discount"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed')", name="kind_known"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind != 'percent' OR value <= 100", name="percent_at_most_100"),
        CheckConstraint("min_subtotal_cents IS NULL OR min_subtotal_cents >= 0",
                        name="min_subtotal_non_negative"),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit_positive"),
        CheckConstraint("times_used >= 0", name="times_used_non_negative"),
        CheckConstraint("usage_limit IS NULL OR times_used <= usage_limit",
                        name="within_usage_limit"),
        CheckConstraint("starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at",
                        name="ends_after_it_starts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    # A percentage (1-100) or an amount in the shop currency's minor units.
    value: Mapped[int] = mapped_column(Integer)
    min_subtotal_cents: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    times_used: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    once_per_email: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # By class name: the catalogue stands below the cart and never imports it.
    products = relationship("Product", secondary=discount_product, order_by="Product.title")

    @property
    def uses_left(self):
        return None if self.usage_limit is None else max(self.usage_limit - self.times_used, 0)


class DiscountRedemption(db.Model):
    """One order's use of a code, taken at checkout; `released_at` when it was given back."""

    __tablename__ = "discount_redemption"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        # One use per e-mail address for codes that say so: the last line behind the check.
        Index("uq_discount_redemption_email", "discount_id", "email", unique=True,
              sqlite_where=text("email IS NOT NULL AND released_at IS NULL"),
              postgresql_where=text("email IS NOT NULL AND released_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discount_id: Mapped[int] = mapped_column(ForeignKey("discount.id"), index=True)
    # By table name: checkout stands above the cart.
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at = created_at_column()
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    discount: Mapped[Discount] = relationship()


class ShippingRate(db.Model):
    """A way of sending the parcel: its price, when it is free, and where it goes."""

    __tablename__ = "shipping_rate"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("free_at_cents IS NULL OR free_at_cents >= 0",
                        name="free_at_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price_cents: Mapped[int] = mapped_column(Integer)
    # Free when the goods (after any discount) cost at least this; None: never free.
    free_at_cents: Mapped[int | None] = mapped_column(Integer)
    # ISO 3166 country codes it serves, upper case, separated by spaces ("US CA").
    countries: Mapped[str] = mapped_column(String(1000))
    estimate: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = created_at_column()

    @property
    def country_codes(self):
        return self.countries.split()

    def serves(self, country):
        return bool(country) and country.upper() in self.country_codes

    def price_for(self, goods_cents):
        """The price of sending goods worth `goods_cents` (minor units) this way."""
        if self.free_at_cents is not None and goods_cents >= self.free_at_cents:
            return 0
        return self.price_cents


class TaxRate(db.Model):
    """Sales tax for a country, or one region of it (`region` "" is the whole country)."""

    __tablename__ = "tax_rate"
    __table_args__ = (
        CheckConstraint("basis_points >= 0 AND basis_points <= 10000",
                        name="basis_points_in_range"),
        UniqueConstraint("country", "region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    # As the address names it, upper case: "CA" for California, "ON" for Ontario.
    region: Mapped[str] = mapped_column(String(120), default="")
    # Hundredths of a percent: 825 is 8.25 %.
    basis_points: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80), default="Sales tax")
    taxes_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at = created_at_column()

    @property
    def percent(self):
        """The rate as people write it: "8.25", "20"."""
        whole, part = divmod(self.basis_points, 100)
        return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)

    @property
    def label(self):
        return f"{self.name} {self.percent}%"
