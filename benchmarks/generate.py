"""Fill a database with a benchmark-sized catalogue: N products x M variants, K articles."""

import random

from sqlalchemy import select

from storefront.catalogue import demo
from storefront.catalogue.models import (
    Colour,
    Feature,
    Product,
    ProductImage,
    Size,
    Variant,
    Width,
)
from storefront.database import transactional
from storefront.extensions import db
from storefront.inventory import service as inventory

SHAPES = ["sneaker", "boot", "sandal", "dress", "slipper"]


@transactional
def catalogue(products=500, variants_per_product=10, progress=None):
    """Create `products` published products, each with `variants_per_product` variants."""
    demo.load()  # options, features and the ten demo shoes
    rng = random.Random(7)  # noqa: S311 (repeatable data, not secrets)
    sizes = db.session.scalars(select(Size).order_by(Size.sort_key)).all()
    widths = db.session.scalars(select(Width)).all()
    colours = db.session.scalars(select(Colour)).all()
    features = db.session.scalars(select(Feature)).all()
    created = []
    for n in range(products):
        colour = colours[n % len(colours)]
        product = Product(
            slug=f"bench-shoe-{n}", title=f"Bench Walker {n}", gender=rng.choice(["women", "men"]),
            category=rng.choice(["everyday", "walking", "boots"]), published=True,
            featured=n % 40 == 0, summary="A benchmark shoe with a wide opening.",
            description="Generated for benchmarks. " * 20, fit_notes="True to size.",
        )
        product.images = [ProductImage(path=f"img/products/{SHAPES[n % 5]}-{colour.slug}.svg",
                                       alt=f"Bench Walker {n}", position=0)]
        product.features = rng.sample(features, 2)
        for i in range(variants_per_product):
            product.variants.append(Variant(
                sku=f"BENCH-{n}-{i}", size=sizes[i % len(sizes)], width=widths[i % len(widths)],
                colour=colours[(n + i // len(sizes)) % len(colours)],
                price_cents=rng.randrange(5900, 19900, 100)))
        db.session.add(product)
        created.append(product)
        if progress:
            progress(1)
    db.session.flush()
    for product in created:
        for variant in product.variants:
            inventory.open_stock(variant.id, rng.choice([0, 2, 8, 40]))
    return len(created)


@transactional
def flash_sale_product(units=50):
    """One published shoe with a single variant and `units` in stock; returns the variant."""
    demo.load()
    product = Product(slug="flash-sale-shoe", title="Flash Sale Walker", gender="unisex",
                      category="walking", published=True, summary="Limited run.",
                      description="A limited run for the flash sale benchmark.")
    product.images = [ProductImage(path="img/products/sneaker-teal.svg", alt="Flash Sale Walker",
                                   position=0)]
    variant = Variant(sku="FLASH-9-M", price_cents=9900,
                      size=db.session.scalars(select(Size).where(Size.label == "9")).one(),
                      width=db.session.scalars(select(Width).where(Width.code == "M")).one(),
                      colour=db.session.scalars(select(Colour).where(Colour.slug == "teal")).one())
    product.variants.append(variant)
    db.session.add(product)
    db.session.flush()
    inventory.open_stock(variant.id, units)
    return variant.id


def articles(count=50):
    """Create `count` published articles, each with three product cards; returns a slug."""
    from storefront.articles import service as articles_service
    from storefront.models import utcnow

    body = "\n\n".join(
        f"## Part {i}\n\n" + "Walking well starts with the right shoe. " * 30
        + f"\n\n[[product:bench-shoe-{i * 7}]]" for i in range(1, 4))
    for n in range(count):
        article = articles_service.save_article(None, articles_service.ArticleInput(
            title=f"Walking guide {n}", slug=f"walking-guide-{n}",
            summary="A benchmark article with product cards.", body=body,
            tags="Guide, Walking", featured="bench-shoe-1, bench-shoe-2"))
        article.publish_at = utcnow()
    db.session.commit()
    return "walking-guide-0"
