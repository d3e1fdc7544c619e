"""Demo articles on walking well, written for this shop, linking to demo products.

Loading is idempotent: an article whose slug exists is left exactly as staff
may have edited it.
"""

from datetime import timedelta

from sqlalchemy import select

from ..database import transactional
from ..extensions import db
from ..links import slugify
from ..models import utcnow
from . import service
from .models import Article, ShopPage

AUTHOR_BIO = (
    "Mira looks after the shop's guides. Before joining us she spent eight years on the "
    "shop floor of an orthopaedic footwear store, fitting shoes over braces, bandages and "
    "swollen ankles, and she still answers the questions customers ask most.\n\n"
    "She walks the same canal path every morning and tests every new shoe on it."
)

AUTHOR_PHOTO = "/static/img/authors/mira.svg"

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

## Questions readers ask

```questions
Q: Should I buy a size up to fit my AFO?
A: Usually not. Try your usual length one width up, with the insole taken out; a longer
shoe leaves the heel loose and the toes catching.

Q: Can I wear the brace in sandals?
A: Some sandals with a closed heel and two adjustable straps take a low-profile brace.
Look for "Room for a brace" among the features on the product page.

Q: Do I need a different shoe for each foot?
A: Only if the braced foot needs more room than the other. Shoes sold as mismatched pairs
let you pick a size or width for each foot at no extra cost.
```
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
    if author is not None and not author.author_slug:
        author.author_slug = slugify(author.display_name or "our-team", 80)
        author.photo_url = author.photo_url or AUTHOR_PHOTO
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


# The pages shoppers look for before buying, linked from every page's footer.
PAGES = [
    dict(slug="shipping", title="Shipping", summary="How we pack and send your shoes, "
         "how long it takes and what it costs.", body="""\
We pack every order on the working day it is paid for, if payment reaches us by 2 pm.
Orders paid later, or at the weekend, leave on the next working day.

## How long it takes

- **Standard:** 3 to 5 working days.
- **Express:** 1 to 2 working days, for orders paid by 2 pm.

You get an e-mail when your order leaves our warehouse, with the parcel's tracking link.

## Packaging

Shoes travel in their box inside a recycled cardboard mailer, with no plastic filling.
Braces and insoles are easier to fit into a box that opens wide, so we keep the box
simple to open with one hand: pull the paper tab on the short side.

## Something is wrong with the delivery

If the parcel is late, damaged or not what you ordered, write to us from the
[contact page](/pages/contact) with your order number and we will put it right.
"""),
    dict(slug="returns-and-exchanges", title="Returns and exchanges", summary="Free "
         "exchanges on sizes and widths within 60 days, and refunds within 30 days.", body="""\
Fitting shoes over a brace or a swollen ankle sometimes takes two tries. That is why
exchanges for another size or width are free for 60 days after delivery.

## Exchanges

Tell us which size or width you would like instead and we hold it for you while your
first pair travels back. Wear the shoes indoors, with your brace, as long as you need
to decide: soles that have only met carpet are still as good as new.

## Refunds

You can return unworn shoes for a refund within 30 days of delivery. The refund goes to
the card you paid with, within five working days of the parcel reaching us.

## Mismatched pairs

Pairs with a different size or width for each foot can be exchanged like any other pair.

## Questions and answers

```questions
Q: Who pays for the return parcel?
A: We do, for exchanges and refunds alike: the label comes with the e-mail that confirms
your request.

Q: Can I exchange shoes I have worn outside?
A: We can only take back shoes worn indoors. If a pair rubs after a walk, write to us
anyway: we would rather help you find a fit than lose you.
```
"""),
    dict(slug="contact", title="Contact us", summary="Questions about fit, an order or "
         "a return: how to reach the people who can answer.", body="""\
The people who answer are the same people who fit and pack the shoes.

## Fit questions

Tell us what you wear (brace, insole, bandage), the size you wear now and what pinches
or slips. We usually answer within one working day.

## Orders and returns

Include your order number: it is in the confirmation e-mail and on your order page.

## Accessible contact

If e-mail is hard for you, ask for a call back at a time that suits you, or ask a
friend or carer to write for you: we will talk to whomever you name.
"""),
    dict(slug="about", title="About the shop", summary="Shoes for people who walk with "
         "a brace, an orthosis or feet that change through the day.", body="""\
We started the shop because finding one shoe that fits over an ankle-foot orthosis
(AFO) usually meant buying two pairs in different sizes.

Every shoe we sell opens wide, closes with a strap, a zip or hook-and-loop tape you can
manage with one hand, and comes in at least three widths. Several can be ordered with a
different size or width for each foot, as one pair.

## What the stock numbers mean

When a product page says "Only 2 left", there are two pairs on our shelf that nobody
else has paid for or is checking out with. We never sell a pair we do not have.
"""),
    dict(slug="accessibility", title="Accessibility statement", summary="How this shop "
         "is built to work with a keyboard, a screen reader and a small screen.", body="""\
We want everyone to be able to choose and buy shoes here, whichever way they use the web.

## What we aim for

- Every page follows the Web Content Accessibility Guidelines (WCAG) 2.2 at level AA.
- Everything works with a keyboard alone, with visible focus.
- Pages work on a screen 320 pixels wide without sideways scrolling.
- Every page works without JavaScript.
- Stock is always said in words ("In stock", "Only 2 left", "Sold out"), not colour alone.

## How we check

Every change to the shop is tested in a real browser with an automated accessibility
checker, by keyboard, and at phone widths.

## Tell us about a problem

If something on the shop is hard to use, please tell us through the
[contact page](/pages/contact). We answer within two working days and tell you when
it is fixed.
"""),
    dict(slug="privacy", title="Privacy", summary="What we keep about you, why, and "
         "for how long.", body="""\
We keep only what we need to send your shoes and look after your order.

## What we keep

- Your name, delivery address and e-mail address, to deliver the order and tell you
  about it.
- What you ordered, for exchanges, returns and our accounts.
- If you ask to hear when a sold-out size is back, your e-mail address for that size
  only, until we have told you or you unsubscribe.
- If you have an account: your saved addresses and your fit profile (the size and
  width of each foot, a brace, the closures you like), until you delete the account.
- A sign-in link we e-mail you, for one day; after that we forget it was asked for.

Card details go straight to our payment provider; we never see or store them.

## How long

Orders are kept for seven years for our accounts. When you delete your account, its
orders stay without your name, e-mail address or delivery address, and everything
else listed above goes.

## Cookies

One cookie keeps your cart and, when you are signed in, who you are (for staff, the
login). We use no advertising or tracking cookies.

## Your rights

Signed in, the "Your data" page of your account downloads everything we hold about
you and deletes your account after you confirm by e-mail. You can also ask through
the [contact page](/pages/contact).
"""),
    dict(slug="terms", title="Terms of sale", summary="The terms under which we sell "
         "shoes through this shop.", body="""\
## Prices

Prices are shown with their currency. The price you pay is the one shown in your cart
when you check out.

## Stock

Placing an order holds the shoes for you while you pay. If the payment does not
complete, the hold ends and the shoes go back on sale.

## Returns

See [returns and exchanges](/pages/returns-and-exchanges) for how long you have and how
refunds are paid.
"""),
]


def load_pages(progress=None):
    """Create the demo shop pages that are missing, in footer order; returns how many
    were created. A page whose web address exists is left as staff edited it."""
    existing = set(db.session.scalars(
        select(ShopPage.slug).where(ShopPage.slug.in_([p["slug"] for p in PAGES]))))
    created = 0
    for position, spec in enumerate(PAGES):
        if spec["slug"] not in existing:
            service.save_page(None, service.PageInput(position=position * 10, **spec))
            created += 1
        if progress:
            progress(1)
    return created
