"""The demo catalogue: original adaptive shoes in several sizes, widths and colours.

Loading is idempotent: products are matched by slug, variants by SKU, and a
variant's opening stock is written only when the variant is first created, so
a second load never duplicates rows or resets stock that staff have changed.
"""

import random

from sqlalchemy import func, select

from ..database import transactional
from ..extensions import db
from ..inventory import service as inventory
from . import service
from .models import (
    Colour,
    Feature,
    Product,
    ProductImage,
    SearchSynonym,
    Size,
    Tag,
    Variant,
    Width,
)

SIZES = ["5", "5.5", "6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5",
         "11", "11.5", "12", "13", "14"]
WIDTHS = [("M", "Medium", 1), ("W", "Wide", 2), ("XW", "Extra wide", 3)]
COLOURS = {
    "black": ("Black", "#1f2328"), "navy": ("Navy", "#1f3a64"), "grey": ("Grey", "#7b8088"),
    "sand": ("Sand", "#c9ad84"), "burgundy": ("Burgundy", "#7a2338"),
    "white": ("White", "#eceae6"), "olive": ("Olive", "#5d6b3a"), "teal": ("Teal", "#1f6f73"),
}

# slug, title, gender, category, shape, price, compare-at, colours, sizes, widths,
# stock profile, featured, tags, summary, description
PRODUCTS = [
    dict(slug="tessa-easy-entry-sneaker", title="Tessa Easy-Entry Sneaker", gender="women",
         category="everyday", shape="sneaker", price=11900, compare=None,
         colours=["navy", "white", "teal"], sizes=["6", "7", "8", "9", "10"],
         widths=["M", "W", "XW"], stock="plenty", featured=True,
         tags=["Easy closure", "Wide opening", "AFO friendly"],
         summary="A light everyday sneaker whose heel unzips all the way round, so a foot "
                 "with a brace slides in without a fight.",
         description="The Tessa opens from the back: a wraparound zip folds the heel down "
                     "flat, and a hook-and-loop strap over the instep sets the fit once the "
                     "foot is in. Inside there is room for a slim ankle-foot orthosis, and "
                     "the insole lifts out so a custom one can take its place.\n\n"
                     "The outsole is a firm rubber with a gentle rocker that helps the step "
                     "roll forward, and the toe is lifted slightly to catch less on carpets "
                     "and kerbs."),
    dict(slug="harbor-afo-walker", title="Harbor AFO Walker", gender="men",
         category="walking", shape="sneaker", price=13900, compare=15900,
         colours=["black", "grey"], sizes=["8", "9", "10", "11", "12", "13"],
         widths=["M", "W", "XW"], stock="mixed", featured=True,
         tags=["AFO friendly", "Extra depth", "Removable insole"],
         summary="Extra depth and a tongue that opens wide: built around a full ankle-foot "
                 "orthosis rather than squeezed over one.",
         description="Harbor starts from the brace. Two removable insoles let you choose "
                     "between 6 mm and 12 mm of extra depth, the tongue opens to the toe, and "
                     "the heel counter is wide enough for a rigid AFO without pressure "
                     "points.\n\nA pull loop at the heel and laces that lock with a single "
                     "toggle make it possible to put on with one hand."),
    dict(slug="marlow-wrap-boot", title="Marlow Wrap Boot", gender="women",
         category="boots", shape="boot", price=16900, compare=None,
         colours=["black", "burgundy", "sand"], sizes=["6", "7", "8", "9", "10"],
         widths=["M", "W"], stock="low", featured=True,
         tags=["Easy closure", "Water resistant"],
         summary="An ankle boot that wraps open on the side, for swollen ankles and braces "
                 "in cold weather.",
         description="The Marlow's side panel folds back on two broad straps, so the "
                     "boot opens like a book instead of asking the foot to point down into "
                     "it. Treated leather keeps rain out; a soft lining keeps warmth in.\n\n"
                     "Block heel of 2 cm, cushioned footbed, and a grippy sole with a wide "
                     "base for steadier steps on wet pavements."),
    dict(slug="ridge-strap-trainer", title="Ridge Strap Trainer", gender="men",
         category="everyday", shape="sneaker", price=9900, compare=None,
         colours=["black", "navy", "olive"], sizes=["8", "9", "10", "11", "12"],
         widths=["M", "W"], stock="plenty", featured=True,
         tags=["Easy closure", "Lightweight"],
         summary="Two wide hook-and-loop straps instead of laces, in a trainer that weighs "
                 "under 300 g.",
         description="For days when fine motor control is hard, Ridge closes with two wide "
                     "straps that can be done up with a flat hand. The upper is a breathable "
                     "knit with a reinforced toe that stands up to a dragging foot.\n\n"
                     "A light foam sole keeps each step easy to lift."),
    dict(slug="linden-dual-strap-sandal", title="Linden Dual-Strap Sandal", gender="women",
         category="sandals", shape="sandal", price=7900, compare=9500,
         colours=["sand", "black"], sizes=["6", "7", "8", "9"],
         widths=["M", "W", "XW"], stock="soldout", featured=False,
         tags=["Adjustable", "Lightweight"],
         summary="A summer sandal with a closed heel cup and two adjustable straps that hold "
                 "the foot without gripping.",
         description="Open sandals slip off a foot that cannot lift its toes. Linden keeps a "
                     "supportive heel cup and two straps that adjust independently at the "
                     "instep and the ankle, so the sandal stays on with every step."),
    dict(slug="calder-zip-derby", title="Calder Zip Derby", gender="men",
         category="dress", shape="dress", price=17900, compare=None,
         colours=["black", "burgundy"], sizes=["8", "9", "10", "11", "12"],
         widths=["M", "W"], stock="mixed", featured=True,
         tags=["Easy closure", "Extra depth"],
         summary="A leather derby for the office and for weddings, with a hidden side zip and "
                 "room for an insert.",
         description="Calder looks like a classic laced derby. The laces are fixed; a zip "
                     "inside the arch does the work. A removable insole gives 5 mm of extra "
                     "depth for orthotics, and the leather sole has a rubber forepart for "
                     "grip."),
    dict(slug="juniper-house-shoe", title="Juniper House Shoe", gender="unisex",
         category="slippers", shape="slipper", price=5900, compare=None,
         colours=["grey", "navy"], sizes=["6", "7", "8", "9", "10", "11", "12"],
         widths=["W", "XW"], stock="low", featured=False,
         tags=["Wide opening", "Indoor"],
         summary="A house shoe with a real heel and a sole that grips, because most falls "
                 "happen at home.",
         description="Juniper fastens over the instep with one wide strap and keeps its heel "
                     "up, unlike a slipper that folds under. The sole is a thin, flexible "
                     "rubber that grips tiles and wooden floors."),
    dict(slug="pike-trail-walker", title="Pike Trail Walker", gender="unisex",
         category="walking", shape="boot", price=15900, compare=None,
         colours=["olive", "black"], sizes=["7", "8", "9", "10", "11", "12"],
         widths=["M", "W", "XW"], stock="mixed", featured=True,
         tags=["AFO friendly", "Water resistant", "Extra depth"],
         summary="A waterproof mid-height walker with a toe bumper and a wide, stable base for "
                 "uneven paths.",
         description="Pike is for parks and trails. The raised toe bumper shrugs off scuffs "
                     "from a toe that catches, the mid-height collar supports the ankle, and "
                     "the lacing opens down to the toe to take an AFO."),
    dict(slug="iris-adaptive-mary-jane", title="Iris Adaptive Mary Jane", gender="women",
         category="dress", shape="dress", price=12900, compare=None,
         colours=["black", "navy", "burgundy"], sizes=["5", "6", "7", "8", "9"],
         widths=["M", "W"], stock="plenty", featured=False,
         tags=["Easy closure", "Removable insole"],
         summary="A smart Mary Jane with a magnetic strap that closes itself as it comes near.",
         description="Iris closes with a magnetic strap that finds its place without "
                     "fiddling. The low heel, padded collar and removable insole make it a "
                     "dress shoe that works with an orthotic."),
    dict(slug="ashby-brace-high-top", title="Ashby Brace High-Top", gender="men",
         category="everyday", shape="sneaker", price=12900, compare=None,
         colours=["white", "black"], sizes=["8", "9", "10", "11", "12", "13", "14"],
         widths=["W", "XW"], stock="mixed", featured=False,
         tags=["AFO friendly", "Extra depth", "Wide opening"],
         summary="A high-top that opens down the side, for tall braces and big sizes.",
         description="Ashby's long side zip opens the collar wide enough to step in with a "
                     "tall AFO, and its extra-wide last goes up to size 14."),
]

FEATURES = [
    ("afo-compatible", "Brace / AFO compatible",
     "Room inside for an ankle-foot orthosis; the insole comes out to make space."),
    ("easy-closure", "Easy closure",
     "Zips, hook-and-loop straps or magnets instead of laces you have to tie."),
    ("wide-opening", "Wide opening", "Opens far enough to step in without pointing the toes."),
    ("extra-depth", "Extra depth", "More height over the toes for orthotics and swelling."),
    ("removable-insole", "Removable insole", "Take it out for a custom orthotic."),
    ("one-hand", "One-handed fastening", "Can be done up with one hand."),
]
# Which features each demo shoe has, and what its fitter would tell you.
PRODUCT_FIT = {
    "tessa-easy-entry-sneaker": (["afo-compatible", "easy-closure", "wide-opening",
                                  "removable-insole"],
                                 "True to size. With a slim AFO, most people stay in "
                                 "their usual size and take one width up."),
    "harbor-afo-walker": (["afo-compatible", "extra-depth", "removable-insole", "one-hand"],
                          "Built around a brace: take your usual size; with the thicker "
                          "insole removed there is room for a full-length AFO."),
    "marlow-wrap-boot": (["easy-closure", "wide-opening"],
                         "Runs half a size small; order half a size up for thick socks."),
    "ridge-strap-trainer": (["easy-closure", "one-hand"],
                            "True to size with a roomy toe box."),
    "linden-dual-strap-sandal": (["easy-closure"],
                                 "True to size; both straps adjust for swelling during the day."),
    "calder-zip-derby": (["easy-closure", "extra-depth", "removable-insole"],
                         "Slightly narrow for a derby: if you are between widths, go wider."),
    "juniper-house-shoe": (["wide-opening", "easy-closure", "one-hand"],
                           "Generous fit; take your usual size or half a size down."),
    "pike-trail-walker": (["afo-compatible", "extra-depth", "removable-insole"],
                          "True to size. For a rigid AFO, go half a size up."),
    "iris-adaptive-mary-jane": (["easy-closure", "one-hand", "removable-insole"],
                                "True to size."),
    "ashby-brace-high-top": (["afo-compatible", "wide-opening", "extra-depth"],
                             "Cut for tall braces: usual size, one width up if your AFO "
                             "is thick at the ankle."),
}

_PROFILES = {"plenty": (6, 30), "mixed": (0, 14), "low": (0, 4), "soldout": (0, 0)}


def _by_key(model, column, values):
    rows = db.session.scalars(select(model)).all()
    existing = {getattr(r, column): r for r in rows}
    for key, attrs in values.items():
        if key not in existing:
            existing[key] = model(**{column: key}, **attrs)
            db.session.add(existing[key])
    return existing


def _opening_stock(rng, profile):
    low, high = _PROFILES[profile]
    value = rng.randint(low, high)
    # Mixed stock: about a quarter of the options sold out, some nearly gone.
    return 0 if profile == "mixed" and rng.random() < 0.25 else value


def _sku(spec, size, width, colour):
    prefix = "".join(word[0] for word in spec["slug"].split("-")[:3]).upper()
    return f"{prefix}-{size.replace('.', '')}-{width}-{colour[:3].upper()}"


# Sold as mismatched pairs as well: brace wearers often need a larger or wider shoe on
# the braced side.
MISMATCHED_PAIRS = {"tessa-easy-entry-sneaker", "harbor-afo-walker"}


@transactional
def load(progress=None):
    """Create or update the demo catalogue; returns (products_created, variants_created)."""
    sizes = _by_key(Size, "label", {s: {"sort_key": int(float(s) * 10)} for s in SIZES})
    widths = _by_key(Width, "code", {c: {"label": label, "sort_key": k}
                                      for c, label, k in WIDTHS})
    colours = _by_key(Colour, "slug", {slug: {"name": n, "hex": h}
                                       for slug, (n, h) in COLOURS.items()})
    features = _by_key(Feature, "slug", {slug: {"name": name, "description": text,
                                               "position": i}
                                        for i, (slug, name, text) in enumerate(FEATURES)})
    tag_names = {t for spec in PRODUCTS for t in spec["tags"]}
    tags = _by_key(Tag, "slug", {t.lower().replace(" ", "-"): {"name": t} for t in tag_names})
    db.session.flush()

    products_created = variants_created = 0
    new_stock = []
    for spec in PRODUCTS:
        product = db.session.scalars(select(Product).where(Product.slug == spec["slug"])).first()
        if product is None:
            product = Product(slug=spec["slug"])
            db.session.add(product)
            products_created += 1
        product.title = spec["title"]
        product.summary = spec["summary"]
        product.description = spec["description"]
        product.gender = spec["gender"]
        product.category = spec["category"]
        product.featured = spec["featured"]
        product.published = True
        product.low_stock_threshold = 5
        product.allows_mismatched = spec["slug"] in MISMATCHED_PAIRS
        product.seo_title = f"{spec['title']} | adaptive {spec['category']} shoes"
        product.seo_description = spec["summary"]
        product.tags = [tags[t.lower().replace(" ", "-")] for t in spec["tags"]]
        feature_slugs, product.fit_notes = PRODUCT_FIT[spec["slug"]]
        product.features = [features[slug] for slug in feature_slugs]
        if not product.images:
            product.images = [
                ProductImage(path=f"img/products/{spec['shape']}-{c}.svg",
                             alt=f"{spec['title']} in {COLOURS[c][0].lower()}, side view",
                             position=i)
                for i, c in enumerate(spec["colours"])
            ]
        # Retired variants and SKUs staff renamed on the variant grid count as existing.
        existing = {v.sku for v in product.all_variants}
        combinations = {(v.size.label, v.width.code, v.colour.slug) for v in product.all_variants}
        rng = random.Random(spec["slug"])  # noqa: S311 (repeatable demo stock, not secrets)  # nosec B311
        for colour in spec["colours"]:
            for size in spec["sizes"]:
                for width in spec["widths"]:
                    sku = _sku(spec, size, width, colour)
                    on_hand = _opening_stock(rng, spec["stock"])
                    if sku in existing or (size, width, colour) in combinations:
                        continue
                    variant = Variant(sku=sku, size=sizes[size], width=widths[width],
                                      colour=colours[colour], price_cents=spec["price"],
                                      compare_at_cents=spec["compare"])
                    product.variants.append(variant)
                    new_stock.append((variant, on_hand))
                    variants_created += 1
        if progress:
            progress(1)
    db.session.flush()
    for variant, on_hand in new_stock:
        inventory.open_stock(variant.id, on_hand, reference="demo", note="Demo catalogue")
    return products_created, variants_created


# The words shoppers use for the same thing, one group per line on /staff/search.
SYNONYMS = [
    "velcro, hook-and-loop, strap, touch fastening",
    "afo, brace, orthosis, orthotic, ankle-foot orthosis, splint",
    "wide, broad, extra wide, roomy",
    "diabetic, extra depth, deep toe box",
    "slipper, house shoe",
    "trainer, sneaker, running shoe",
    "easy on, slip-on, easy entry",
    "zip, zipper",
]


def load_synonyms():
    """Seed the search synonyms if staff have none yet; returns how many groups were added."""
    if db.session.scalar(select(func.count()).select_from(SearchSynonym)):
        return 0
    return service.save_synonyms("\n".join(SYNONYMS))
