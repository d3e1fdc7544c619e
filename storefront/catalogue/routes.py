"""Public catalogue pages: home, listing, product page and its JSON."""

from flask import Blueprint, g, jsonify, render_template, request

from ..links import absolute_url
from ..pagecache import cached_page
from . import service

bp = Blueprint("catalogue", __name__)


@bp.get("/")
@cached_page
def home():
    return render_template("catalogue/home.html", cards=service.featured_cards())


@bp.get("/products")
@cached_page
def products():
    filters = service.Filters.from_args(request.args)
    # The signed-in shopper's feet (set by the account package), for "Fits me".
    listing = service.list_products(filters, fit=g.get("shopper_fit"))
    return render_template(
        "catalogue/products.html",
        listing=listing,
        options=service.option_values(),
        sorts=service.SORTS,
    )


@bp.get("/products/<slug>.json")
@cached_page
def product_json(slug):
    return jsonify(service.product_json(slug))


@bp.get("/products/<slug>")
@cached_page
def product(slug):
    choice = {k: request.args.get(k, "")[:40] for k in ("size", "width", "colour")}
    prefix = service.attribute_param("")
    attributes = {key[len(prefix):]: value[:255] for key, value in request.args.items()
                  if key.startswith(prefix)}
    page = service.product_page(slug, choice, fit=g.get("shopper_fit"), attributes=attributes)
    return render_template("catalogue/product.html", page=page, product=page.product)


@bp.get("/robots.txt")
def robots():
    """Crawlers may index the shop, not the back office, carts or order pages."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in
              ("/staff/", "/cart", "/checkout", "/orders/", "/api/", "/webhooks/")]
    lines.append(f"Sitemap: {absolute_url('articles.sitemap')}")
    return "\n".join(lines) + "\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
