"""The back office's product pages beyond copy: a new product, classification, size chart
and status in the editor, and the variant grid with its prices, for each role."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from storefront.catalogue.models import Colour, Feature, PriceChange, Product, Size, Variant, Width
from storefront.extensions import db
from tests.staff.helpers import login, make_staff
from tests.staff.test_products import flashes, form_of, reloaded, save, shopper_sees, text

PID, VID = "{pid}", "{vid}"
MARKETING = {"admin": "ok", "marketing": "ok", "warehouse": 403, None: "login"}
ADMIN = {"admin": "ok", "marketing": 403, "warehouse": 403, None: "login"}
# (method, path, data, who may) for the role table.
ROUTES = [
    ("GET", "/staff/products/new", None, MARKETING),
    ("POST", "/staff/products/new", {"title": "Role Test Shoe", "category": "walking",
                                     "gender": "men", "status": "draft"}, MARKETING),
    ("GET", f"/staff/products/{PID}/variants", None, ADMIN),
    ("POST", f"/staff/products/{PID}/variants", "edits", ADMIN),
    ("POST", f"/staff/products/{PID}/variants/generate", "generate", ADMIN),
    ("POST", f"/staff/products/{PID}/variants/{VID}/retire", {}, ADMIN),
    ("POST", f"/staff/products/{PID}/variants/{VID}/restore", {}, ADMIN),
]


def grid_url(product):
    return f"/staff/products/{product.id}/variants"


def grid_form(product, **changes):
    """The variant table as a browser sends it, with `changes` like {"price-<id>": "9"}."""
    data = {"revision": str(product.revision), "variant": [str(v.id) for v in
                                                          product.all_variants]}
    for v in product.all_variants:
        data |= {f"sku-{v.id}": v.sku, f"price-{v.id}": f"{v.price_cents / 100:.2f}",
                 f"compare_at-{v.id}": "" if v.compare_at_cents is None
                 else f"{v.compare_at_cents / 100:.2f}",
                 f"barcode-{v.id}": v.barcode or "", f"weight-{v.id}": ""}
    return data | changes


def option_ids(model, key, *names):
    return [str(db.session.scalar(select(model.id).where(getattr(model, key) == n)))
            for n in names]


def generator_form(product, action="create", **changes):
    data = {"revision": str(product.revision), "size": option_ids(Size, "label", "6", "7"),
            "width": option_ids(Width, "code", "M"),
            "colour": option_ids(Colour, "slug", "navy"),
            "sku_pattern": "{product}-{size}-{width}-{colour}", "price": "119.00",
            "compare_at": "", "action": action}
    return data | changes


@pytest.mark.parametrize("role", ["admin", "warehouse", "marketing", None],
                         ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(("method", "path", "data", "expected"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_by_role(client, make_product, role, method, path, data, expected):
    product = make_product([2, 0], sizes=["6", "7"])
    variant = product.variants[0]
    variant_count = len(db.session.scalars(select(Variant.id)).all())
    if role:
        assert login(client, make_staff(role).email).status_code == 302
    path = path.replace(PID, str(product.id)).replace(VID, str(variant.id))
    if method == "GET":
        response = client.get(path)
    else:
        if data == "edits":
            data = grid_form(product, **{f"price-{variant.id}": "55.00"})
        elif data == "generate":
            data = generator_form(product, size=[], more_sizes="8")
        else:
            data = dict(data, revision=str(product.revision))
        assert client.post(path, data=data).status_code == 400  # no CSRF token
        data["csrf_token"] = client.csrf_token("/staff/" if role else "/staff/login")
        response = client.post(path, data=data)
    want = expected[role]
    if want == "login":
        assert response.status_code == 302
        assert response.location.startswith("/staff/login?next=")
    elif want == 403:
        assert response.status_code == 403
        assert "This page is for" in text(response)
    else:
        assert response.status_code == (200 if method == "GET" else 303), text(response)
    allowed = want == "ok" and method == "POST"
    db.session.expire_all()
    if "variants" in path and path.endswith("/variants"):
        assert (db.session.get(Variant, variant.id).price_cents == 5500) == allowed
    if path.endswith("/generate"):
        now = len(db.session.scalars(select(Variant.id)).all())
        assert now == variant_count + (1 if allowed else 0)
    if path.endswith("/retire"):
        assert (db.session.get(Variant, variant.id).retired_at is not None) == allowed
    if path.endswith("/new") and method == "POST":
        made = db.session.scalar(select(Product).where(Product.title == "Role Test Shoe"))
        assert (made is not None) == allowed


def test_the_editor_links_the_variant_grid_for_admins_only(client, make_product, login_as):
    product = make_product()
    login_as("marketing")
    page = text(client.get(f"/staff/products/{product.id}/edit"))
    assert grid_url(product) not in page
    assert "Variants and prices are set by an administrator." in page
    client.post("/staff/logout", data={"csrf_token": client.csrf_token("/staff/")})
    login_as("admin")
    assert f'href="{grid_url(product)}"' in text(client.get(f"/staff/products/{product.id}/edit"))


# -- a new product and the editor's new fields ------------------------------------------


def new_product(client, **changes):
    data = {"title": "Juniper Zip Boot", "slug": "", "summary": "A boot with a long zip.",
            "description": "", "category": "boots", "gender": "women", "status": "draft",
            "tags": "Easy closure, Water resistant", "fit_notes": "", "size_chart": "",
            "seo_title": "", "seo_description": ""} | changes
    return client.submit("/staff/products/new", "/staff/products/new", data)


def test_marketing_creates_a_draft_product_with_its_classification(client, login_as):
    db.session.add(Feature(slug="afo-friendly", name="AFO friendly", position=1))
    db.session.commit()
    login_as("marketing")
    response = new_product(client, features=["afo-friendly"])
    assert response.status_code == 303
    product = db.session.scalar(select(Product).where(Product.slug == "juniper-zip-boot"))
    assert response.location == f"/staff/products/{product.id}/edit"
    assert flashes(text(client.get(response.location))) == [
        "Created Juniper Zip Boot as a draft at /products/juniper-zip-boot. Next, add its "
        "sizes, widths and colours."]
    assert (product.category, product.gender, product.status) == ("boots", "women", "draft")
    assert [t.name for t in product.tags] == ["Easy closure", "Water resistant"]
    assert [f.slug for f in product.features] == ["afo-friendly"]
    assert product.variants == [] and product.published is False

    again = new_product(client, slug="juniper-zip-boot")
    assert again.status_code == 422
    page = text(again)
    assert "Another product already has the web address “juniper-zip-boot”." in page
    assert "Nothing was saved: please fix the fields marked below." in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": " "}, "title", "Give the product a title."),
    ({"slug": "Not A Slug!"}, "slug", "Use lowercase letters, digits and single hyphens"),
    ({"category": "spaceboots"}, "category", "Choose one of the shop's categories."),
    ({"gender": "x"}, "gender", "Choose women, men or unisex."),
    ({"status": "deleted"}, "status", "Choose published, draft or archived."),
    ({"features": ["forged"]}, "features", "Choose adaptive features from the list."),
    ({"tags": ", ".join(f"tag {n}" for n in range(21))}, "tags", "Give at most 20 tags."),
    ({"size_chart": "7: 24\nseven: long"}, "size_chart", "Line 2 ('seven: long')"),
])
def test_a_bad_new_product_is_refused_at_its_field(client, login_as, changes, field, message):
    login_as("marketing")
    response = new_product(client, **changes)
    assert response.status_code == 422
    errors = dict(re.findall(r'<p class="field-error" id="([\w-]+)-error">(.*?)</p>',
                             text(response)))
    assert unescape(errors[field]).startswith(message)
    assert db.session.scalar(select(Product.id)) is None


def test_status_size_chart_and_tags_reach_the_shop(app, client, make_product, login_as):
    product = make_product([3], sizes=["8"], title="Harbor AFO Walker")
    login_as("marketing")
    url = f"/products/{product.slug}"
    response = save(client, product, size_chart="8: 25.5\n9: 26.3 cm", tags="Wide opening",
                    category="walking", follow_redirects=True)
    assert flashes(text(response)) == ["Saved Harbor AFO Walker: size chart, category, tags."]
    page = shopper_sees(app, url)
    assert "<td>8</td><td>10.0</td><td>25.5</td>" in page
    assert "<td>9</td><td>10.4</td><td>26.3</td>" in page
    assert "<li>Wide opening</li>" in page

    response = save(client, reloaded(product), status="archived", follow_redirects=True)
    assert flashes(text(response)) == ["Saved Harbor AFO Walker: now archived."]
    assert reloaded(product).archived_at is not None
    assert "Archived: shoppers cannot see this product" in text(response)
    db.session.rollback()
    with app.app_context():
        assert app.test_client().get(url).status_code == 404
        db.session.remove()
    response = save(client, reloaded(product), status="published", follow_redirects=True)
    assert flashes(text(response)) == ["Saved Harbor AFO Walker: now published."]
    assert reloaded(product).archived_at is None
    assert "<h1>Harbor AFO Walker</h1>" in shopper_sees(app, url)


def test_an_edit_from_a_page_opened_before_another_save_is_refused(client, make_product,
                                                                    login_as):
    product = make_product(title="Harbor AFO Walker")
    login_as("marketing")
    opened = form_of(product)  # revision 1, as the first editor's page shows it
    assert save(client, product, summary="Saved first.").status_code == 303
    response = client.submit(f"/staff/products/{product.id}/edit",
                             f"/staff/products/{product.id}/edit",
                             opened | {"title": "Saved second"})
    assert response.status_code == 409
    page = text(response)
    assert ("Harbor AFO Walker was changed by someone else after you opened this page, so "
            "nothing was saved.") in page
    assert "Saved first.</textarea>" in page  # the current values, to start again from
    assert 'name="revision" type="hidden" value="2"' in page
    assert reloaded(product).title == "Harbor AFO Walker"


# -- the variant grid ----------------------------------------------------------------------


def test_admin_previews_then_makes_variants_with_zero_stock(client, make_product, login_as):
    product = make_product([4], sizes=["6"], title="Harbor AFO Walker")
    product.slug = "harbor-afo-walker"
    db.session.commit()
    login_as("admin")
    preview = client.submit(grid_url(product), grid_url(product) + "/generate",
                            generator_form(product, action="preview",
                                           size=option_ids(Size, "label", "6"),
                                           more_sizes="7, 7.5"))
    assert preview.status_code == 200
    page = text(preview)
    assert "Preview: 2 new variant(s), 1 already made" in page
    assert "<td>Size 7, Medium, Navy</td><td><code>HAW-7-M-NAVY</code></td>" in page
    assert "<td>Size 7.5, Medium, Navy</td><td><code>HAW-75-M-NAVY</code></td>" in page
    assert 'value="7, 7.5"' in page  # the choice is kept for "Create variants"
    assert db.session.scalar(select(Size.id).where(Size.label == "7.5")) is None

    made = client.submit(grid_url(product), grid_url(product) + "/generate",
                         generator_form(product, size=option_ids(Size, "label", "6"),
                                        more_sizes="7, 7.5"), follow_redirects=True)
    assert flashes(text(made)) == [
        "Made 2 variant(s) at $119.00, each with zero stock: the warehouse receives their "
        "stock on the inventory pages."]
    skus = {v.sku for v in reloaded(product).variants}
    assert {"HAW-7-M-NAVY", "HAW-75-M-NAVY"} <= skus and len(skus) == 3
    rows = re.findall(r'<tr>\s*<th scope="row">(.*?)<input', text(made))
    assert rows == ["Navy, 6, Medium", "Navy, 7, Medium", "Navy, 7.5, Medium"]


def test_a_big_grid_asks_for_confirmation(client, make_product, login_as, monkeypatch):
    from storefront.catalogue import variants

    monkeypatch.setattr(variants, "CONFIRM_ABOVE", 1)
    product = make_product([1], sizes=["6"])
    login_as("admin")
    data = generator_form(product, size=option_ids(Size, "label", "6"), more_sizes="7, 8")
    response = client.submit(grid_url(product), grid_url(product) + "/generate", data)
    assert response.status_code == 422
    assert "This makes 2 variants. Tick the box to confirm that number." in text(response)
    assert len(reloaded(product).variants) == 1
    response = client.submit(grid_url(product), grid_url(product) + "/generate",
                             data | {"confirm": "yes"})
    assert response.status_code == 303
    assert len(reloaded(product).variants) == 3


def test_prices_are_edited_with_history_and_bad_input_kept_at_its_field(client, make_product,
                                                                        login_as):
    product = make_product([2, 2], sizes=["6", "7"], price=11900)
    first, second = product.variants
    user = login_as("admin")
    response = client.submit(grid_url(product), grid_url(product), grid_form(
        product, **{f"price-{first.id}": "-4", f"barcode-{second.id}": "abc"}))
    assert response.status_code == 422
    page = text(response)
    assert f'<p class="field-error" id="price-{first.id}-error">A price cannot be negative.' \
           in page
    assert f'id="barcode-{second.id}" name="barcode-{second.id}" value="abc"' in page
    assert reloaded(product).variants[0].price_cents == 11900

    response = client.submit(grid_url(product), grid_url(product), grid_form(
        reloaded(product), **{f"price-{first.id}": "109.5", f"weight-{second.id}": "380"}),
        follow_redirects=True)
    assert flashes(text(response)) == [
        f"Saved {first.sku}: price $119.00 → $109.50.", f"Saved {second.sku}: weight."]
    change = db.session.scalar(select(PriceChange))
    assert (change.variant_id, change.old_price_cents, change.new_price_cents,
            change.actor) == (first.id, 11900, 10950, user.email)
    history = text(response).split('id="history-title"', 1)[1]
    assert user.email in history and "$119.00" in history and "$109.50" in history

    stale = client.submit(grid_url(product), grid_url(product),
                          grid_form(product, **{f"price-{first.id}": "1.00", "revision": "1"}))
    assert stale.status_code == 409
    assert "was changed by someone else after you opened this page" in text(stale)
    assert reloaded(product).variants[0].price_cents == 10950


def test_forged_ids_are_refused(client, make_product, login_as):
    product = make_product([1])
    other = make_product([1])
    login_as("admin")
    forged = grid_form(product) | {"variant": [str(other.variants[0].id)],
                                   f"price-{other.variants[0].id}": "1.00"}
    response = client.submit(grid_url(product), grid_url(product), forged)
    assert response.status_code == 404
    assert f"This product has no variant number {other.variants[0].id}." in text(response)
    assert client.submit(grid_url(product), grid_url(product),
                         grid_form(product) | {"variant": ["x"]}).status_code == 400
    assert client.submit(grid_url(product), grid_url(product) + "/generate",
                         generator_form(product, size=["²"])).status_code == 400
    assert client.get("/staff/products/999999/variants").status_code == 404
    retire = f"{grid_url(product)}/variants/{other.variants[0].id}/retire".replace(
        "/variants/variants", "/variants")
    assert client.submit(grid_url(product), retire,
                         {"revision": str(product.revision)}).status_code == 404
    assert reloaded(other).variants[0].price_cents == 9900


def test_retiring_takes_a_variant_off_the_shop_and_keeps_its_stock(app, client, make_product,
                                                                   login_as):
    product = make_product([3, 0], sizes=["6", "7"])
    gone, kept = product.variants
    login_as("admin")
    response = client.submit(grid_url(product), f"{grid_url(product)}/{gone.id}/retire",
                             {"revision": str(product.revision)}, follow_redirects=True)
    assert flashes(text(response)) == [
        f"Retired {gone.sku}: shoppers no longer see or buy it; its orders and stock history "
        "are kept. It still has 3 on hand: the warehouse can count them out."]
    assert "Restore<span" in text(response)
    listing = shopper_sees(app, f"/products/{product.slug}.json")
    assert gone.sku not in listing and kept.sku in listing
    assert db.session.get(Variant, gone.id) is not None

    response = client.submit(grid_url(product), f"{grid_url(product)}/{gone.id}/restore",
                             {"revision": str(reloaded(product).revision)},
                             follow_redirects=True)
    assert flashes(text(response)) == [f"{gone.sku} is on sale again."]
    assert gone.sku in shopper_sees(app, f"/products/{product.slug}.json")
