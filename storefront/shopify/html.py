"""Product bodies from Shopify: sanitised to a small allow-list, and a plain-text summary."""

import html
import re

import nh3

# Structure and emphasis survive; scripts, styles, inline event handlers, iframes
# and the editor's spans and data attributes do not.
ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan"}, "th": {"colspan", "scope"}}


def sanitise(body):
    """Allow-listed HTML for a product description; empty when the body is blank."""
    if not body or not body.strip():
        return ""
    cleaned = nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    cleaned = cleaned.strip()
    # Stored descriptions are either plain text or HTML; a body that was only text
    # (entities escaped by the sanitiser) is wrapped so it is always read as HTML.
    if cleaned and not nh3.is_html(cleaned):
        cleaned = f"<p>{cleaned}</p>"
    return cleaned


def plain_text(fragment):
    """The words of a sanitised fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fragment)).split())


def shorten(text, limit):
    """`text` cut at a word boundary to at most `limit` characters, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"
