"""Product bodies from Shopify: sanitised to a small allow-list, and a plain-text summary."""

import html
import re

import nh3

# Structure, emphasis and images (a size chart is typical for shoes) survive; scripts,
# styles, inline event handlers, iframes and the editor's spans and data attributes do not.
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan", "scope"},
                      "img": {"src", "alt", "width", "height"}}
# Removed elements worth telling the merchant about: they carried content or behaviour.
# Layout wrappers (div, span, meta, font ...) are dropped silently; their text stays.
REPORTED_TAGS = ("script", "style", "iframe", "object", "embed", "video", "audio", "form",
                 "input", "button", "svg", "canvas", "noscript", "link")
_TAG = re.compile(r"<\s*([a-zA-Z][a-zA-Z0-9-]*)")
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]*)", re.IGNORECASE)


def _image_address(src):
    """An https address for an image, or None: protocol-relative addresses are made https,
    anything else (http, data:, a path on the old shop) cannot be shown here."""
    if src.startswith("//"):
        src = "https:" + src
    return src if src.lower().startswith("https://") and len(src) <= 2000 else None


def _keep_attribute(tag, attribute, value):
    if tag == "img" and attribute == "src":
        return _image_address(value)
    if tag == "img" and attribute in ("width", "height"):
        return value if value.isascii() and value.isdigit() and len(value) <= 4 else None
    return value


def sanitise(body):
    """Allow-listed HTML for a product description; empty when the body is blank."""
    return sanitise_with_report(body)[0]


def sanitise_with_report(body):
    """(allow-listed HTML, [what was removed]) for a product description.

    The list names removed elements that carried content or behaviour ("2 script",
    "1 iframe") and images whose address cannot be shown from an https page.
    """
    if not body or not body.strip():
        return "", []
    cleaned = nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # An image that lost its address shows nothing: drop the empty tag as well.
    cleaned = re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned).strip()
    # Stored descriptions are either plain text or HTML; a body that was only text
    # (entities escaped by the sanitiser) is wrapped so it is always read as HTML.
    if cleaned and not nh3.is_html(cleaned):
        cleaned = f"<p>{cleaned}</p>"
    removed = []
    found = [tag.lower() for tag in _TAG.findall(body)]
    for tag in REPORTED_TAGS:
        if count := found.count(tag):
            removed.append(f"{count} {tag}")
    dropped = [src for src in _IMG_SRC.findall(body) if _image_address(src) is None]
    if dropped:
        removed.append(f"{len(dropped)} image(s) not on an https address "
                       f"({', '.join(src[:60] or '(empty)' for src in dropped[:3])})")
    return cleaned, removed


def plain_text(fragment):
    """The words of a sanitised fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fragment)).split())


def shorten(text, limit):
    """`text` cut at a word boundary to at most `limit` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"
