"""Small data builders for tests."""

import itertools

from sqlalchemy import select

from storefront.catalogue.models import Colour, Product, ProductImage, Size, Variant, Width
from storefront.extensions import db
from storefront.inventory import service as inventory

_serial = itertools.count(1)


def _option(model, key, value, **attrs):
    row = db.session.scalars(select(model).where(getattr(model, key) == value)).first()
    if row is None:
        row = model(**{key: value}, **attrs)
        db.session.add(row)
    return row


def make_product(stock=(10,), *, title=None, price=9900, published=True, featured=False,
                 threshold=5, gender="women", category="everyday", sizes=None, widths=None,
                 colours=None, description="A test shoe."):
    """A product with one variant per entry of `stock` (its opening on hand)."""
    n = next(_serial)
    title = title or f"Test Shoe {n}"
    product = Product(slug=f"test-shoe-{n}", title=title, summary=f"{title} summary",
                      description=description, gender=gender, category=category,
                      published=published, featured=featured, low_stock_threshold=threshold)
    product.images = [ProductImage(path="img/products/sneaker-navy.svg", alt=title, position=0)]
    db.session.add(product)
    for i in range(len(stock)):
        size = (sizes or [str(6 + i) for i in range(len(stock))])[i]
        width = (widths or ["M"] * len(stock))[i]
        colour = (colours or ["navy"] * len(stock))[i]
        product.variants.append(Variant(
            sku=f"T{n}-{i}",
            size=_option(Size, "label", size, sort_key=int(float(size) * 10)),
            width=_option(Width, "code", width, label={"M": "Medium", "W": "Wide",
                                                         "XW": "Extra wide"}[width],
                          sort_key={"M": 1, "W": 2, "XW": 3}[width]),
            colour=_option(Colour, "slug", colour, name=colour.title(), hex="#123456"),
            price_cents=price,
        ))
        db.session.flush()
    for variant, on_hand in zip(product.variants, stock, strict=True):
        inventory.open_stock(variant.id, on_hand)
    db.session.commit()
    return product
