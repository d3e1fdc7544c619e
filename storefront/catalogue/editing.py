"""Products in the back office: the staff list, creating a product and saving edits.

Copy, classification (category, gender, tags, adaptive features), the size chart, the
status (published, draft, archived) and the switches are edited here; variants and
prices in `variants.py`; stock belongs to inventory. Every save raises the product's
`revision`, and a save that started from an older revision is refused as stale.
"""

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..models import utcnow
from .models import CATEGORIES, GENDERS, STATUSES, Feature, Product, Tag, Variant
from .service import _escape_like, _matches_word, parse_size_chart, search_words

# The longest text each field may hold: the column's length, or a sane cap for TEXT.
MAX_LENGTHS = {
    "title": Product.__table__.c.title.type.length,
    "summary": Product.__table__.c.summary.type.length,
    "description": 100_000,
    "fit_notes": 5_000,
    "size_chart": 2_000,
    "seo_title": Product.__table__.c.seo_title.type.length,
    "seo_description": Product.__table__.c.seo_description.type.length,
}
TEXT_FIELDS = tuple(MAX_LENGTHS)
# How a changed field is named in the message after saving, in form order.
FIELD_NAMES = {
    "title": "title",
    "summary": "summary",
    "description": "description",
    "fit_notes": "fit notes",
    "size_chart": "size chart",
    "seo_title": "SEO title",
    "seo_description": "SEO description",
    "category": "category",
    "gender": "gender",
    "tags": "tags",
    "features": "adaptive features",
}
SWITCH_WORDS = {
    "featured": ("now featured", "no longer featured"),
    "allows_mismatched": ("sold as mismatched pairs", "no longer sold as mismatched pairs"),
}
STATUS_WORDS = {"published": "now published", "draft": "now a draft",
                "archived": "now archived"}
MAX_TAGS = 20
MAX_TAG_LENGTH = Tag.__table__.c.name.type.length
MAX_SLUG_LENGTH = Product.__table__.c.slug.type.length
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PER_PAGE = 50


class UnknownProduct(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, product_id):
        super().__init__(f"There is no product number {product_id}.")


class InvalidProductCopy(InvalidFields):
    """The copy has a problem; `errors` maps field names to messages."""

    code = "invalid_product_copy"
    errors_key = "fields"


class StaleEdit(DomainError):
    """The product changed after the editor was opened; nothing was saved."""

    status = 409
    code = "stale_edit"

    def __init__(self, product):
        super().__init__(
            f"{product.title} was changed by someone else after you opened this page, so "
            "nothing was saved. The page now shows the current values: make your change "
            "again.")


@dataclass(frozen=True)
class ProductCopy:
    """What staff may change about a product outside its variants and prices."""

    title: str
    summary: str = ""
    description: str = ""
    fit_notes: str = ""
    size_chart: str = ""
    seo_title: str = ""
    seo_description: str = ""
    featured: bool = False
    allows_mismatched: bool = False
    # None keeps what the product has, so a caller may change only the copy.
    category: str | None = None
    gender: str | None = None
    status: str | None = None
    tags: tuple | None = None  # tag names, as typed
    features: tuple | None = None  # feature slugs

    @classmethod
    def of(cls, product):
        """The product's current copy (empty text where a field was never set)."""
        return cls(**{name: getattr(product, name) or "" for name in TEXT_FIELDS},
                   featured=bool(product.featured),
                   allows_mismatched=bool(product.allows_mismatched),
                   category=product.category, gender=product.gender, status=product.status,
                   tags=tuple(t.name for t in product.tags),
                   features=tuple(f.slug for f in product.features))


def clean_text(value):
    """Text as typed, without surrounding whitespace and with browser line ends (CRLF)
    made plain newlines, so blank lines still split paragraphs."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def split_tags(value):
    """Tag names from a comma-separated list, stripped, without repeats (any case)."""
    names, seen = [], set()
    for name in (value or "").split(","):
        name = " ".join(name.split())
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return tuple(names)


def slugify(text):
    """A web address part from a title: lowercase ASCII letters and digits with hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-")


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
    variant_count = (select(func.count(Variant.id))
                     .where(Variant.product_id == Product.id, Variant.retired_at.is_(None))
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


def all_features():
    """Every adaptive feature, in the shop's order, for the editor's checkboxes."""
    return db.session.scalars(select(Feature).order_by(Feature.position, Feature.name)).all()


def _cleaned(copy):
    return ProductCopy(
        **{name: clean_text(getattr(copy, name)) for name in TEXT_FIELDS},
        featured=bool(copy.featured), allows_mismatched=bool(copy.allows_mismatched),
        category=copy.category, gender=copy.gender, status=copy.status,
        tags=None if copy.tags is None else split_tags(",".join(copy.tags)),
        features=None if copy.features is None else tuple(dict.fromkeys(copy.features)),
    )


def _check(copy, features):
    errors = {}
    if not copy.title:
        errors["title"] = "Give the product a title."
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(copy, name)) > limit:
            errors[name] = f"Keep it to {limit:,} characters or fewer."
    if "size_chart" not in errors:
        try:
            parse_size_chart(copy.size_chart)
        except ValueError as bad:
            errors["size_chart"] = str(bad)
    if copy.category is not None and copy.category not in CATEGORIES:
        errors["category"] = "Choose one of the shop's categories."
    if copy.gender is not None and copy.gender not in GENDERS:
        errors["gender"] = "Choose women, men or unisex."
    if copy.status is not None and copy.status not in STATUSES:
        errors["status"] = "Choose published, draft or archived."
    if copy.tags is not None:
        if len(copy.tags) > MAX_TAGS:
            errors["tags"] = f"Give at most {MAX_TAGS} tags."
        elif any(len(name) > MAX_TAG_LENGTH or not slugify(name) for name in copy.tags):
            errors["tags"] = (f"Each tag needs a letter or digit and at most {MAX_TAG_LENGTH} "
                              "characters; separate tags with commas.")
    if copy.features is not None and set(copy.features) - set(features):
        errors["features"] = "Choose adaptive features from the list."
    return errors


def _tags(names):
    """Tag rows for `names`, existing ones by their web address part, new ones created."""
    slugs = {slugify(name): name for name in names}
    found = {t.slug: t for t in db.session.scalars(select(Tag).where(Tag.slug.in_(slugs)))}
    tags = []
    for slug, name in slugs.items():
        if slug not in found:
            found[slug] = Tag(slug=slug, name=name)
            db.session.add(found[slug])
        tags.append(found[slug])
    return tags


def _set_status(product, status):
    if status == product.status:
        return False
    product.published = status == "published"
    product.archived_at = utcnow() if status == "archived" else None
    return True


def _apply(product, copy, before, features):
    """Write what differs between `before` and `copy`; returns the changes in words."""
    changed = []
    for name in TEXT_FIELDS:
        if getattr(before, name) != getattr(copy, name):
            value = getattr(copy, name)
            if name.startswith("seo_") and not value:
                value = None  # unset: the page falls back to the title or summary
            setattr(product, name, value)
            changed.append(FIELD_NAMES[name])
    for name in ("category", "gender"):
        if getattr(copy, name) is not None and getattr(before, name) != getattr(copy, name):
            setattr(product, name, getattr(copy, name))
            changed.append(FIELD_NAMES[name])
    if copy.tags is not None and {t.lower() for t in before.tags} != {
            t.lower() for t in copy.tags}:
        product.tags = _tags(copy.tags)
        changed.append(FIELD_NAMES["tags"])
    if copy.features is not None and set(before.features) != set(copy.features):
        product.features = [features[slug] for slug in copy.features]
        changed.append(FIELD_NAMES["features"])
    for name, (on, off) in SWITCH_WORDS.items():
        if getattr(before, name) != getattr(copy, name):
            setattr(product, name, getattr(copy, name))
            changed.append(on if getattr(copy, name) else off)
    if copy.status is not None and _set_status(product, copy.status):
        changed.append(STATUS_WORDS[copy.status])
    return changed


def _features_by_slug():
    return {f.slug: f for f in all_features()}


@transactional
def save_copy(product_id, copy, revision=None):
    """Write the fields of `copy` that differ from the product's; returns the product and
    what changed, in words ("title", "fit notes", "now featured" ...), empty when nothing did.

    `revision` is the product's revision the editor showed; a product saved since then is
    refused. Public pages show the change as soon as this commits (the catalogue is tracked
    by the page cache). Raises UnknownProduct, StaleEdit, or InvalidProductCopy with nothing
    written.
    """
    copy = _cleaned(copy)
    features = _features_by_slug()
    errors = _check(copy, features)
    if errors:
        raise InvalidProductCopy(errors=errors)
    # Locked and re-read, so "what changed" is measured against the row as it is now.
    product = db.session.get(Product, product_id, with_for_update=True, populate_existing=True)
    if product is None:
        raise UnknownProduct(product_id)
    if revision is not None and revision != product.revision:
        raise StaleEdit(product)
    changed = _apply(product, copy, ProductCopy.of(product), features)
    if changed:
        product.revision += 1
    return product, changed


def _check_slug(slug):
    if not slug:
        return "Give the product a web address, or a title to make one from."
    if len(slug) > MAX_SLUG_LENGTH or not SLUG.match(slug):
        return (f"Use lowercase letters, digits and single hyphens, at most "
                f"{MAX_SLUG_LENGTH} characters (like “harbor-afo-walker”).")
    if db.session.scalar(select(Product.id).where(Product.slug == slug)) is not None:
        return f"Another product already has the web address “{slug}”."
    return None


@transactional
def create_product(copy, slug=""):
    """Create a product from `copy` with no variants yet (they are added on the variant
    grid); a draft unless `copy.status` says otherwise. `slug` defaults to one made from the
    title. Returns the product; raises InvalidProductCopy with nothing written."""
    copy = _cleaned(copy)
    copy = ProductCopy(**{**vars(copy), "category": copy.category or "",
                          "gender": copy.gender or "", "status": copy.status or "draft",
                          "tags": copy.tags or (), "features": copy.features or ()})
    slug = (slug or "").strip().lower() or slugify(copy.title)
    features = _features_by_slug()
    errors = _check(copy, features)
    slug_error = _check_slug(slug)
    if slug_error:
        errors["slug"] = slug_error
    if errors:
        raise InvalidProductCopy(errors=errors)
    product = Product(slug=slug, title=copy.title, category=copy.category,
                      gender=copy.gender, published=False, featured=False,
                      low_stock_threshold=5, revision=1)
    db.session.add(product)
    empty = ProductCopy(title="", category="", gender="", status="draft", tags=(),
                        features=())
    _apply(product, copy, empty, features)
    try:
        db.session.flush()
    except IntegrityError:  # the same address taken by another save just now
        raise InvalidProductCopy(errors={
            "slug": f"Another product already has the web address “{slug}”."}) from None
    return product

