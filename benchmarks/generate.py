"""Fill a database with a benchmark-sized catalogue: N products x M variants, K articles."""

import random

from sqlalchemy import select

from storefront.catalogue import demo
from storefront.catalogue.models import Colour, Product, ProductImage, Size, Variant, Width
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
    features = demo_features()
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


def demo_features():
    from storefront.catalogue.models import Feature
    return db.session.scalars(select(Feature)).all()


def has_articles():
    """Whether this shop has a blog to benchmark."""
    try:
        from storefront.articles import demo as articles_demo
    except ImportError:
        return False
    return hasattr(articles_demo, "bench_articles")


def articles(count=50):
    """Create `count` published articles with product cards; returns one slug to measure."""
    from storefront.articles import demo as articles_demo
    return articles_demo.bench_articles(count)
