"""Reading Shopify's product export: no database, only checked rows and a report.

Shopify writes one product across several lines: the first line of a handle
carries the product (title, body, tags ...) and its first variant and image;
the lines after it with the same handle carry further variants and images (a
line with only an image is a continuation row). Two layouts are read, told
apart by nothing but their column names: the one Shopify used for years
(`Handle`, `Body (HTML)`, `Variant SKU`, `Option1 Name` ...) and the current
one (`URL handle`, `Description`, `SKU`, `Option1 name`, `Compare-at price`,
`Continue selling when out of stock` ...). Column names are compared without
regard to case.

A variant is identified as Shopify does, by its handle and option values. A
variant without SKU gets one generated from them (the same on every import);
a SKU that two variants share stays with the first and the second gets a
suffixed one. Both are reported with their lines, as is every row that was
skipped or changed on the way in: nothing is dropped without a word. Every
problem is reported with the line its record starts on, which is what a
spreadsheet shows.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .. import money
from ..catalogue.models import OPTION_KEY_LENGTH, attributes_key
from ..csvrows import BatchRejected, LineProblem, cells, decode, header, records
from ..inputs import parse_int
from ..inventory.service import MAX_UNITS
from . import options as opts
from .html import plain_text, sanitise_with_report, shorten

# Every column this import reads, by the name of Shopify's older layout; the current
# layout's names (and the older ones in any case) are mapped onto them.
COLUMN_ALIASES = {
    "url handle": "Handle",
    "description": "Body (HTML)",
    "published on online store": "Published",
    "sku": "Variant SKU",
    "price": "Variant Price",
    "compare-at price": "Variant Compare At Price",
    "compare at price": "Variant Compare At Price",
    "inventory tracker": "Variant Inventory Tracker",
    "inventory quantity": "Variant Inventory Qty",
    "continue selling when out of stock": "Variant Inventory Policy",
    "requires shipping": "Variant Requires Shipping",
    "product image url": "Image Src",
    "variant image url": "Variant Image",
    "gift card": "Gift Card",
    "seo title": "SEO Title",
    "seo description": "SEO Description",
    "image position": "Image Position",
    "image alt text": "Image Alt Text",
    "custom product type": "Custom Product Type",
}
READ_COLUMNS = {
    "Handle", "Title", "Body (HTML)", "Type", "Custom Product Type", "Tags", "Published",
    "Status", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Option3 Name", "Option3 Value", "Variant SKU", "Variant Inventory Tracker",
    "Variant Inventory Qty", "Variant Inventory Policy", "Variant Price",
    "Variant Compare At Price", "Variant Requires Shipping", "Variant Image", "Image Src",
    "Image Position", "Image Alt Text", "Gift Card", "SEO Title", "SEO Description",
    "Google Shopping / Gender",
}
# Columns that never carry anything a shopper here would see, and Shopify's own ids:
# named once in the notes, without a count of their values.
ADMIN_COLUMNS = {
    "vendor", "product category", "standard product type", "variant grams",
    "weight value (grams)", "variant weight unit", "weight unit for display",
    "variant fulfillment service", "fulfillment service", "variant taxable", "charge tax",
    "variant tax code", "tax code", "variant barcode", "barcode", "cost per item",
    "option1 linked to", "option2 linked to", "option3 linked to",
    "unit price total measure", "unit price total measure unit", "unit price base measure",
    "unit price base measure unit", "product id", "variant id", "id",
}
# Markets' prices and inclusion flags, and Google Shopping fields, carry a name after a slash.
# The name is the market's, as the merchant wrote it ("Price / Europa"), in any language.
MARKET_PREFIXES = ("included / ", "price / ", "compare at price / ", "compare-at price / ",
                   "google shopping / ")
# Shopify's inventory export; refused here with the right command.
INVENTORY_COLUMNS = {"on hand", "on hand (current)", "on hand (new)", "available",
                     "available (not editable)", "location"}
_METAFIELD = re.compile(r"\bmetafields?\.", re.IGNORECASE)

# Minor units per currency where they are not 2 (ISO 4217). Kept here until the shop has
# one table of currencies; `currency_exponent` is the one place to swap it in.
MAX_PRICE_UNITS = 1_000_000  # a million in the shop's currency, whatever its minor units


def currency_exponent(currency):
    """How many minor units a currency has: 2 for USD, 0 for JPY, 3 for KWD."""
    return money.exponent((currency or "USD").upper())


@dataclass
class ShopifyImage:
    line: int
    src: str
    alt: str
    position: int | None


@dataclass
class ShopifyVariant:
    line: int
    sku: str
    size: opts.SizeValue
    width: opts.WidthValue
    colour: opts.ColourValue
    attributes: dict
    price_cents: int
    compare_at_cents: int | None
    quantity: int | None
    oversells: bool  # Shopify kept selling it when out of stock ("continue")
    tracked: bool = True  # Shopify counted its stock (an Inventory Tracker was set)
    requires_shipping: bool = True
    image_src: str | None = None
    sku_source: str = "file"  # or "generated" (no SKU) or "suffixed" (another variant's)
    sku_note: str | None = None  # why the SKU is not the file's, for the report


@dataclass
class ShopifyProduct:
    line: int
    handle: str
    title: str
    description: str
    summary: str
    category: str
    gender: str
    tags: list
    published: bool
    seo_title: str | None
    seo_description: str | None
    gift_card: bool
    option_names: list
    option_kinds: list
    variants: list = field(default_factory=list)
    images: list = field(default_factory=list)
    skip_reason: str | None = None

    def ordered_images(self):
        """Images in Shopify's order (position, then file order), variant images last."""
        ranked = sorted(self.images, key=lambda i: (i.position is None, i.position or 0, i.line))
        seen, result = set(), []
        for image in ranked:
            if image.src not in seen:
                seen.add(image.src)
                result.append((image.src, image.alt))
        for variant in self.variants:
            if variant.image_src and variant.image_src not in seen:
                seen.add(variant.image_src)
                result.append((variant.image_src, ""))
        return result


@dataclass
class ProductExport:
    products: list
    notes: list
    has_quantities: bool
    layout: str = "older"  # "older" (Handle, Variant SKU ...) or "current" (URL handle, SKU)
    currency: str = "USD"
    # Rows changed or skipped on the way in, by line, and a reason per kind for the summary.
    adjustments: list = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    @property
    def variant_count(self):
        return sum(len(p.variants) for p in self.products)

    def adjust(self, line, message, kind=None):
        self.adjustments.append(LineProblem(line, message))
        if kind:
            self.skipped[kind] += 1


# -- reading cells ---------------------------------------------------------------

def canonical(name):
    """The older layout's name for a column of either layout, or the name as it is."""
    key = " ".join(name.casefold().split())
    if key in COLUMN_ALIASES:
        return COLUMN_ALIASES[key]
    for known in READ_COLUMNS:
        if known.casefold() == key:
            return known
    if re.fullmatch(r"option([123]) (name|value)", key):
        return f"Option{key[6]} {key[8:].title()}"
    return name


def _bool(value, default):
    value = value.strip().lower()
    if value in ("true", "yes", "1", "continue"):
        return True
    if value in ("false", "no", "0", "deny"):
        return False
    return default


_CURRENCY_MARKS = re.compile(r"[\s\u00a0\u202f$£€¥₩₹]|[A-Z]{3}")


def parse_price(value, column, exponent=2):
    """Minor units from a price as Shopify or a spreadsheet writes it; raises ValueError.

    "119.00", "119,00", "1,234.50", "1.234,50" and "1 234,50" are read; a lone
    separator followed by exactly three digits ("1.000", "1,000") could be either
    a thousands mark or a decimal one, so it is refused rather than guessed (except
    in a currency with three decimals, where Shopify writes every price that way).
    """
    text = _CURRENCY_MARKS.sub("", value.strip())
    if re.fullmatch(r"[0-9]+([.,][0-9]+)*", text) is None:
        raise ValueError(f"{column} {value!r} is not a price")
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        whole, _, fraction = text.rpartition(decimal)
        if text.count(decimal) > 1 or not _grouped(whole, grouping):
            raise ValueError(f"{column} {value!r} mixes separators in a way that is not a "
                             "price")
        number = whole.replace(grouping, "") + "." + fraction
    elif dots + commas == 0:
        number = text
    else:
        mark = "." if dots else ","
        whole, _, fraction = text.rpartition(mark)
        if dots + commas > 1:
            if not _grouped(text, mark):
                raise ValueError(f"{column} {value!r} is not a price")
            number = text.replace(mark, "")
        elif len(fraction) == 3 and exponent != 3:
            raise ValueError(f"{column} {value!r} is ambiguous: is {mark!r} a thousands "
                             "separator or the decimal point? Write it with two decimals "
                             "(e.g. 1000.00)")
        else:
            number = f"{whole}.{fraction}"
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{column} {value!r} is not a price") from None
    minor = amount * (10 ** exponent)
    if minor != minor.to_integral_value():
        unit = "a cent" if exponent == 2 else "the currency's smallest unit"
        raise ValueError(f"{column} {value!r} has fractions of {unit}")
    if amount > MAX_PRICE_UNITS:
        raise ValueError(f"{column} {value!r} is too large")
    return int(minor)


def _grouped(text, mark):
    """Whether `text` is digits grouped in threes by `mark` ("1,234,567")."""
    return re.fullmatch(r"[0-9]{1,3}(?:" + re.escape(mark) + r"[0-9]{3})*", text) is not None


def parse_units(value, column):
    """A whole number of units (ASCII digits, optional minus); raises ValueError."""
    number = parse_int(value)
    if number is None:
        raise ValueError(f"{column} {value!r} is not a whole number")
    if abs(number) > MAX_UNITS:
        raise ValueError(f"{column} {value!r} is more than {MAX_UNITS:,} units")
    return number


# -- products -------------------------------------------------------------------

# Words in a product type, in English and the other languages shops export in.
CATEGORY_WORDS = [
    ("boots", ("boot", "bottine", "botte", "stiefel", "bota", "stivale", "ブーツ")),
    ("sandals", ("sandal", "slide", "flip flop", "sandale", "sandalia", "sandalo", "サンダル")),
    ("slippers", ("slipper", "house shoe", "indoor", "pantoufle", "chausson", "hausschuh",
                  "pantufla", "pantofol", "chinelo", "スリッパ")),
    ("walking", ("walk", "hik", "trail", "trek", "marche", "randonn", "wander", "senderismo",
                 "caminhada")),
    ("dress", ("dress", "formal", "oxford", "derby", "loafer", "brogue", "mary jane", "pump",
               "mocassin", "ballerine", "escarpin")),
    ("everyday", ("sneaker", "trainer", "everyday", "casual", "shoe", "canvas", "basket",
                  "chaussure", "schuh", "zapato", "sapato", "scarpa", "スニーカー")),
]
GENDER_WORDS = {
    "women": "women", "womens": "women", "women's": "women", "female": "women",
    "ladies": "women", "men": "men", "mens": "men", "men's": "men", "male": "men",
    "unisex": "unisex",
}


def category_for(product_type):
    """The catalogue category for a Shopify product type, or None when no word matches."""
    text = product_type.lower()
    for category, words in CATEGORY_WORDS:
        if any(word in text for word in words):
            return category
    return None


def _gender(cells, tags, product_type):
    google = cells.get("Google Shopping / Gender", "").lower()
    if google in GENDER_WORDS:
        return GENDER_WORDS[google]
    found = {GENDER_WORDS[t.lower()] for t in tags if t.lower() in GENDER_WORDS}
    found |= {GENDER_WORDS[w] for w in re.findall(r"[a-z']+", product_type.lower())
              if w in GENDER_WORDS}
    return found.pop() if len(found) == 1 else "unisex"


def _tags(value):
    tags, seen = [], set()
    for tag in value.split(","):
        name = " ".join(tag.split())[:60]
        if name and opts.slugify(name) and opts.slugify(name) not in seen:
            seen.add(opts.slugify(name))
            tags.append(name)
    return tags


def _product(line, handle, values, export, option_map, problems):
    title = " ".join(values.get("Title", "").split())
    if not title:
        problems.append(LineProblem(line, f"the first row of {handle!r} has no Title"))
        return None
    if len(title) > 200:
        problems.append(LineProblem(line, "the Title is longer than 200 characters"))
        return None
    description, removed = sanitise_with_report(values.get("Body (HTML)", ""))
    if removed:
        export.adjust(line, f"{handle}: removed from the description: {', '.join(removed)}")
    text = plain_text(description)
    seo_title = values.get("SEO Title", "") or None
    seo_description = values.get("SEO Description", "") or None
    if seo_title and len(seo_title) > 200:
        export.adjust(line, f"{handle}: the SEO title was shortened to 200 characters")
    if seo_description and len(seo_description) > 300:
        export.adjust(line, f"{handle}: the SEO description was shortened to 300 characters")
    product_type = values.get("Type") or values.get("Custom Product Type") or ""
    tags = _tags(values.get("Tags", ""))
    category = category_for(product_type)
    if category is None:
        category = "everyday"
        # The type is kept as a tag so shoppers can still search for it.
        if product_type and opts.slugify(product_type) not in {opts.slugify(t) for t in tags}:
            tags.append(product_type[:60])
    status = values.get("Status", "").lower()
    names = [" ".join(values.get(f"Option{i} Name", "").split()) for i in (1, 2, 3)]
    kinds, used = [], {}
    for index, name in enumerate(names, start=1):
        kind = opts.option_kind(name, values.get(f"Option{index} Value", ""), option_map) \
            if name else None
        if kind in ("size", "width", "colour") and kind in used:
            export.adjust(line, f"{handle}: Option{index} {name!r} is a second {kind} option "
                                f"(after {used[kind]!r}); it is kept as a variant attribute")
            kind = "attribute"
        if kind in ("size", "width", "colour"):
            used[kind] = name
        kinds.append(kind)
    return ShopifyProduct(
        line=line,
        handle=handle,
        title=title,
        description=description,
        summary=shorten(plain_text(seo_description or "") or text, 300),
        category=category,
        gender=_gender(values, tags, product_type),
        tags=tags,
        published=_bool(values.get("Published", ""), True) and status in ("", "active"),
        seo_title=shorten(seo_title, 200) if seo_title else None,
        seo_description=shorten(seo_description, 300) if seo_description else None,
        gift_card=_bool(values.get("Gift Card", ""), False),
        option_names=names,
        option_kinds=kinds,
    )


def _image_src(value, column):
    if value.startswith("//"):
        value = "https:" + value
    if not value.lower().startswith("https://"):
        raise ValueError(f"{column} {value!r} is not an https:// address")
    if len(value) > 300:
        raise ValueError(f"{column} is longer than 300 characters")
    return value


def _option_values(values):
    return [" ".join(values.get(f"Option{i} Value", "").split()) for i in (1, 2, 3)]


def _variant(line, values, product, exponent, tracker_column):
    """A variant from one row (its SKU as the file has it); raises ValueError naming what
    is wrong."""
    sku = values.get("Variant SKU", "")
    if len(sku) > 64:
        raise ValueError(f"the SKU {sku!r} is longer than 64 characters")
    chosen = {"size": opts.ONE_SIZE, "width": opts.STANDARD_WIDTH, "colour": opts.AS_PICTURED}
    attributes = {}
    option_values = _option_values(values)
    for index, (name, kind, value) in enumerate(
            zip(product.option_names, product.option_kinds, option_values, strict=True),
            start=1):
        if not name and not value:
            continue
        if not name:
            raise ValueError(f"Option{index} Value {value!r} has no Option{index} Name on "
                             f"the product's first row")
        if kind is None or (name.lower() == "title" and value.lower() == "default title"):
            continue
        if not value:
            raise ValueError(f"Option{index} Value ({name}) is empty")
        if kind == "size":
            chosen["size"] = opts.size_value(value)
        elif kind == "width":
            chosen["width"] = opts.width_value(value)
        elif kind == "colour":
            chosen["colour"] = opts.colour_value(value)
        else:
            attributes[name] = value
    price = values.get("Variant Price", "")
    if not price:
        raise ValueError("the Price is empty")
    price_cents = parse_price(price, "Price", exponent)
    compare = values.get("Variant Compare At Price", "")
    compare_cents = parse_price(compare, "Compare-at price", exponent) if compare else None
    quantity = values.get("Variant Inventory Qty", "")
    image = values.get("Variant Image", "")
    return ShopifyVariant(
        line=line,
        sku=sku,
        attributes=attributes,
        price_cents=price_cents,
        compare_at_cents=compare_cents,
        quantity=parse_units(quantity, "Inventory quantity") if quantity else None,
        oversells=_bool(values.get("Variant Inventory Policy", ""), False),
        tracked=bool(values.get("Variant Inventory Tracker")) if tracker_column else True,
        requires_shipping=_bool(values.get("Variant Requires Shipping", ""), True),
        image_src=_image_src(image, "Variant image") if image else None,
        **chosen,
    )


def _is_variant_row(values):
    return any(values.get(c) for c in ("Variant SKU", "Variant Price", "Option1 Value",
                                        "Variant Inventory Qty"))


def _image(line, values):
    src = values.get("Image Src", "")
    if not src:
        return None
    position = values.get("Image Position", "")
    return ShopifyImage(
        line=line,
        src=_image_src(src, "Image Src"),
        alt=" ".join(values.get("Image Alt Text", "").split())[:300],
        position=parse_units(position, "Image Position") if position else None,
    )


def _ignored_columns(names, rows_with_values):
    """A note for each kind of column this shop has no place for, with how many values."""
    metafields, others, admin = [], [], []
    for name in names:
        if not name or canonical(name) in READ_COLUMNS:
            continue
        key = " ".join(name.casefold().split())
        count = rows_with_values.get(name, 0)
        if _METAFIELD.search(name):
            metafields.append(f"{name} ({count} value{'s' if count != 1 else ''})")
        elif key in ADMIN_COLUMNS or key.startswith(MARKET_PREFIXES):
            if count:
                admin.append(name)
        else:
            others.append(f"{name} ({count} value{'s' if count != 1 else ''})")
    notes = []
    if metafields:
        notes.append("Ignored metafield column(s), which this shop has no place for; copy "
                     "what shoppers need into the description: " + ", ".join(metafields))
    if others:
        notes.append("Ignored column(s) this shop does not know: " + ", ".join(others))
    if admin:
        notes.append("Ignored Shopify admin column(s) (weights, taxes, barcodes, costs, "
                     "markets): " + ", ".join(admin))
    return notes


def parse_products(data, *, currency="USD", option_map=None, include_unshipped=False):
    """Read a Shopify product export (bytes or text, either layout) into products.

    `currency` says how many minor units a price has (JPY none); `option_map`
    ({option name key: kind}) adds to the built-in option names. Raises
    BatchRejected listing every bad row when any row is bad.
    """
    rows = records(decode(data))
    header_line, raw_names = header(rows, "a Shopify product export")
    names = [canonical(n) for n in raw_names]
    folded = {" ".join(n.casefold().split()) for n in raw_names}
    if "Variant Price" not in names and folded & INVENTORY_COLUMNS:
        raise BatchRejected([LineProblem(header_line, (
            "this looks like Shopify's inventory export (Products > Inventory > Export); "
            "import it with `flask inventory import`, after the products."))])
    if "Title" not in names or "Handle" not in names:
        raise BatchRejected([LineProblem(header_line, (
            "this is not a Shopify product export (it needs Title and Handle, or URL "
            "handle, columns); export it again from Products > Export. Shopify names the "
            "columns in English whatever language its admin is in, so a header in another "
            "language was translated after the export: put the English names back."))])
    layout = "current" if any(n.casefold() == "url handle" for n in raw_names) else "older"
    renamed = [n for n in set(names) if n and names.count(n) > 1]
    if renamed:
        raise BatchRejected([LineProblem(header_line, (
            "the header has column(s) for the same field in both of Shopify's layouts: "
            + ", ".join(sorted(renamed))))])
    export = ProductExport([], [], "Variant Inventory Qty" in names, layout, currency)
    exponent = currency_exponent(currency)
    tracker_column = "Variant Inventory Tracker" in names

    problems = []
    products = {}
    owners = {}  # sku -> line of the variant that keeps it
    identities = {}  # (handle, option values) -> line
    filled = Counter()
    failed = set()  # handles with a bad variant or image row
    for line, row in rows:
        values = cells(line, row, names, problems)
        if values is None:
            continue
        for raw, name in zip(raw_names, names, strict=True):
            if values.get(name):
                filled[raw] += 1
        handle = values["Handle"]
        if not handle:
            problems.append(LineProblem(line, "Handle is empty"))
            continue
        if len(handle) > 120 or re.search(r"[\s/?#]", handle):
            problems.append(LineProblem(line, f"the Handle {handle!r} cannot be a product "
                                              "address (at most 120 characters, no spaces, "
                                              "/ ? or #)"))
            continue
        product = products.get(handle)
        if product is None:
            product = _product(line, handle, values, export, option_map, problems)
            if product is None:
                continue
            products[handle] = product
        if product.gift_card:
            continue  # skipped by the import (reported once), so its rows need no checking
        try:
            if _is_variant_row(values):
                variant = _variant(line, values, product, exponent, tracker_column)
                _identify(variant, product, _option_values(values), owners, identities)
                product.variants.append(variant)
            image = _image(line, values)
            if image:
                product.images.append(image)
            elif not _is_variant_row(values) and line != product.line:
                export.adjust(line, f"{handle}: the row has neither a variant nor an image "
                                    "and was skipped", "rows with no variant or image")
        except ValueError as exc:
            problems.append(LineProblem(line, str(exc)))
            failed.add(handle)
    export.notes.extend(_ignored_columns(raw_names, filled))
    if not export.has_quantities:
        export.notes.append("The file has no inventory quantity column: new variants start "
                            "with 0 on hand and existing stock is left alone.")
    for product in products.values():
        if product.gift_card:
            product.skip_reason = "gift card"
        elif product.variants and not include_unshipped and not any(
                v.requires_shipping for v in product.variants):
            # Shipping protection, donations, digital goods and app products: nothing to ship.
            product.skip_reason = "nothing to ship"
        elif not product.variants and product.handle not in failed:
            problems.append(LineProblem(product.line, f"{product.handle!r} has no variant "
                                                      "rows (no SKU, price or option values)"))
        if product.skip_reason:
            export.adjust(product.line, f"{product.handle}: skipped ({product.skip_reason}): "
                                        f"{product.title!r}, "
                                        f"{len(product.variants)} variant row(s)",
                          product.skip_reason)
        else:
            problems.extend(_clashing_options(product))
            _report_changes(product, export)
    if not products and not problems:
        problems.append(LineProblem(header_line, "the file has a header but no product rows"))
    if problems:
        raise BatchRejected(problems)
    export.products = list(products.values())
    export.adjustments.sort(key=lambda a: a.line)
    return export


def _identify(variant, product, option_values, owners, identities):
    """Give the variant its SKU: the file's, a generated one, or a suffixed one (reported)."""
    identity = (product.handle, opts.variant_key_values(option_values))
    if identity in identities:
        raise ValueError(f"this is the same variant (handle and option values) as line "
                         f"{identities[identity]}")
    identities[identity] = variant.line
    if not variant.sku:
        variant.sku = opts.generated_sku(product.handle, option_values)
        variant.sku_source = "generated"
        variant.sku_note = (f"{product.handle}: the variant has no SKU; it was given "
                            f"{variant.sku} (the same on every import)")
    elif variant.sku in owners:
        first = variant.sku
        variant.sku = opts.suffixed_sku(first, product.handle, option_values)
        variant.sku_source = "suffixed"
        variant.sku_note = (f"{product.handle}: the SKU {first} is already used on line "
                            f"{owners[first]}; this variant was given {variant.sku}")
    if variant.sku in owners:
        raise ValueError(f"the SKU {variant.sku!r} is already used on line "
                         f"{owners[variant.sku]}")
    owners[variant.sku] = variant.line


def _report_changes(product, export):
    for variant in product.variants:
        if variant.sku_note:
            export.adjust(variant.line, variant.sku_note)
        if variant.compare_at_cents is not None and variant.compare_at_cents <= \
                variant.price_cents:
            export.adjust(variant.line, f"{variant.sku}: the compare-at price is not above "
                                        "the price, so it is no sale and was left out")
            variant.compare_at_cents = None


def _clashing_options(product):
    """Variants of one product must differ in size, width, colour or another option (the
    catalogue's key), and those other options must fit the catalogue's column."""
    seen = {}
    for variant in product.variants:
        attributes = attributes_key(variant.attributes)
        if len(attributes) > OPTION_KEY_LENGTH:
            yield LineProblem(variant.line, (
                f"{variant.sku!r}: its other options ({attributes}) are longer than "
                f"{OPTION_KEY_LENGTH} characters together; shorten their names or values"))
            continue
        key = (variant.size.label, variant.width.code, variant.colour.slug, attributes)
        if key in seen:
            yield LineProblem(variant.line, (
                f"{variant.sku!r} has the same options as the variant on line {seen[key]}; "
                "if an option that differs was read as the same size, width or colour, map "
                "it with --map-option \"Name=size\" (or width, colour, attribute)"
            ))
        else:
            seen[key] = variant.line
