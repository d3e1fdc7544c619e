"""Catalogue reads: product listings, product pages and their stock, all in a fixed few queries."""

import difflib
import math
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import case, delete, exists, func, or_, select, text
from sqlalchemy.orm import aliased, selectinload

from .. import inputs as query
from ..database import transactional
from ..exceptions import DomainError
from ..extensions import db
from ..inventory import service as inventory
from . import trigrams
from .models import (
    CATEGORIES,
    GENDERS,
    Colour,
    Feature,
    Product,
    SearchSynonym,
    Size,
    Tag,
    Variant,
    Width,
    search_document,
)

SORTS = {
    "featured": "Featured",
    "relevance": "Best match",
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


MAX_SYNONYM_GROUPS = 200


class InvalidSynonyms(DomainError):
    status = 422
    code = "invalid_synonyms"


class ProductNotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, slug):
        super().__init__(f"There is no product called {slug!r}.")


@dataclass
class Filters(query.QueryFilters):
    """The catalogue's query string, parsed; unknown values are dropped, not errors."""

    q: str = query.text()
    size: str = query.text()
    width: str = query.text()
    colour: str = query.text()
    category: str = query.choice(CATEGORIES)
    gender: str = query.choice(GENDERS)
    in_stock: bool = query.flag()
    sort: str = query.choice(SORTS, "featured")
    page: int = query.page()
    features: tuple = query.words(name="feature")
    fit: str = query.choice(("me",))

    @property
    def active(self):
        return any((self.q, self.size, self.width, self.colour, self.category,
                    self.gender, self.in_stock, self.features, self.fit))


# The feature that says a shoe has room for an ankle-foot orthosis.
BRACE_FEATURE = "afo-compatible"


@dataclass(frozen=True)
class Fit:
    """A shopper's feet, as the catalogue matches shoes to them: size and width ids per
    foot and whether a brace is worn (the account package builds it)."""

    left_size_id: int
    left_width_id: int
    right_size_id: int
    right_width_id: int
    brace: bool

    @property
    def mismatched(self):
        return (self.left_size_id, self.left_width_id) != (self.right_size_id,
                                                           self.right_width_id)

    def matches(self, variant, foot):
        if foot == "left":
            return (variant.size_id, variant.width_id) == (self.left_size_id,
                                                           self.left_width_id)
        return (variant.size_id, variant.width_id) == (self.right_size_id, self.right_width_id)

    def fits(self, product, available):
        """Whether `product` can be had now in both of the shopper's sizes, in one colour
        (a mismatched pair only where the shoe allows it) and, with a brace, has room for
        it. `available(variant)` gives a variant's units for sale."""
        if self.brace and all(f.slug != BRACE_FEATURE for f in product.features):
            return False
        if self.mismatched and not product.allows_mismatched:
            return False
        colours = {}
        for variant in product.variants:
            if available(variant) > 0:
                for foot in ("left", "right"):
                    if self.matches(variant, foot):
                        colours.setdefault(variant.colour_id, set()).add(foot)
        return any(feet == {"left", "right"} for feet in colours.values())


def _fits_condition(fit):
    """SQL for Fit.fits: the same rule, so the filter and the card's words agree."""
    left = aliased(Variant)
    right = aliased(Variant)
    in_stock = inventory.in_stock_variant_ids()
    both_feet = exists().where(
        left.product_id == Product.id, left.retired_at.is_(None),
        left.size_id == fit.left_size_id, left.width_id == fit.left_width_id,
        left.id.in_(in_stock),
        exists().where(right.product_id == left.product_id, right.retired_at.is_(None),
                       right.colour_id == left.colour_id,
                       right.size_id == fit.right_size_id,
                       right.width_id == fit.right_width_id,
                       right.id.in_(in_stock)))
    conditions = [both_feet]
    if fit.mismatched:
        conditions.append(Product.allows_mismatched.is_(True))
    if fit.brace:
        conditions.append(Product.features.any(Feature.slug == BRACE_FEATURE))
    return conditions


@dataclass
class Card:
    """What a product card shows: cheapest price and the product's stock in words; for a
    shopper with a fit profile, whether the shoe is there in their size (else None)."""

    product: Product
    price_cents: int
    compare_at_cents: int | None
    available: int
    in_your_size: bool | None = None

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
    # When nothing matched: a search in the shop's own words that would ("snekaer" -> "sneaker").
    suggestion: str = ""
    # When misspelt words were read as the shop's closest words: the search as it was read.
    corrected: str = ""


def _cards(products, fit=None):
    variant_ids = [v.id for p in products for v in p.variants]
    stock = inventory.levels(variant_ids)

    def units(variant):
        return stock[variant.id].available if variant.id in stock else 0

    cards = []
    for product in products:
        if not product.variants:
            continue
        cheapest = min(product.variants, key=lambda v: v.price_cents)
        available = sum(units(v) for v in product.variants)
        cards.append(Card(product, cheapest.price_cents, cheapest.compare_at_cents, available,
                          fit.fits(product, units) if fit is not None else None))
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
        "features": db.session.scalars(select(Feature).order_by(Feature.position)).all(),
    }


def list_products(filters, per_page=24, fit=None):
    """One page of published products matching `filters`, as cards. With the shopper's
    `fit`, the cards say whether each shoe is there in their size, and `fit=me` keeps
    only those; without one, `fit=me` is ignored."""
    query = select(Product).where(Product.published.is_(True))
    if filters.fit and fit is not None:
        query = query.where(*_fits_condition(fit))
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.gender:
        query = query.where(Product.gender.in_([filters.gender, "unisex"]))
    groups = synonym_groups() if filters.q else []
    words, corrections = search_words(filters.q), {}
    for word in words:
        alternatives = with_synonyms(word, groups)
        if len(word) >= MIN_TYPO_LENGTH and not _finds_any(alternatives):
            # A word no product has: read it as the shop's closest word ("snekaer"),
            # so the shoes shown are those the notice names.
            close = trigrams.closest(word, _vocabulary(groups), limit=1)
            if close:
                corrections[word] = close[0]
                alternatives = with_synonyms(close[0], groups)
        query = query.where(or_(*(_matches_word(w) for w in alternatives)))
    for slug in filters.features:
        query = query.where(Product.features.any(Feature.slug == slug))
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
            exists().where(Variant.product_id == Product.id, Variant.retired_at.is_(None),
                           *variant_match)
        )

    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(math.ceil(total / per_page), 1)
    min_price = (select(func.min(Variant.price_cents))
                 .where(Variant.product_id == Product.id, Variant.retired_at.is_(None))
                 .scalar_subquery())
    order = {
        "relevance": _relevance(filters.q),
        "featured": (Product.featured.desc(), Product.id),
        "newest": (Product.created_at.desc(), Product.id.desc()),
        "price_asc": (min_price, Product.id),
        "price_desc": (min_price.desc(), Product.id),
        "title": (Product.title, Product.id),
    }[filters.sort]
    page = min(filters.page, pages)
    query = _with_card_data(query)
    if fit is not None and fit.brace:  # the cards check each shoe's room for a brace
        query = query.options(selectinload(Product.features))
    products = db.session.scalars(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    suggestion = did_you_mean(filters.q, groups) if total == 0 and filters.q else ""
    corrected = " ".join(corrections.get(w, w) for w in words) if corrections and total else ""
    return Listing(_cards(products, fit), total, page, pages, filters, suggestion=suggestion,
                   corrected=corrected)


# Shorter words are too often a close spelling of some other real word to be read as
# one ("hose"); they get a "Did you mean" instead.
MIN_TYPO_LENGTH = 5


def _finds_any(words):
    """Whether some published product matches any of `words`."""
    return db.session.scalar(select(exists().where(
        Product.published.is_(True), or_(*(_matches_word(w) for w in words)))))


def search_words(q):
    """The words of a search, lower-cased; punctuation other than - and . splits words."""
    return re.findall(r"[\w.-]+", q.lower())[:8]


def _stem(word):
    """A light English stem so 'boots', 'walking' and 'walked' find 'boot' and 'walk'."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            # running -> run, strapped -> strap
            if suffix in ("ing", "ed") and len(stem) > 3 and stem[-1] == stem[-2]:
                stem = stem[:-1]
            return stem
    return word


def _matches_word(word):
    """Products whose text, tags, features or SKUs contain the word (or its stem).

    PostgreSQL also matches its full-text index; LIKE on the stem keeps plain
    words finding the same products on SQLite and PostgreSQL.
    """
    like = f"%{_escape_like(_stem(word))}%"
    conditions = [
        func.lower(Product.title).like(like, escape="\\"),
        func.lower(Product.summary).like(like, escape="\\"),
        func.lower(Product.description).like(like, escape="\\"),
        Product.tags.any(func.lower(Tag.name).like(like, escape="\\")),
        Product.features.any(func.lower(Feature.name).like(like, escape="\\")),
        Product.variants.any(func.lower(Variant.sku).like(like, escape="\\")),
    ]
    if db.engine.dialect.name == "postgresql":
        conditions.append(search_document(Product.__table__).op("@@")(
            func.plainto_tsquery(text("'english'::regconfig"), word)))
    return or_(*conditions)


def synonym_groups():
    """The staff's synonym groups, each a list of lower-case words or phrases."""
    return [_split_words(words) for words in db.session.scalars(
        select(SearchSynonym.words).order_by(SearchSynonym.id))]


def _split_words(text):
    return [w for w in (part.strip().lower() for part in text.split(",")) if w]


def with_synonyms(word, groups):
    """The word and every word sharing a synonym group with it (or with its stem)."""
    found = [word]
    for group in groups:
        if word in group or _stem(word) in (_stem(w) for w in group):
            found += [w for w in group if w not in found]
    return found


def _vocabulary(groups):
    """The words products are described by, for suggestions: titles, tags, features."""
    texts = db.session.scalars(select(Product.title).where(Product.published.is_(True)))
    names = db.session.scalars(select(Tag.name).union(select(Feature.name)))
    words = set()
    for text_ in [*texts, *names]:
        words.update(search_words(text_))
    for group in groups:
        words.update(w for w in group if " " not in w)
    return sorted(w for w in words if len(w) >= 3)


def did_you_mean(q, groups, cutoff=0.75):
    """A close spelling of `q` in the shop's words that finds products, or "".

    Done in Python on the same word list on every database, so SQLite and
    PostgreSQL suggest the same thing for the same shelf.
    """
    words = search_words(q)
    vocabulary = _vocabulary(groups)
    changed, suggested = False, []
    for word in words:
        if word in vocabulary or len(word) < 4:
            suggested.append(word)
            continue
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=cutoff)
        suggested.append(close[0] if close else word)
        changed = changed or bool(close)
    if not changed:
        return ""
    query = select(func.count()).select_from(Product).where(Product.published.is_(True))
    for word in suggested:
        query = query.where(or_(*(_matches_word(w) for w in with_synonyms(word, groups))))
    return " ".join(suggested) if db.session.scalar(query) else ""


@transactional
def save_synonyms(text_):
    """Replace the synonym groups with `text_`: one group per line, words separated by
    commas. Returns how many groups were saved; raises InvalidSynonyms."""
    groups, problems = [], []
    lines = [line for line in (text_ or "").splitlines() if line.strip()]
    if len(lines) > MAX_SYNONYM_GROUPS:
        problems.append(f"At most {MAX_SYNONYM_GROUPS} lines, please.")
    for number, line in enumerate(lines[:MAX_SYNONYM_GROUPS], start=1):
        words = list(dict.fromkeys(_split_words(line)))
        if len(words) < 2:
            problems.append(f"Line {number} needs at least two words separated by commas.")
        elif len(", ".join(words)) > 500 or any(len(w) > 60 for w in words):
            problems.append(f"Line {number} is too long: words up to 60 characters, "
                            "500 characters a line.")
        else:
            groups.append(", ".join(words))
    if problems:
        raise InvalidSynonyms(" ".join(problems))
    db.session.execute(delete(SearchSynonym))
    db.session.add_all(SearchSynonym(words=words) for words in groups)
    return len(groups)


def _escape_like(value):
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _relevance(q):
    """Best match first: PostgreSQL ranks by full-text score, SQLite puts title hits first."""
    words = search_words(q)
    if not words:
        return (Product.featured.desc(), Product.id)
    if db.engine.dialect.name == "postgresql":
        rank = func.ts_rank(search_document(Product.__table__),
                            func.plainto_tsquery(text("'english'::regconfig"), " ".join(words)))
        return (rank.desc(), Product.id)
    in_title = sum(case((func.lower(Product.title).like(f"%{_escape_like(_stem(w))}%",
                                                        escape="\\"), 1), else_=0)
                   for w in words)
    return (in_title.desc(), Product.featured.desc(), Product.id)


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
    # Picked from the shopper's fit profile: a mismatched pair (left, right), and a note.
    fit_pair: tuple | None = None
    fit_note: str = ""
    # Chosen values of the options that are not size, width or colour, by option name.
    attribute_choice: dict = field(default_factory=dict)

    def available(self, variant):
        levels = self.stock.get(variant.id)
        return levels.available if levels else 0

    def pair_choice(self, foot):
        """The variant the pair form preselects for "Left" or "Right"."""
        if self.fit_pair is not None:
            return self.fit_pair[0 if foot == "Left" else 1]
        return self.selected

    @property
    def total_available(self):
        return sum(self.available(v) for v in self.variants)

    def _matches_others(self, variant, kind=None, attribute=None):
        """Whether the variant has every chosen option except `kind` or `attribute`."""
        if any(_option_key(variant, k) != v for k, v in self.choice.items()
               if k != kind and v):
            return False
        return all(_attribute(variant, name) == value
                   for name, value in self.attribute_choice.items()
                   if name != attribute and value)

    def options(self, kind):
        """The values of one option (size/width/colour), each with whether any matching
        variant, given the other chosen options, has stock."""
        attr = {"size": "size", "width": "width", "colour": "colour"}[kind]
        seen = {}
        for variant in self.variants:
            value = getattr(variant, attr)
            if not self._matches_others(variant, kind=kind):
                seen.setdefault(value.id, (value, False))
                continue
            in_stock = seen.get(value.id, (value, False))[1] or self.available(variant) > 0
            seen[value.id] = (value, in_stock)
        return sorted(seen.values(), key=lambda pair: _sort_key(pair[0]))

    @staticmethod
    def attribute_param(name):
        return attribute_param(name)

    def choice_args(self, variant):
        """The query parameters that choose `variant` on its product page."""
        args = {"size": variant.size.label, "width": variant.width.code,
                "colour": variant.colour.slug}
        args |= {attribute_param(name): _attribute(variant, name)
                 for name in self.attribute_choice}
        return args

    def attribute_groups(self):
        """The other options shoppers choose between (e.g. Material: Leather, Suede): those
        whose value differs between variants, each value with whether a variant matching
        the other choices has stock; values in the order the variants list them."""
        return [(name, self._attribute_values(name)) for name in attribute_names(self.variants)]

    def _attribute_values(self, name):
        seen = {}
        for variant in self.variants:
            value = _attribute(variant, name)
            in_stock = self._matches_others(variant, attribute=name) and \
                self.available(variant) > 0
            seen[value] = seen.get(value, False) or in_stock
        return list(seen.items())


    def json_ld(self, url, image, currency):
        """schema.org Product data with one Offer per variant and its live availability."""
        product = self.product
        return {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": product.title,
            "description": product.seo_description or product.summary,
            "url": url,
            "image": image,
            "sku": self.variants[0].sku if len(self.variants) == 1 else None,
            "offers": [
                {
                    "@type": "Offer",
                    "sku": v.sku,
                    "name": v.label,
                    "price": f"{v.price_cents / 100:.2f}",
                    "priceCurrency": currency,
                    "availability": "https://schema.org/"
                    + ("InStock" if self.available(v) > 0 else "OutOfStock"),
                    "url": url,
                }
                for v in self.variants
            ],
        }

    def fit_guide(self):
        """Foot length per size offered, and what each width means for this product."""
        return fit_guide(self.product, self.variants)


# US width letters behind our width codes; they differ between men's and women's lasts.
WIDTH_LETTERS = {
    "women": {"M": "B", "W": "D", "XW": "2E"},
    "men": {"M": "D", "W": "2E", "XW": "4E"},
}


@dataclass(frozen=True)
class FitGuide:
    rows: list  # (size label, foot length in inches, in centimetres)
    widths: list  # (width label, US letter)
    notes: str


# One size chart line: "7.5: 24.1" (size, foot length in centimetres; "cm" may follow).
_CHART_LINE = re.compile(
    r"^([0-9A-Za-z.]{1,10})\s*[:=]\s*([0-9]{1,2}(?:[.,][0-9]{1,2})?)\s*(?:cm)?$", re.IGNORECASE)
MIN_FOOT_CM, MAX_FOOT_CM = 10, 40


def parse_size_chart(chart):
    """[(size label, centimetres)] from a product's size chart text, one "size: cm" line each.

    Raises ValueError naming the first line that is not one.
    """
    rows = []
    for number, line in enumerate((chart or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        match = _CHART_LINE.match(line)
        cm = float(match.group(2).replace(",", ".")) if match else 0
        if not match or not MIN_FOOT_CM <= cm <= MAX_FOOT_CM:
            raise ValueError(f"Line {number} ({line[:40]!r}) is not a size and a foot length "
                             f"from {MIN_FOOT_CM} to {MAX_FOOT_CM} cm, like “7.5: 24.1”.")
        rows.append((match.group(1), cm))
    return rows


def fit_guide(product, variants):
    """The product's own size chart, or one from the Brannock scale (US men's size =
    3 x inches - 22, women's - 21) for the sizes it is offered in."""
    letters = WIDTH_LETTERS.get(product.gender, WIDTH_LETTERS["men"])
    widths = sorted({v.width.code: v.width for v in variants}.values(), key=lambda w: w.sort_key)
    widths = [(w.label, letters.get(w.code, w.code)) for w in widths]
    try:
        own = parse_size_chart(product.size_chart)
    except ValueError:  # saved only after checking; an import cannot set it
        own = []
    if own:
        return FitGuide([(label, f"{cm / 2.54:.1f}", f"{cm:.1f}") for label, cm in own],
                        widths, product.fit_notes)
    offset = 21 if product.gender == "women" else 22
    sizes = sorted({v.size.label: v.size for v in variants}.values(), key=lambda s: s.sort_key)
    rows = []
    for size in sizes:
        try:
            inches = (float(size.label) + offset) / 3
        except ValueError:  # a non-US size label from an import: no chart row
            continue
        rows.append((size.label, f"{inches:.1f}", f"{inches * 2.54:.1f}"))
    return FitGuide(rows, widths, product.fit_notes)


def attribute_names(variants):
    """Names of the options other than size, width and colour whose values differ between
    the variants, in first-seen order: the ones a shopper must choose."""
    names = []
    for variant in variants:
        for name in variant.attributes or {}:
            if name not in names:
                names.append(name)
    return [name for name in names if len({_attribute(v, name) for v in variants}) > 1]


def _attribute(variant, name):
    return (variant.attributes or {}).get(name, "")


def attribute_param(name):
    """The query parameter that carries a choice of the option `name` on a product page."""
    return f"option.{name}"


def _option_key(variant, kind):
    return {"size": variant.size.label, "width": variant.width.code,
            "colour": variant.colour.slug}[kind]


def _sort_key(value):
    return getattr(value, "sort_key", None) or getattr(value, "name", "")


def _fit_pick(product, variants, available, fit):
    """The left and right variants that suit `fit`, in one colour, preferring ones in
    stock; (None, None) when the shoe is not made in the shopper's sizes."""
    by_colour = {}
    for variant in variants:
        for foot in ("left", "right"):
            if fit.matches(variant, foot):
                by_colour.setdefault(variant.colour_id, {})[foot] = variant
    pairs = [(feet["left"], feet["right"]) for feet in by_colour.values() if len(feet) == 2]
    pairs.sort(key=lambda pair: not all(available(v) > 0 for v in pair))
    return pairs[0] if pairs else (None, None)


def _fit_choice(product, variants, available, fit):
    """The choice, pair and note a product page shows from the shopper's fit profile."""
    left, right = _fit_pick(product, variants, available, fit)
    if left is None:
        return {}, None, "This shoe is not made in your sizes."
    if not fit.mismatched:
        return ({"size": left.size.label, "width": left.width.code, "colour": left.colour.slug},
                None, "Your size is chosen from your fit profile.")
    if product.allows_mismatched:
        return ({"colour": left.colour.slug}, (left, right),
                "Your sizes for each foot are chosen below, from your fit profile.")
    return {}, None, ("Your feet take different sizes and this shoe comes as a pair of one "
                      "size: choose the size that suits you.")


def product_page(slug, choice=None, fit=None, attributes=None):
    """A published product with variants and stock; `choice` picks size/width/colour and
    `attributes` ({option name: value}) the product's other options. Without a choice,
    the shopper's `fit` (a Fit) picks their size, or a mismatched pair where the shoe
    allows it.

    Raises ProductNotFound.
    """
    product = db.session.scalars(
        select(Product)
        .where(Product.slug == slug, Product.published.is_(True))
        .options(selectinload(Product.images), selectinload(Product.tags),
                 selectinload(Product.features), selectinload(Product.variants))
    ).first()
    if product is None:
        raise ProductNotFound(slug)
    variants = product.variants
    stock = inventory.levels([v.id for v in variants])
    choice = {k: (choice or {}).get(k, "") for k in ("size", "width", "colour")}
    fit_pair, fit_note = None, ""
    if fit is not None and not any(choice.values()):
        def units(variant):
            return stock[variant.id].available if variant.id in stock else 0

        picked, fit_pair, fit_note = _fit_choice(product, variants, units, fit)
        choice |= picked
    names = attribute_names(variants)
    attribute_choice = {name: (attributes or {}).get(name, "") for name in names}
    selected = None
    if all(choice.values()) and all(attribute_choice.values()):
        selected = next((v for v in variants
                         if all(_option_key(v, k) == choice[k] for k in choice)
                         and all(_attribute(v, n) == attribute_choice[n] for n in names)),
                        None)
    elif len(variants) == 1:
        selected = variants[0]
    return ProductPage(product, variants, stock, selected, choice, fit_pair, fit_note,
                       attribute_choice)


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
                "attributes": dict(v.attributes or {}),  # other options, e.g. from Shopify
                "price": v.price_cents,
                "compare_at_price": v.compare_at_cents,
                "available": page.available(v),
                # False: stock is not counted, `available` is a ceiling, not a count.
                "tracked": v.stock_tracked,
                "status": stock_status(page.available(v), threshold if v.stock_tracked else 0),
            }
            for v in page.variants
        ],
    }


def variants_by_id(variant_ids):
    """Published variants still on sale, with their product, keyed by id (for carts and
    orders); a retired variant is missing, so it can no longer be bought."""
    ids = list(variant_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Variant)
        .join(Variant.product)
        .where(Variant.id.in_(ids), Variant.retired_at.is_(None), Product.published.is_(True))
        .options(selectinload(Variant.product).selectinload(Product.images))
    ).all()
    return {v.id: v for v in rows}


def cards_for(*, slugs=(), ids=(), include_unpublished=False):
    """Cards with live stock for products named by slug or id (for articles linking
    to products); unpublished ones only when asked, products without variants never."""
    slugs, ids = list(slugs), list(ids)
    if not slugs and not ids:
        return []
    query = _with_card_data(select(Product)).where(
        or_(Product.slug.in_(slugs), Product.id.in_(ids)))
    if not include_unpublished:
        query = query.where(Product.published.is_(True))
    return _cards(db.session.scalars(query.order_by(Product.id)).all())


def sitemap_products():
    """(slug, created_at) of every published product, for the sitemap."""
    return db.session.execute(
        select(Product.slug, Product.created_at)
        .where(Product.published.is_(True)).order_by(Product.id)
    ).all()
