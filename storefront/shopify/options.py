"""Shopify option names and values mapped to the catalogue's sizes, widths and colours.

Pure functions, no database: the parser uses them to refuse bad rows with a
line number before anything is written, and the import uses the same results
to find or create the option rows.
"""

import hashlib
import re
from dataclasses import dataclass

from ..links import slugify

# Option names Shopify shops use for size, width and colour, compared case-folded with
# spaces collapsed: English, French, German, Spanish, Portuguese, Italian, Dutch and
# Japanese. `flask shopify import --map-option "Name=size"` adds to or overrides them.
OPTION_NAMES = {
    "size": {
        "size", "sizes", "shoe size", "us size", "size (us)", "us shoe size", "uk size",
        "eu size", "taille", "pointure", "größe", "grösse", "groesse", "schuhgröße",
        "talla", "tamanho", "taglia", "numero", "maat", "サイズ", "靴のサイズ",
    },
    "width": {
        "width", "widths", "shoe width", "fit width", "fit", "largeur", "breite", "weite",
        "ancho", "anchura", "largura", "larghezza", "breedte", "ワイズ", "幅", "足幅",
    },
    "colour": {
        "colour", "color", "colours", "colors", "colour/pattern", "color/pattern",
        "couleur", "farbe", "color/colour", "cor", "colore", "kleur", "色", "カラー",
    },
}
OPTION_KINDS = ("size", "width", "colour", "attribute")
# Shopify names the only option of a single-variant product "Title" = "Default Title".
DEFAULT_OPTION = ("title", "default title")


def _name_key(name):
    return " ".join(name.casefold().split())


def parse_option_map(entries):
    """{option name key: kind} from "Taille=size" entries; raises ValueError naming a bad one."""
    mapping = {}
    for entry in entries:
        name, sep, kind = entry.partition("=")
        kind = kind.strip().lower().replace("color", "colour")
        if not sep or not name.strip() or kind not in OPTION_KINDS:
            raise ValueError(f"--map-option {entry!r} must look like \"Name=size\" (size, "
                             "width, colour or attribute)")
        mapping[_name_key(name)] = kind
    return mapping


@dataclass(frozen=True)
class SizeValue:
    label: str
    sort_key: int


@dataclass(frozen=True)
class WidthValue:
    code: str
    label: str
    sort_key: int


@dataclass(frozen=True)
class ColourValue:
    slug: str
    name: str
    hex: str


# A product with no size option is sold in one size; no width means the standard fit.
ONE_SIZE = SizeValue("One size", 100_000)
STANDARD_WIDTH = WidthValue("M", "Medium", 1)
# A product with no colour option keeps the colour its photos show.
AS_PICTURED = ColourValue("as-pictured", "As pictured", "#8a8a8a")

_WIDTHS = {
    "N": WidthValue("N", "Narrow", 0),
    "M": STANDARD_WIDTH,
    "W": WidthValue("W", "Wide", 2),
    "XW": WidthValue("XW", "Extra wide", 3),
    "XXW": WidthValue("XXW", "Extra extra wide", 4),
    "5E": WidthValue("5E", "Extra extra wide (5E)", 5),
    "6E": WidthValue("6E", "Extra extra wide (6E)", 6),
}
# Words shops use for a width, and the spellings of one US width letter code. Each US code
# names one width (2E wide, 3E extra wide, 4E extra extra wide, 5E and 6E their own), so two
# different values never land on one width; spellings of one value do ("EE" and "2E").
_WIDTH_ALIASES = {
    "N": "N", "NARROW": "N", "SLIM": "N", "SCHMAL": "N", "ETROIT": "N", "ESTRECHO": "N",
    "AA": "N", "2A": "N",
    # Women's B and men's D are the standard fit of their sizing.
    "M": "M", "MEDIUM": "M", "STANDARD": "M", "REGULAR": "M", "NORMAL": "M", "B": "M",
    "D": "M",
    "W": "W", "WIDE": "W", "WEIT": "W", "LARGE": "W", "ANCHO": "W", "EE": "W", "2E": "W",
    "XW": "XW", "EXTRAWIDE": "XW", "XWIDE": "XW", "WW": "XW", "2W": "XW", "EEE": "XW",
    "3E": "XW",
    "XXW": "XXW", "EXTRAEXTRAWIDE": "XXW", "XXWIDE": "XXW", "WWW": "XXW", "3W": "XXW",
    "EEEE": "XXW", "4E": "XXW",
    "EEEEE": "5E", "5E": "5E", "EEEEEE": "6E", "6E": "6E",
}
WIDTH_CODE_LENGTH = 10
WIDTH_LABEL_LENGTH = 40

_HEX = {
    "black": "#1f2328", "white": "#eceae6", "navy": "#1f3a64", "grey": "#7b8088",
    "sand": "#c9ad84", "burgundy": "#7a2338", "olive": "#5d6b3a", "teal": "#1f6f73",
    "red": "#b3261e", "blue": "#2f5fa7", "green": "#3b7a45", "brown": "#6b4a2f",
    "tan": "#b08a5c", "beige": "#d8c8a8", "pink": "#d98aa6", "purple": "#6a4c93",
    "yellow": "#e0b732", "orange": "#d9722b", "silver": "#b8bcc2", "gold": "#c4a24a",
    "cream": "#efe6d2", "charcoal": "#3a3d42", "stone": "#a89f91", "khaki": "#8f8a5e",
}
_COLOUR_ALIASES = {"gray": "grey", "light-gray": "light-grey", "dark-gray": "dark-grey"}


def option_kind(name, value="", overrides=None):
    """size / width / colour for the options the catalogue knows, None for Shopify's
    placeholder option, "attribute" for anything else. `overrides` ({name key: kind},
    from `parse_option_map`) wins over the built-in names."""
    key = _name_key(name)
    if overrides and key in overrides:
        return overrides[key]
    if (key, value.strip().lower()) == DEFAULT_OPTION or (key == "title" and not value):
        return None
    for kind, names in OPTION_NAMES.items():
        if key in names:
            return kind
    # Shopify's placeholder name with real values ("Title" = "Red") still tells variants apart.
    return "attribute"


def variant_key_values(values):
    """The option values that identify a variant within its product: blanks and Shopify's
    "Default Title" placeholder left out, whitespace collapsed."""
    cleaned = [" ".join(v.split()) for v in values]
    return tuple(v for v in cleaned if v and v.lower() != DEFAULT_OPTION[1])


def _digest(handle, values):
    text = "\x1f".join((handle, *values))
    return hashlib.sha256(text.encode()).hexdigest()[:6].upper()


def generated_sku(handle, values):
    """A stable SKU for a variant Shopify has none for, from its handle and option values.

    The same handle and values give the same SKU on every import (and in the inventory
    export, which identifies such variants the same way); the digest keeps values that
    slug alike ("Größe 8" and "Grosse 8", or two Japanese colours) apart.
    """
    values = variant_key_values(values)
    base = slugify(" ".join((handle, *values)), 50).upper() or "SHOPIFY"
    return f"{base}-{_digest(handle, values)}"


def suffixed_sku(sku, handle, values):
    """The SKU given to a second variant that repeats another's SKU: stable, at most 64."""
    return f"{sku[:57]}-{_digest(handle, variant_key_values(values))}"



def size_value(value):
    """A size label and numeric sort key from "8", "8.5", "8 1/2", "38,5", "US 8"; raises
    ValueError."""
    label = " ".join(value.split())
    label = re.sub(r"^(?:US|U\.S\.)\s*|\s*(?:US|U\.S\.)$", "", label, flags=re.IGNORECASE)
    if half := re.fullmatch(r"(\d{1,2})\s*(?:1/2|½)", label):
        label = f"{half.group(1)}.5"
    # European half sizes are often written with a decimal comma: "38,5".
    label = re.sub(r"^(\d{1,2}),(\d)$", r"\1.\2", label)
    if not label:
        raise ValueError("the Size value is empty")
    if len(label) > 10:
        raise ValueError(f"the size {value!r} is longer than 10 characters")
    if re.fullmatch(r"\d{1,2}(?:\.\d)?", label):
        number = float(label)
        label = f"{number:g}"
        return SizeValue(label, round(number * 10))
    # Letter sizes (S, M, L) and anything else sort after the numbers, in file order.
    return SizeValue(label, 10_000)


def width_value(value):
    """The catalogue width for a width name such as "Wide", "W", "2E" or "Extra Extra Wide
    (5E)"; raises ValueError rather than cut a value to fit its column."""
    text = " ".join(value.split())
    if not text:
        raise ValueError("the Width value is empty")
    key = re.sub(r"[\s\-_]+", "", text.upper())
    if key in _WIDTH_ALIASES:
        return _WIDTHS[_WIDTH_ALIASES[key]]
    # "Extra Extra Wide (5E)": the code in brackets says which width it is.
    if (inner := re.search(r"\(([^()]+)\)\s*$", text)) is not None:
        code = re.sub(r"[\s\-_]+", "", inner.group(1).upper())
        if code in _WIDTH_ALIASES:
            known = _WIDTHS[_WIDTH_ALIASES[code]]
            return WidthValue(known.code, known.label, known.sort_key)
    code = re.sub(r"[^A-Z0-9]", "", key)
    if not code:
        raise ValueError(f"the width {value!r} has no letters or digits to make a code from")
    if len(code) > WIDTH_CODE_LENGTH or len(text) > WIDTH_LABEL_LENGTH:
        raise ValueError(
            f"the width {value!r} is too long for this shop (a code of at most "
            f"{WIDTH_CODE_LENGTH} letters and digits, a name of at most {WIDTH_LABEL_LENGTH} "
            f"characters); rename it in the file, e.g. to a short code in brackets: "
            f"\"{text[:20]} (XW)\"")
    # A width this shop has not sold before: kept under its own name, after the known ones.
    return WidthValue(code, text, 100)


def colour_value(value):
    """The catalogue colour for a colour name ("Navy", "Light Gray", "黒"); raises ValueError."""
    name = " ".join(value.split())
    if not name:
        raise ValueError("the Colour value is empty")
    if not any(ch.isalnum() for ch in name):
        raise ValueError(f"the colour {value!r} has no letters or digits")
    if len(name) > 40:
        raise ValueError(f"the colour {value!r} is longer than 40 characters")
    slug = slugify(name, 40)
    slug = _COLOUR_ALIASES.get(slug, slug)
    if not slug:
        # A name in a script slugs cannot hold ("黒", "Чёрный"): a stable ASCII slug instead.
        slug = "colour-" + hashlib.sha256(name.casefold().encode()).hexdigest()[:8]
    last_word = slug.rsplit("-", 1)[-1]
    return ColourValue(slug, name[:1].upper() + name[1:], _HEX.get(slug, _HEX.get(last_word,
                                                                                  "#8a8a8a")))
