"""Reading Shopify's product and inventory CSV exports: no database, only checked rows.

Shopify writes one product across several lines: the first line of a handle
carries the product (title, body, tags ...) and its first variant and image;
the lines after it with the same handle carry further variants and images.
Quoted fields may contain newlines (HTML bodies do), so a record can span
several physical lines; every problem is reported with the line its record
starts on, which is what a spreadsheet shows. A variant line without a SKU is
a bad row: variants are matched by SKU when the file is imported again, so a
made-up SKU would duplicate the variant on the next run.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..exceptions import DomainError
from . import options as opts
from .html import plain_text, sanitise, shorten

MAX_UNITS = 1_000_000

# Every column of Shopify's product export that this import reads or knowingly skips.
PRODUCT_COLUMNS = {
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags",
    "Published", "Option1 Name", "Option1 Value", "Option1 Linked To", "Option2 Name",
    "Option2 Value", "Option2 Linked To", "Option3 Name", "Option3 Value",
    "Option3 Linked To", "Variant SKU", "Variant Grams", "Variant Inventory Tracker",
    "Variant Inventory Qty", "Variant Inventory Policy", "Variant Fulfillment Service",
    "Variant Price", "Variant Compare At Price", "Variant Requires Shipping",
    "Variant Taxable", "Unit Price Total Measure", "Unit Price Total Measure Unit",
    "Unit Price Base Measure", "Unit Price Base Measure Unit", "Variant Barcode",
    "Image Src", "Image Position", "Image Alt Text", "Gift Card", "SEO Title",
    "SEO Description", "Variant Image", "Variant Weight Unit", "Variant Tax Code",
    "Cost per item", "Status", "Standard Product Type", "Custom Product Type",
}
# Column families whose names carry a market or a Google field after the slash.
PRODUCT_COLUMN_PREFIXES = ("Google Shopping / ", "Included / ", "Price / ",
                           "Compare At Price / ")
# Where Shopify's inventory export keeps on hand, newest layout first: "On hand (new)" is
# the column staff fill in to change stock, so a value there wins over the current one.
INVENTORY_QUANTITY_COLUMNS = ("On hand (new)", "On hand (current)", "On hand",
                              "Available (not editable)", "Available")


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


class ShopifyFileError(DomainError):
    """The file cannot be imported; `problems` lists every bad row with its line."""

    status = 422
    code = "bad_shopify_file"

    def __init__(self, problems):
        self.problems = sorted(problems, key=lambda p: p.line)
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the file; nothing was imported."
        )

    def to_dict(self):
        return super().to_dict() | {
            "problems": [{"line": p.line, "message": p.message} for p in self.problems]
        }


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
    oversells: bool
    image_src: str | None = None


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
    variants: list = field(default_factory=list)
    images: list = field(default_factory=list)

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

    @property
    def variant_count(self):
        return sum(len(p.variants) for p in self.products)


# -- reading the text ------------------------------------------------------------

def _decode(data):
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ShopifyFileError([Problem(
            line, "the file is not UTF-8 text (Shopify exports are); "
                  "save it again as \"CSV UTF-8\" and retry."
        )]) from None


def _records(data):
    """(line number, header) then (line number, fields) for every non-blank record."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ShopifyFileError([Problem(start, f"the CSV cannot be read ({exc}).")]) from None


def _header(records, what):
    first = next(records, None)
    if first is None:
        raise ShopifyFileError([Problem(0, f"the file is empty; expected a Shopify {what}.")])
    line, header = first
    names = [name.strip() for name in header]
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise ShopifyFileError([Problem(line, "the header repeats column(s): "
                                              + ", ".join(duplicates))])
    return line, names


def _cells(line, row, names, problems):
    """The row as {column: stripped value}, or None (with a problem) when it has extra fields."""
    if len(row) > len(names) and any(cell.strip() for cell in row[len(names):]):
        problems.append(Problem(line, f"the row has {len(row)} fields but the header has "
                                      f"{len(names)}; is a comma missing its quotes?"))
        return None
    cells = dict(zip(names, (cell.strip() for cell in row), strict=False))
    return {name: cells.get(name, "") for name in names}


def _bool(value, default):
    value = value.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    return default


def _money(value, column):
    """Integer cents from "119.00"; raises ValueError with the column in the message."""
    text = value.replace(",", "").strip().lstrip("$£€")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} {value!r} is not a price") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{column} {value!r} is not a price")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{column} {value!r} has fractions of a cent")
    if cents > 100_000_000:
        raise ValueError(f"{column} {value!r} is too large")
    return int(cents)


def _units(value, column):
    text = value.strip()
    if re.fullmatch(r"[+-]?\d+(?:\.0+)?", text) is None:
        raise ValueError(f"{column} {value!r} is not a whole number")
    number = int(Decimal(text))
    if abs(number) > MAX_UNITS:
        raise ValueError(f"{column} {value!r} is more than {MAX_UNITS:,} units")
    return number


# -- products -------------------------------------------------------------------

CATEGORY_WORDS = [
    ("boots", ("boot",)),
    ("sandals", ("sandal", "slide", "flip flop")),
    ("slippers", ("slipper", "house shoe", "indoor")),
    ("walking", ("walk", "hik", "trail", "trek")),
    ("dress", ("dress", "formal", "oxford", "derby", "loafer", "brogue", "mary jane", "pump")),
    ("everyday", ("sneaker", "trainer", "everyday", "casual", "shoe", "canvas")),
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


def _product(line, cells, problems):
    handle = cells["Handle"]
    title = " ".join(cells.get("Title", "").split())
    if not title:
        problems.append(Problem(line, f"the first row of {handle!r} has no Title."))
        return None
    if len(title) > 200:
        problems.append(Problem(line, "the Title is longer than 200 characters."))
        return None
    description = sanitise(cells.get("Body (HTML)", ""))
    text = plain_text(description)
    seo_title = cells.get("SEO Title", "") or None
    seo_description = cells.get("SEO Description", "") or None
    product_type = cells.get("Type") or cells.get("Custom Product Type") or ""
    tags = _tags(cells.get("Tags", ""))
    category = category_for(product_type)
    if category is None:
        category = "everyday"
        # The type is kept as a tag so shoppers can still search for it.
        if product_type and opts.slugify(product_type) not in {opts.slugify(t) for t in tags}:
            tags.append(product_type[:60])
    status = cells.get("Status", "").lower()
    return ShopifyProduct(
        line=line,
        handle=handle,
        title=title,
        description=description,
        summary=shorten(plain_text(seo_description or "") or text, 300),
        category=category,
        gender=_gender(cells, tags, product_type),
        tags=tags,
        published=_bool(cells.get("Published", ""), True) and status in ("", "active"),
        seo_title=shorten(seo_title, 200) if seo_title else None,
        seo_description=shorten(seo_description, 300) if seo_description else None,
        gift_card=_bool(cells.get("Gift Card", ""), False),
        option_names=[cells.get(f"Option{i} Name", "") for i in (1, 2, 3)],
    )


def _image_src(value, column):
    if not value.lower().startswith("https://"):
        raise ValueError(f"{column} {value!r} is not an https:// address")
    if len(value) > 300:
        raise ValueError(f"{column} is longer than 300 characters")
    return value


def _variant(line, cells, product):
    """A variant from one row; raises ValueError naming what is wrong."""
    sku = cells.get("Variant SKU", "")
    if not sku:
        raise ValueError("the variant has no Variant SKU; every variant needs one so a "
                         "second import can find it again")
    if len(sku) > 64:
        raise ValueError(f"the Variant SKU {sku!r} is longer than 64 characters")
    chosen = {"size": opts.ONE_SIZE, "width": opts.STANDARD_WIDTH, "colour": opts.AS_PICTURED}
    attributes = {}
    for index, name in enumerate(product.option_names, start=1):
        value = " ".join(cells.get(f"Option{index} Value", "").split())
        if not name and not value:
            continue
        if not name:
            raise ValueError(f"Option{index} Value {value!r} has no Option{index} Name on "
                             f"the product's first row")
        kind = opts.option_kind(name, value)
        if kind is None:
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
    price = cells.get("Variant Price", "")
    if not price:
        raise ValueError("Variant Price is empty")
    price_cents = _money(price, "Variant Price")
    compare = cells.get("Variant Compare At Price", "")
    compare_cents = _money(compare, "Variant Compare At Price") if compare else None
    if compare_cents is not None and compare_cents <= price_cents:
        compare_cents = None  # Shopify often repeats the price here; it is not a sale.
    quantity = cells.get("Variant Inventory Qty", "")
    image = cells.get("Variant Image", "")
    return ShopifyVariant(
        line=line,
        sku=sku,
        attributes=attributes,
        price_cents=price_cents,
        compare_at_cents=compare_cents,
        quantity=_units(quantity, "Variant Inventory Qty") if quantity else None,
        oversells=cells.get("Variant Inventory Policy", "").lower() == "continue",
        image_src=_image_src(image, "Variant Image") if image else None,
        **chosen,
    )


def _is_variant_row(cells):
    return any(cells.get(c) for c in ("Variant SKU", "Variant Price", "Option1 Value",
                                       "Variant Inventory Qty"))


def _image(line, cells):
    src = cells.get("Image Src", "")
    if not src:
        return None
    position = cells.get("Image Position", "")
    return ShopifyImage(
        line=line,
        src=_image_src(src, "Image Src"),
        alt=" ".join(cells.get("Image Alt Text", "").split())[:300],
        position=_units(position, "Image Position") if position else None,
    )


def parse_products(data):
    """Read a Shopify product export (bytes or text) into products with their variants.

    Raises ShopifyFileError listing every bad row when any row is bad.
    """
    records = _records(data)
    header_line, names = _header(records, "product export")
    if "SKU" in names and "Variant SKU" not in names:
        raise ShopifyFileError([Problem(header_line, (
            "this looks like Shopify's inventory export; import it with "
            "`flask inventory import`."))])
    if "Handle" not in names or "Title" not in names:
        raise ShopifyFileError([Problem(header_line, (
            "this is not a Shopify product export (it needs Handle and Title columns)."))])
    notes = []
    unknown = [n for n in names if n and n not in PRODUCT_COLUMNS
               and not n.startswith(PRODUCT_COLUMN_PREFIXES)]
    if unknown:
        notes.append("Ignored column(s) this shop has no place for: " + ", ".join(unknown))
    has_quantities = "Variant Inventory Qty" in names
    if not has_quantities:
        notes.append("The file has no Variant Inventory Qty column: new variants start with "
                     "0 on hand and existing stock is left alone.")

    problems = []
    products = {}
    skus = {}
    for line, row in records:
        cells = _cells(line, row, names, problems)
        if cells is None:
            continue
        handle = cells["Handle"]
        if not handle:
            problems.append(Problem(line, "Handle is empty."))
            continue
        if len(handle) > 120 or re.search(r"[\s/?#]", handle):
            problems.append(Problem(line, f"the Handle {handle!r} cannot be a product address "
                                          "(at most 120 characters, no spaces, / ? or #)."))
            continue
        product = products.get(handle)
        if product is None:
            product = _product(line, cells, problems)
            if product is None:
                continue
            products[handle] = product
        if product.gift_card:
            continue  # skipped by the import, so its rows need no checking
        try:
            if _is_variant_row(cells):
                variant = _variant(line, cells, product)
                if variant.sku in skus:
                    raise ValueError(f"the Variant SKU {variant.sku!r} is already used on "
                                     f"line {skus[variant.sku]}")
                skus[variant.sku] = line
                product.variants.append(variant)
            image = _image(line, cells)
            if image:
                product.images.append(image)
        except ValueError as exc:
            problems.append(Problem(line, str(exc) + "."))
    for product in products.values():
        if not product.variants and not product.gift_card:
            problems.append(Problem(product.line, f"{product.handle!r} has no variant rows "
                                                  "(no SKU, price or option values)."))
        problems.extend(_clashing_options(product))
    if not products and not problems:
        problems.append(Problem(header_line, "the file has a header but no product rows."))
    if problems:
        raise ShopifyFileError(problems)
    return ProductExport(list(products.values()), notes, has_quantities)


def _clashing_options(product):
    """Variants of one product must differ in size, width or colour (the catalogue's key)."""
    seen = {}
    for variant in product.variants:
        key = (variant.size.label, variant.width.code, variant.colour.slug)
        if key in seen:
            yield Problem(variant.line, (
                f"{variant.sku!r} has the same size, width and colour as the variant on line "
                f"{seen[key]}; this shop tells variants apart by size, width and colour only."
            ))
        else:
            seen[key] = variant.line


# -- inventory ------------------------------------------------------------------

def is_inventory_export(data):
    """Whether the file's header is Shopify's inventory export (Handle, SKU, On hand ...)."""
    try:
        first = next(_records(data), None)
    except ShopifyFileError:
        return False
    if first is None:
        return False
    names = {name.strip() for name in first[1]}
    return {"Handle", "SKU"} <= names and any(c in names for c in INVENTORY_QUANTITY_COLUMNS)


def parse_inventory(data):
    """Read Shopify's inventory export into [(line, sku, on_hand)], one row per SKU.

    On hand comes from "On hand (new)" when filled in, else "On hand (current)"
    (older exports: "On hand", or only "Available"). Quantities are summed over
    the file's locations, since this shop keeps one stock per variant; a location
    marked "not stocked" is skipped. Negative numbers are returned as they are,
    for the caller to refuse or repair. Raises ShopifyFileError listing bad rows.
    """
    records = _records(data)
    header_line, names = _header(records, "inventory export")
    columns = [c for c in INVENTORY_QUANTITY_COLUMNS if c in names]
    if "SKU" not in names or not columns:
        raise ShopifyFileError([Problem(header_line, (
            "this is not a Shopify inventory export (it needs SKU and On hand columns)."
        ))])
    problems = []
    totals = {}
    for line, row in records:
        cells = _cells(line, row, names, problems)
        if cells is None:
            continue
        sku = cells["SKU"]
        column = next((c for c in columns if cells[c]), columns[-1])
        value = cells[column]
        if not sku:
            problems.append(Problem(line, "SKU is empty; stock is matched by SKU."))
            continue
        if value.lower() in ("not stocked", ""):
            continue
        try:
            units = _units(value, column)
        except ValueError as exc:
            problems.append(Problem(line, str(exc) + "."))
            continue
        first_line, total = totals.get(sku, (line, 0))
        totals[sku] = (first_line, total + units)
    if problems:
        raise ShopifyFileError(problems)
    return [(line, sku, on_hand) for sku, (line, on_hand) in totals.items()]
