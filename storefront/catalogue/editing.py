"""Product copy for the back office: the staff list of products and saving copy edits.

Only the words and two switches (featured, mismatched pairs) are edited here. The web
address, prices, options and publishing come from the Shopify import or the demo data,
and stock belongs to inventory.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from .models import Product, Variant
from .service import _escape_like, _matches_word, search_words

# The longest text each field may hold: the column's length, or a sane cap for TEXT.
MAX_LENGTHS = {
    "title": Product.__table__.c.title.type.length,
    "summary": Product.__table__.c.summary.type.length,
    "description": 100_000,
    "fit_notes": 5_000,
    "seo_title": Product.__table__.c.seo_title.type.length,
    "seo_description": Product.__table__.c.seo_description.type.length,
}
TEXT_FIELDS = tuple(MAX_LENGTHS)
# How a changed text field is named in the message after saving, in form order.
FIELD_NAMES = {
    "title": "title",
    "summary": "summary",
    "description": "description",
    "fit_notes": "fit notes",
    "seo_title": "SEO title",
    "seo_description": "SEO description",
}
SWITCH_WORDS = {
    "featured": ("now featured", "no longer featured"),
    "allows_mismatched": ("sold as mismatched pairs", "no longer sold as mismatched pairs"),
}
PER_PAGE = 50


class UnknownProduct(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, product_id):
        super().__init__(f"There is no product number {product_id}.")


class InvalidProductCopy(DomainError):
    """The copy has a problem; `errors` maps field names to messages."""

    status = 422
    code = "invalid_product_copy"

    def __init__(self, errors):
        super().__init__(" ".join(errors.values()))
        self.errors = errors

    def to_dict(self):
        return super().to_dict() | {"fields": self.errors}


@dataclass(frozen=True)
class ProductCopy:
    """What marketing may change about a product."""

    title: str
    summary: str = ""
    description: str = ""
    fit_notes: str = ""
    seo_title: str = ""
    seo_description: str = ""
    featured: bool = False
    allows_mismatched: bool = False

    @classmethod
    def of(cls, product):
        """The product's current copy (empty text where a field was never set)."""
        return cls(**{name: getattr(product, name) or "" for name in TEXT_FIELDS},
                   featured=bool(product.featured),
                   allows_mismatched=bool(product.allows_mismatched))


def clean_text(value):
    """Text as typed, without surrounding whitespace and with browser line ends (CRLF)
    made plain newlines, so blank lines still split paragraphs."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass(frozen=True)
class ProductRow:
    product: Product
    variant_count: int


@dataclass(frozen=True)
class ProductList:
    rows: list
    q: str
    page: int
    has_next: bool


def product_list(q="", page=1, per_page=None):
    """One page of every product, published or not, by title; each word of `q` must match
    the product the way the shop's search does, or its web address. One query."""
    variant_count = (select(func.count(Variant.id)).where(Variant.product_id == Product.id)
                     .scalar_subquery())
    query = select(Product, variant_count)
    for word in search_words(q):
        query = query.where(or_(_matches_word(word),
                                Product.slug.like(f"%{_escape_like(word)}%", escape="\\")))
    per_page = per_page or PER_PAGE
    page = min(max(page, 1), 10_000)
    rows = db.session.execute(
        query.order_by(Product.title, Product.id).limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    return ProductList([ProductRow(product, count) for product, count in rows[:per_page]],
                       q, page, len(rows) > per_page)


def get_product(product_id):
    """Any product, published or not, for editing; raises UnknownProduct."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise UnknownProduct(product_id)
    return product


def _check(copy):
    errors = {}
    if not copy.title:
        errors["title"] = "Give the product a title."
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(copy, name)) > limit:
            errors[name] = f"Keep it to {limit:,} characters or fewer."
    if errors:
        raise InvalidProductCopy(errors)


@transactional
def save_copy(product_id, copy):
    """Write the fields of `copy` that differ from the product's; returns the product and
    what changed, in words ("title", "fit notes", "now featured" ...), empty when nothing did.

    Public pages show the change as soon as this commits (the catalogue is tracked by the
    page cache). Raises UnknownProduct, or InvalidProductCopy with nothing written.
    """
    copy = ProductCopy(**{name: clean_text(getattr(copy, name)) for name in TEXT_FIELDS},
                       featured=bool(copy.featured),
                       allows_mismatched=bool(copy.allows_mismatched))
    _check(copy)
    # Locked and re-read, so "what changed" is measured against the row as it is now.
    product = db.session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise UnknownProduct(product_id)
    before = ProductCopy.of(product)
    changed = []
    for name in TEXT_FIELDS:
        if getattr(before, name) != getattr(copy, name):
            value = getattr(copy, name)
            if name.startswith("seo_") and not value:
                value = None  # unset: the page falls back to the title or summary
            setattr(product, name, value)
            changed.append(FIELD_NAMES[name])
    for name, (on, off) in SWITCH_WORDS.items():
        if getattr(before, name) != getattr(copy, name):
            setattr(product, name, getattr(copy, name))
            changed.append(on if getattr(copy, name) else off)
    return product, changed
