"""Demo articles on walking well, written for this shop, linking to demo products.

Loading is idempotent: an article whose slug exists is left exactly as staff
may have edited it.
"""

from datetime import timedelta

from sqlalchemy import select

from ..database import transactional
from ..extensions import db
from ..models import utcnow
from . import service
from .models import Article

AUTHOR_BIO = (
    "Mira looks after the shop's guides. Before joining us she spent eight years on the "
    "shop floor of an orthopaedic footwear store, fitting shoes over braces, bandages and "
    "swollen ankles, and she still answers the questions customers ask most.\n\n"
    "She walks the same canal path every morning and tests every new shoe on it."
)

ARTICLES = [
    dict(
        slug="choosing-shoes-to-wear-with-an-afo",
        title="Choosing shoes to wear with an AFO",
        days_ago=40,
        tags="AFO, Fit, Buying guide",
        featured="harbor-afo-walker, tessa-easy-entry-sneaker, ashby-brace-high-top",
        summary="An ankle-foot orthosis adds bulk where most shoes have none to spare. "
                "Here is what to look for so the brace and the shoe work together.",
        body="""An ankle-foot orthosis (AFO) holds the foot and ankle in a steadier position, but it
also takes up room inside the shoe: under the heel, along the sides and over the instep.
A shoe that fits your bare foot perfectly will usually be too tight once the brace is in.
This guide walks through the parts of a shoe that matter most.

## Start with depth, not length

Most people first reach for a larger size. That adds length at the toes, where the brace
does not need it, and leaves the heel slipping. Look instead for **extra depth**: shoes made
with a removable insole, or two insoles of different thickness, so the footbed can be taken
out to make room for the brace plate.

[[product:harbor-afo-walker]]

## Look at how the shoe opens

Getting a braced foot into a shoe is often the hardest part of the day. The wider the
opening, the less the foot has to bend. Helpful designs include:

- a tongue that opens all the way down to the toes,
- a heel that folds or unzips so the foot slides in from behind,
- straps instead of laces, so the closure can be set with one hand.

### Try it seated

Put the shoe on the way you will on an ordinary morning, sitting on the edge of a bed or
chair. If it only works with help or while standing on one leg, keep looking.

[[product:tessa-easy-entry-sneaker]]

## Check the heel counter

The stiff cup around the heel has to be wide enough for the brace shell without pressing
on it. Run a finger round the inside of the heel with the brace in place: there should be
no hard ridge against the plastic.

## Bring the brace to every fitting

Always measure and try on with the AFO you actually wear, and the sock you wear under it.
If you have braces for day and night, or an older and a newer one, try both. Our sizes come
in medium, wide and extra-wide; many brace wearers find that one width up, in their usual
length, fits best.

## When to ask your orthotist

If the brace rubs, or your foot sits at an odd angle in the shoe, talk to the person who made
the orthosis. A small adjustment to the brace can make an ordinary shoe work, and they can
tell you how much depth your particular brace needs.
""",
    ),
    dict(
        slug="foot-drop-explained",
        title="Foot drop explained: causes, signs and everyday help",
        days_ago=25,
        tags="Foot drop, Health",
        featured="pike-trail-walker, ridge-strap-trainer",
        summary="Foot drop makes it hard to lift the front of the foot. What causes it, how "
                "to recognise it, and the everyday changes that make walking easier.",
        body="""Foot drop is not a disease in itself. It describes a problem: the muscles that
raise the front of the foot are weak or not getting the right signals, so the toes point down as the
leg swings forward. People often notice it first as a toe that catches on steps or carpet.

## Common causes

Lifting the foot depends on a chain that runs from the brain, down the spinal cord, along
the peroneal nerve at the side of the knee, to the muscles at the front of the shin. A problem
anywhere along that chain can cause foot drop. Frequent causes include:

- pressure on or injury to the peroneal nerve, for example after a knee injury or long
  periods with the legs crossed,
- a trapped nerve root in the lower back,
- a stroke, multiple sclerosis or another condition affecting the brain or spinal cord,
- nerve damage from diabetes.

Because the causes are so different, a doctor's assessment matters. Some forms improve on
their own or with treatment, others are lasting.

## Signs to look out for

### The way you walk changes

To keep the toes clear of the ground, many people lift the knee higher than usual, or swing
the leg out to the side. The foot may land with a slap instead of rolling from heel to toe.

### Trips become more frequent

Catching the toe on a kerb, a rug edge or the top of a stair is often the first thing people
notice. If trips are new for you, mention them to your doctor even if you have not fallen.

## What helps day to day

A physiotherapist can suggest exercises to strengthen the muscles that remain, and stretches
for the calf, which tends to tighten. An orthotist may recommend a brace that holds the
foot up as you step.

Shoes play their part too. A **light shoe** is easier to lift with every step, a **firm,
slightly rounded sole** helps the foot roll forward, and a **raised toe** gives a little
more clearance. If you wear a brace, the shoe also needs room for it: see our guide to
[choosing shoes for an AFO](/blog/choosing-shoes-to-wear-with-an-afo).

[[product:pike-trail-walker]]

For days when tying laces is a struggle, the [[product:ridge-strap-trainer]] closes with two
wide straps that can be done up with a flat hand.

## When to see a doctor

See a doctor promptly if foot drop comes on suddenly, gets worse, or comes with back pain,
numbness or weakness elsewhere. Sudden weakness in the face, arm or leg needs emergency care.
""",
    ),
    dict(
        slug="fewer-trips-and-falls-at-home",
        title="Fewer trips and falls at home: a room-by-room check",
        days_ago=10,
        tags="Safety, Home, Foot drop",
        featured="juniper-house-shoe, iris-adaptive-mary-jane",
        summary="Most falls happen at home, on familiar ground. A short walk through each "
                "room, and the right shoes indoors, remove many of the usual culprits.",
        body="""Home feels safe because it is familiar, yet that is exactly where most trips
happen: we stop looking where we put our feet. If your steps are less certain than they
were, an afternoon spent walking through each room with fresh eyes is time well spent.

## Hallways and stairs

- Clear anything stored on the stairs, even for a moment.
- Fit a second handrail so there is one on each side.
- Mark the edge of each step with a contrasting strip if they are hard to tell apart.
- Put a light switch at the top and the bottom, or plug-in night lights along the way.

## Living room

Rugs are the most common trip hazard. Remove loose ones, or fix them down with tape made for
the purpose along every edge. Move cables to run along walls, and leave a clear path at
least a stride wide between the door and your usual chair.

## Bathroom

Wet floors and hard surfaces make the bathroom the room where falls hurt most.

### Add grip and support

A non-slip mat inside and outside the bath or shower, and a grab rail where you step in and
out, make the biggest difference. A seat in the shower lets you wash without balancing on one
foot.

## Bedroom

Keep a lamp within reach of the bed and switch it on before you stand up. Get up in stages:
sit, wait a moment, then stand. Light-headedness after lying down is a common cause of falls
at night.

## What you wear on your feet indoors

Socks on smooth floors and backless slippers are a risky pair. An indoor shoe should hold the
heel, have a thin sole with real grip, and be easy to put on so you are not tempted to go
without.

[[product:juniper-house-shoe]]

## Keep moving

Staying active keeps the muscles and balance that prevent falls. Ask your doctor or a
physiotherapist about a strength and balance programme; many are free and run locally.
""",
    ),
]


@transactional
def load(author=None, progress=None):
    """Create the demo articles that are missing, published on past dates and written by
    `author` (a staff user, whose empty bio is filled in); returns how many were created."""
    now = utcnow()
    if author is not None and not author.bio:
        author.bio = AUTHOR_BIO
    existing = set(db.session.scalars(
        select(Article.slug).where(Article.slug.in_([a["slug"] for a in ARTICLES]))))
    created = 0
    for spec in ARTICLES:
        if spec["slug"] not in existing:
            article = service.save_article(
                None,
                service.ArticleInput(title=spec["title"], slug=spec["slug"],
                                     summary=spec["summary"], body=spec["body"],
                                     tags=spec["tags"], featured=spec["featured"]),
                author_id=author.id if author is not None else None,
            )
            article.publish_at = now - timedelta(days=spec["days_ago"])
            created += 1
        if progress:
            progress(1)
    return created
