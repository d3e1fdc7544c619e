"""The fit profile: checked against the size chart; "Fits me" and "In your size" agree
exactly (sizes and widths of both feet, one colour, mismatched pairs only where the shoe
allows them, room for a brace), on both databases; product pages preselect the fit."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from storefront.account.models import Shopper
from storefront.catalogue.models import Colour, Feature, Size, Width
from storefront.extensions import db
from storefront.models import utcnow
from tests.account.helpers import flashes, sign_in, text
from tests.conftest import Browser
from tests.factories import make_product

MISMATCHED = {"left_size": "8", "left_width": "M", "right_size": "9", "right_width": "W",
              "brace": "left"}
SAME = {"left_size": "8", "left_width": "M", "right_size": "8", "right_width": "M",
        "brace": "none"}


@pytest.fixture
def robin(app):
    browser = Browser(app)
    sign_in(browser, "robin@example.com")
    return browser


def save_fit(browser, data, **kwargs):
    return browser.submit("/account/fit", "/account/fit", data, **kwargs)


def afo(product):
    feature = db.session.scalars(select(Feature).where(Feature.slug == "afo-compatible")).first()
    feature = feature or Feature(slug="afo-compatible", name="Brace / AFO compatible")
    product.features.append(feature)


def shoe(title, options, *, mismatched=True, brace=True, published=True):
    """`options`: (size, width, colour, on hand) per variant."""
    product = make_product([o[3] for o in options], title=title,
                           sizes=[o[0] for o in options], widths=[o[1] for o in options],
                           colours=[o[2] for o in options], published=published)
    product.allows_mismatched = mismatched
    if brace:
        afo(product)
    db.session.commit()
    return product


@pytest.fixture
def shoes(app):
    """Shoes that do and do not suit left 8 Medium, right 9 Wide with a brace."""
    made = {
        "fits": shoe("Fits", [("8", "M", "navy", 3), ("9", "W", "navy", 1)]),
        "one size only": shoe("One size only", [("8", "M", "navy", 3), ("9", "W", "navy", 3)],
                              mismatched=False),
        "colours differ": shoe("Colours differ", [("8", "M", "navy", 3), ("9", "W", "black", 3),
                                                  ("9", "W", "navy", 0)]),
        "right sold out": shoe("Right sold out", [("8", "M", "navy", 3), ("9", "W", "navy", 0)]),
        "no brace room": shoe("No brace room", [("8", "M", "navy", 3), ("9", "W", "navy", 3)],
                              brace=False),
        "widths swapped": shoe("Widths swapped", [("8", "W", "navy", 3), ("9", "M", "navy", 3)]),
        "left only": shoe("Left only", [("8", "M", "navy", 3), ("10", "W", "navy", 3)]),
        "retired": shoe("Retired right", [("8", "M", "teal", 3), ("9", "W", "teal", 3)]),
        "hidden": shoe("Hidden", [("8", "M", "navy", 3), ("9", "W", "navy", 3)],
                       published=False),
        "second colour": shoe("Second colour", [("8", "M", "navy", 0), ("9", "W", "navy", 3),
                                                ("8", "M", "grey", 2), ("9", "W", "grey", 2)]),
    }
    made["retired"].variants[1].retired_at = utcnow()
    db.session.commit()
    return made


def titles(page):
    return re.findall(r'<h3 class="card-title">(.*?)</h3>', page)


def fit_tags(page):
    """{card title: "In your size" | "Not in your size" | None} from a listing page."""
    tags = {}
    for card in re.findall(r'<article class="card">(.*?)</article>', page, re.S):
        title = re.search(r'<h3 class="card-title">(.*?)</h3>', card).group(1)
        tag = re.search(r'<p class="fit-tag[^"]*">(.*?)</p>', card)
        tags[title] = tag.group(1) if tag else None
    return tags


def test_the_fit_profile_is_saved_and_shown(robin, chart):
    response = save_fit(robin, MISMATCHED | {"closures": ["zip", "hook-and-loop"]},
                        follow_redirects=True)
    assert ("Fit profile saved: left 8 Medium, right 9 Wide; a brace on the left foot. "
            "Shoes now say whether they come in your size.") in flashes(text(response))
    shopper = db.session.scalars(select(Shopper)).one()
    assert (shopper.left_size.label, shopper.left_width.code, shopper.right_size.label,
            shopper.right_width.code, shopper.brace, shopper.closures) == (
        "8", "M", "9", "W", "left", ["zip", "hook-and-loop"])
    page = text(robin.get("/account"))
    assert "Left foot: size 8, Medium. Right foot: size 9, Wide. A brace on the left foot." in page
    assert "Closures: Zip, Hook-and-loop strap." in page


@pytest.fixture
def chart(app):
    """The size chart the shop has: sizes 8 and 9, widths Medium and Wide."""
    for label in ("8", "9"):
        db.session.add(Size(label=label, sort_key=int(label) * 10))
    db.session.add_all([Width(code="M", label="Medium", sort_key=1),
                        Width(code="W", label="Wide", sort_key=2),
                        Colour(slug="navy", name="Navy", hex="#112233")])
    db.session.commit()


@pytest.mark.parametrize("change, field, message", [
    ({"left_size": "15"}, "left_size", "We make no size '15'; choose one from the list."),
    ({"right_size": ""}, "right_size", "Choose the right foot's size from the list."),
    ({"left_width": "XXXW"}, "left_width", "We make no width 'XXXW'; choose one from the list."),
    ({"right_width": "<b>"}, "right_width", "We make no width '<b>'"),
    ({"brace": "middle"}, "brace", "Choose whether you wear a brace, and on which side."),
    ({"closures": ["zip", "glue"]}, "closures", "Choose closures from the list."),
])
def test_fit_values_outside_the_size_chart_are_refused_at_the_field(robin, chart, change,
                                                                    field, message):
    save_fit(robin, SAME)
    response = save_fit(robin, MISMATCHED | change)
    assert response.status_code == 422
    page = unescape(text(response))
    assert f'<p class="field-error" id="err-{field}">{message}' in page
    db.session.expire_all()
    shopper = db.session.scalars(select(Shopper)).one()
    assert (shopper.right_size.label, shopper.brace) == ("8", "none")  # nothing changed


def test_fits_me_shows_exactly_the_shoes_in_both_sizes_with_room_for_the_brace(robin, shoes):
    save_fit(robin, MISMATCHED)
    expected = {"Fits", "Second colour"}
    page = text(robin.get("/products?fit=me"))
    assert set(titles(page)) == expected
    assert "2 shoes that fit you" in page
    everything = fit_tags(text(robin.get("/products")))
    assert everything == {t: "In your size" if t in expected else "Not in your size"
                          for t in everything}
    assert "Hidden" not in everything and len(everything) == 9


def test_one_size_for_both_feet_needs_no_mismatched_pair_and_no_brace_room(robin, shoes):
    save_fit(robin, SAME)
    expected = {"Fits", "One size only", "Colours differ", "Right sold out", "No brace room",
                "Left only", "Retired right", "Second colour"}
    assert set(titles(text(robin.get("/products?fit=me")))) == expected
    tags = fit_tags(text(robin.get("/products")))
    assert {t for t, tag in tags.items() if tag == "In your size"} == expected


def test_a_sale_elsewhere_takes_a_shoe_out_of_fits_me(robin, shoes):
    save_fit(robin, MISMATCHED)
    from storefront.inventory import service as inventory

    right = shoes["fits"].variants[1]
    inventory.hold("order:test", {right.id: 1}, utcnow().replace(year=2999), actor="test")
    assert set(titles(text(robin.get("/products?fit=me")))) == {"Second colour"}


def test_visitors_and_shoppers_without_a_profile_get_every_shoe_and_a_hint(app, client, shoes):
    page = text(client.get("/products?fit=me"))
    assert len(titles(page)) == 9 and "Sign in and save your fit profile" in page
    assert set(fit_tags(page).values()) == {None}
    browser = Browser(app)
    sign_in(browser, "new@example.com")
    page = text(browser.get("/products?fit=me"))
    assert len(titles(page)) == 9 and "Save your fit profile" in page


def test_signed_in_shoppers_never_get_the_shared_cached_listing(app, client, robin, shoes):
    client.get("/products")
    client.get("/products")  # now cached for visitors
    save_fit(robin, SAME)
    assert "In your size" in text(robin.get("/products"))
    assert "In your size" not in text(client.get("/products"))


def test_a_product_page_preselects_a_mismatched_pair(robin, shoes):
    save_fit(robin, MISMATCHED)
    product = shoes["second colour"]  # the navy left is sold out: grey is chosen
    page = text(robin.get(f"/products/{product.slug}"))
    left = next(v for v in product.variants if v.colour.slug == "grey" and v.size.label == "8")
    right = next(v for v in product.variants if v.colour.slug == "grey" and v.size.label == "9")
    assert re.search(rf'<select id="pair-left".*?<option value="{left.id}"[^>]*selected',
                     page, re.S)
    assert re.search(rf'<select id="pair-right".*?<option value="{right.id}"[^>]*selected',
                     page, re.S)
    assert "Your sizes for each foot are chosen below" in page


def test_a_product_page_preselects_one_size_and_leaves_a_shoppers_own_choice(robin, shoes):
    save_fit(robin, SAME)
    product = shoes["fits"]
    page = text(robin.get(f"/products/{product.slug}"))
    assert re.search(r'name="size" value="8" checked', page)
    assert re.search(r'name="width" value="M" checked', page)
    assert f'name="variant_id" value="{product.variants[0].id}"' in page
    own = text(robin.get(f"/products/{product.slug}?size=9&width=W&colour=navy"))
    assert re.search(r'name="size" value="9" checked', own)
    save_fit(robin, MISMATCHED)
    one_size = text(robin.get(f"/products/{shoes['one size only'].slug}"))
    assert "this shoe comes as a pair of one size" in one_size
