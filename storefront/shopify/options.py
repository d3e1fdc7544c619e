"""Shopify option names and values mapped to the catalogue's sizes, widths and colours.

Pure functions, no database: the parser uses them to refuse bad rows with a
line number before anything is written, and the import uses the same results
to find or create the option rows.
"""

import re
from dataclasses import dataclass

from ..links import slugify

SIZE_NAMES = {"size", "shoe size", "us size", "size (us)", "us shoe size", "sizes"}
WIDTH_NAMES = {"width", "shoe width", "widths", "fit width"}
COLOUR_NAMES = {"colour", "color", "colours", "colors", "colour/pattern", "color/pattern"}
# Shopify names the only option of a single-variant product "Title" = "Default Title".
DEFAULT_OPTION = ("title", "default title")


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
}
# US width letters (men's D and women's B are the standard fit) and the words shops use.
_WIDTH_ALIASES = {
    "N": "N", "NARROW": "N", "SLIM": "N", "AA": "N", "2A": "N",
    "M": "M", "MEDIUM": "M", "STANDARD": "M", "REGULAR": "M", "NORMAL": "M", "B": "M",
    "D": "M",
    "W": "W", "WIDE": "W", "C": "W", "C/D": "W", "E": "W", "EE": "W", "2E": "W",
    "XW": "XW", "EXTRAWIDE": "XW", "XWIDE": "XW", "WW": "XW", "2W": "XW", "EEE": "XW",
    "3E": "XW", "EEEE": "XW", "4E": "XW",
    "XXW": "XXW", "EXTRAEXTRAWIDE": "XXW", "XXWIDE": "XXW", "WWW": "XXW", "3W": "XXW",
    "5E": "XXW", "6E": "XXW",
}

_HEX = {
    "black": "#1f2328", "white": "#eceae6", "navy": "#1f3a64", "grey": "#7b8088",
    "sand": "#c9ad84", "burgundy": "#7a2338", "olive": "#5d6b3a", "teal": "#1f6f73",
    "red": "#b3261e", "blue": "#2f5fa7", "green": "#3b7a45", "brown": "#6b4a2f",
    "tan": "#b08a5c", "beige": "#d8c8a8", "pink": "#d98aa6", "purple": "#6a4c93",
    "yellow": "#e0b732", "orange": "#d9722b", "silver": "#b8bcc2", "gold": "#c4a24a",
    "cream": "#efe6d2", "charcoal": "#3a3d42", "stone": "#a89f91", "khaki": "#8f8a5e",
}
_COLOUR_ALIASES = {"gray": "grey", "light-gray": "light-grey", "dark-gray": "dark-grey"}


def option_kind(name, value=""):
    """size / width / colour for the options the catalogue knows, None for Shopify's
    placeholder option, "attribute" for anything else."""
    key = " ".join(name.lower().split())
    if (key, value.strip().lower()) == DEFAULT_OPTION or (key == "title" and not value):
        return None
    if key in SIZE_NAMES:
        return "size"
    if key in WIDTH_NAMES:
        return "width"
    if key in COLOUR_NAMES:
        return "colour"
    return "attribute"


def size_value(value):
    """A size label and numeric sort key from "8", "8.5", "8 1/2", "US 8"; raises ValueError."""
    label = " ".join(value.split())
    label = re.sub(r"^(?:US|U\.S\.)\s*|\s*(?:US|U\.S\.)$", "", label, flags=re.IGNORECASE)
    if half := re.fullmatch(r"(\d{1,2})\s*(?:1/2|½)", label):
        label = f"{half.group(1)}.5"
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
    """The catalogue width for a width name such as "Wide", "W" or "2E"; raises ValueError."""
    text = " ".join(value.split())
    if not text:
        raise ValueError("the Width value is empty")
    key = re.sub(r"[\s\-_]+", "", text.upper())
    if key in _WIDTH_ALIASES:
        return _WIDTHS[_WIDTH_ALIASES[key]]
    code = re.sub(r"[^A-Z0-9]", "", key)[:10]
    if not code or len(text) > 40:
        raise ValueError(f"the width {value!r} cannot be used as a width code")
    # A width this shop has not sold before: kept under its own name, after the known ones.
    return WidthValue(code, text, 100)


def colour_value(value):
    """The catalogue colour for a colour name ("Navy", "Light Gray"); raises ValueError."""
    name = " ".join(value.split())
    slug = slugify(name, 40)
    slug = _COLOUR_ALIASES.get(slug, slug)
    if not slug:
        raise ValueError("the Colour value is empty" if not name else
                         f"the colour {value!r} has no letters or digits")
    if len(name) > 40:
        raise ValueError(f"the colour {value!r} is longer than 40 characters")
    last_word = slug.rsplit("-", 1)[-1]
    return ColourValue(slug, name[:1].upper() + name[1:], _HEX.get(slug, _HEX.get(last_word,
                                                                                  "#8a8a8a")))
