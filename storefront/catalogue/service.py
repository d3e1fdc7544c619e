"""Catalogue reads: product listings, product pages and their stock, all in a fixed few queries."""

import math
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..exceptions import DomainError
from ..extensions import db
from ..inventory import service as inventory
from .models import CATEGORIES, GENDERS, Colour, Product, Size, Tag, Variant, Width

SORTS = {
    "featured": "Featured",
    "newest": "Newest",
    "price_asc": "Price, low to high",
    "price_desc": "Price, high to low",
    "title": "Name, A to Z",
}


def stock_status(available, threshold):
    """in_stock / low_stock / sold_out; zero or less is sold out, so no negative is ever shown."""
    if available <= 0:
        return "sold_out"
    if available <= threshold:
        return "low_stock"
    return "in_stock"


def stock_text(available, threshold):
    """The words shoppers see for a stock level."""
    status = stock_status(available, threshold)
    if status == "sold_out":
        return "Sold out"
    if status == "low_stock":
        return f"Only {available} left"
    return "In stock"


class ProductNotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, slug):
        super().__init__(f"There is no product called {slug!r}.")


@dataclass
class Filters:
    """The catalogue's query string, parsed; unknown values are dropped, not errors."""

    q: str = ""
    size: str = ""
    width: str = ""
    colour: str = ""
    category: str = ""
    gender: str = ""
    in_stock: bool = False
    sort: str = "featured"
    page: int = 1

    @classmethod
    def from_args(cls, args):
        def pick(name, allowed=None):
            value = (args.get(name) or "").strip()[:100]
            return value if allowed is None or value in allowed else ""

        try:
            page = int(args.get("page", 1))
        except (TypeError, ValueError):
            page = 1
        return cls(
            q=pick("q"),
            size=pick("size"),
            width=pick("width"),
            colour=pick("colour"),
            category=pick("category", CATEGORIES),
            gender=pick("gender", GENDERS),
            in_stock=args.get("in_stock") in ("1", "on", "true"),
            sort=pick("sort", SORTS) or "featured",
            page=min(max(page, 1), 10_000),
        )

    def args(self, **overrides):
        """The filter state as query arguments (for links that keep it)."""
        values = {
            "q": self.q, "size": self.size, "width": self.width, "colour": self.colour,
            "category": self.category, "gender": self.gender,
            "in_stock": "1" if self.in_stock else "",
            "sort": "" if self.sort == "featured" else self.sort,
            "page": self.page if self.page > 1 else "",
        } | overrides
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def active(self):
        return any((self.q, self.size, self.width, self.colour, self.category,
                    self.gender, self.in_stock))


@dataclass
class Card:
    """What a product card shows: cheapest price and the product's stock in words."""

    product: Product
    price_cents: int
    compare_at_cents: int | None
    available: int

    @property
    def status(self):
        return stock_status(self.available, self.product.low_stock_threshold)


@dataclass
class Listing:
    cards: list
    total: int
    page: int
    pages: int
    filters: Filters
    options: dict = field(default_factory=dict)


def _cards(products):
    variant_ids = [v.id for p in products for v in p.variants]
    stock = inventory.levels(variant_ids)
    cards = []
    for product in products:
        if not product.variants:
            continue
        cheapest = min(product.variants, key=lambda v: v.price_cents)
        available = sum(stock[v.id].available for v in product.variants if v.id in stock)
        cards.append(Card(product, cheapest.price_cents, cheapest.compare_at_cents, available))
    return cards


def _with_card_data(query):
    return query.options(
        selectinload(Product.images),
        selectinload(Product.variants),
    )


def option_values():
    """Every size, width and colour, for filter controls."""
    return {
        "sizes": db.session.scalars(select(Size).order_by(Size.sort_key)).all(),
        "widths": db.session.scalars(select(Width).order_by(Width.sort_key)).all(),
        "colours": db.session.scalars(select(Colour).order_by(Colour.name)).all(),
    }


def list_products(filters, per_page=24):
    """One page of published products matching `filters`, as cards."""
    query = select(Product).where(Product.published.is_(True))
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.gender:
        query = query.where(Product.gender.in_([filters.gender, "unisex"]))
    if filters.q:
        like = f"%{filters.q.lower()}%"
        query = query.where(or_(
            func.lower(Product.title).like(like),
            func.lower(Product.summary).like(like),
            func.lower(Product.description).like(like),
            Product.tags.any(func.lower(Tag.name).like(like)),
            Product.variants.any(func.lower(Variant.sku).like(like)),
        ))
    variant_match = []
    if filters.size:
        variant_match.append(Variant.size.has(Size.label == filters.size))
    if filters.width:
        variant_match.append(Variant.width.has(Width.code == filters.width))
    if filters.colour:
        variant_match.append(Variant.colour.has(Colour.slug == filters.colour))
    if filters.in_stock:
        variant_match.append(Variant.id.in_(inventory.in_stock_variant_ids()))
    if variant_match:
        query = query.where(
            exists().where(Variant.product_id == Product.id, *variant_match)
        )

    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(math.ceil(total / per_page), 1)
    min_price = (select(func.min(Variant.price_cents))
                 .where(Variant.product_id == Product.id).scalar_subquery())
    order = {
        "featured": (Product.featured.desc(), Product.id),
        "newest": (Product.created_at.desc(), Product.id.desc()),
        "price_asc": (min_price, Product.id),
        "price_desc": (min_price.desc(), Product.id),
        "title": (Product.title, Product.id),
    }[filters.sort]
    page = min(filters.page, pages)
    products = db.session.scalars(
        _with_card_data(query).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Listing(_cards(products), total, page, pages, filters)


def featured_cards(limit=8):
    """Published products marked as featured, for the home page."""
    products = db.session.scalars(
        _with_card_data(select(Product))
        .where(Product.published.is_(True), Product.featured.is_(True))
        .order_by(Product.id)
        .limit(limit)
    ).all()
    return _cards(products)


@dataclass
class ProductPage:
    product: Product
    variants: list
    stock: dict
    selected: Variant | None
    choice: dict

    def available(self, variant):
        levels = self.stock.get(variant.id)
        return levels.available if levels else 0

    @property
    def total_available(self):
        return sum(self.available(v) for v in self.variants)

    def options(self, kind):
        """The values of one option (size/width/colour), each with whether any matching
        variant, given the other chosen options, has stock."""
        attr = {"size": "size", "width": "width", "colour": "colour"}[kind]
        others = {k: v for k, v in self.choice.items() if k != kind and v}
        seen = {}
        for variant in self.variants:
            value = getattr(variant, attr)
            if any(_option_key(variant, k) != v for k, v in others.items()):
                seen.setdefault(value.id, (value, False))
                continue
            in_stock = seen.get(value.id, (value, False))[1] or self.available(variant) > 0
            seen[value.id] = (value, in_stock)
        return sorted(seen.values(), key=lambda pair: _sort_key(pair[0]))


def _option_key(variant, kind):
    return {"size": variant.size.label, "width": variant.width.code,
            "colour": variant.colour.slug}[kind]


def _sort_key(value):
    return getattr(value, "sort_key", None) or getattr(value, "name", "")


def product_page(slug, choice=None):
    """A published product with variants and stock; `choice` picks size/width/colour.

    Raises ProductNotFound.
    """
    product = db.session.scalars(
        select(Product)
        .where(Product.slug == slug, Product.published.is_(True))
        .options(selectinload(Product.images), selectinload(Product.tags),
                 selectinload(Product.variants))
    ).first()
    if product is None:
        raise ProductNotFound(slug)
    variants = product.variants
    stock = inventory.levels([v.id for v in variants])
    choice = {k: (choice or {}).get(k, "") for k in ("size", "width", "colour")}
    selected = None
    if all(choice.values()):
        selected = next((v for v in variants
                         if all(_option_key(v, k) == choice[k] for k in choice)), None)
    elif len(variants) == 1:
        selected = variants[0]
    return ProductPage(product, variants, stock, selected, choice)


def product_json(slug):
    """The public JSON view of a product: its variants with price and live availability."""
    page = product_page(slug)
    threshold = page.product.low_stock_threshold
    return {
        "slug": page.product.slug,
        "title": page.product.title,
        "currency": current_app.config["SHOP_CURRENCY"],
        "variants": [
            {
                "id": v.id,
                "sku": v.sku,
                "size": v.size.label,
                "width": v.width.code,
                "colour": v.colour.name,
                "price": v.price_cents,
                "compare_at_price": v.compare_at_cents,
                "available": page.available(v),
                "status": stock_status(page.available(v), threshold),
            }
            for v in page.variants
        ],
    }


def variants_by_id(variant_ids):
    """Published variants with their product, keyed by id (for carts and orders)."""
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Variant)
        .join(Variant.product)
        .where(Variant.id.in_(ids), Product.published.is_(True))
        .options(selectinload(Variant.product).selectinload(Product.images))
    ).all()
    return {v.id: v for v in rows}
