"""Jinja filters and globals: money formatting and stock wording live here only."""

import nh3
from flask import current_app, url_for
from markupsafe import Markup, escape

from .catalogue.service import stock_status, stock_text
from .links import absolute_url
from .money import format_money


def money(minor, currency=None):
    """Format integer minor units as a price in the currency's own decimals, e.g.
    12900 USD -> $129.00, 8000 JPY -> ¥8,000, 1250 KWD -> KWD 1.250."""
    return format_money(minor, currency or current_app.config["SHOP_CURRENCY"])


def image_url(path, external=False):
    """A product image: absolute URLs (imported shops) as they are, else a static file
    (on PUBLIC_URL when `external`, for links that leave the page)."""
    if path.startswith(("https://", "http://")):
        return path
    if external:
        return absolute_url("static", filename=path)
    return url_for("static", filename=path)


def photo_src(image, external=False):
    """The address of a product photo: its largest stored fallback file, or the address
    an import gave (see `image_url`)."""
    if not image.is_stored:
        return image_url(image.path, external)
    if external:
        return absolute_url("media.file", name=image.path)
    return url_for("media.file", name=image.path)


def photo_srcset(image, fmt):
    """A `srcset` of a stored photo's files in `fmt` ("webp", "jpeg", "png")."""
    return ", ".join(f"{url_for('media.file', name=r['name'])} {r['width']}w"
                     for r in image.files(fmt))


def description_html(text):
    """A product description as HTML: stored HTML (imported shops) sanitised again, plain
    text split into escaped paragraphs at blank lines."""
    if nh3.is_html(text):
        # Sanitised by nh3 right here, so marking it safe is sound.
        return Markup(nh3.clean(text, link_rel="noopener noreferrer nofollow"))  # noqa: S704  # nosec B704
    return Markup("".join(f"<p>{escape(part.strip())}</p>"  # noqa: S704 (escaped)  # nosec B704
                          for part in text.split("\n\n") if part.strip()))


def init_app(app):
    app.add_template_filter(money)
    app.add_template_filter(image_url)
    app.add_template_filter(photo_src)
    app.add_template_global(photo_srcset)
    app.add_template_filter(description_html)
    app.add_template_global(stock_status)
    app.add_template_global(stock_text)
    app.add_template_global(absolute_url)

    @app.context_processor
    def shop_globals():
        return {"shop_name": app.config["SHOP_NAME"]}
