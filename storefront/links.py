"""Slugs and absolute links: one rule for every package that makes them."""

import re
from urllib.parse import urlsplit

from flask import current_app


def slugify(text, max_length=60):
    """`text` as lower-case ASCII words joined by hyphens, at most `max_length` characters.

    Anything that is not a-z or 0-9 separates words, so the result may be empty.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def absolute_url(endpoint, **values):
    """A full address of `endpoint` on PUBLIC_URL, inside a request or outside one.

    Mail, feeds, sitemaps, canonical links and payment return addresses use it: they
    must not depend on the Host header a request happened to carry.
    """
    app = current_app._get_current_object()
    base = urlsplit(app.config["PUBLIC_URL"])
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/",
                               url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
