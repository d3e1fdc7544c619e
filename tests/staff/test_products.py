"""Marketing's product copy editor: the list, saving copy, and what shoppers see after."""

import re
from html import unescape

import pytest

from storefront.catalogue import editing
from storefront.catalogue.models import Product
from storefront.extensions import db
from storefront.pagecache import ContentVersion
from tests.articles.xss import active_markup
from tests.staff.helpers import login, make_staff

# (method, path, form changes) for the role table; {pid} is a product id.
PRODUCT_ROUTES = [
    ("GET", "/staff/products", None),
    ("GET", "/staff/products/{pid}/edit", None),
    ("POST", "/staff/products/{pid}/edit", {"title": "Renamed by the role test"}),
]


def text(response):
    return response.get_data(as_text=True)


def edit_url(product):
    return f"/staff/products/{product.id}/edit"


def form_of(product, **changes):
    """The edit form as a browser sends it: every field as shown, with `changes` applied."""
    data = {name: getattr(product, name) or "" for name in editing.TEXT_FIELDS}
    data |= {"featured": product.featured, "allows_mismatched": product.allows_mismatched,
             "category": product.category, "gender": product.gender, "status": product.status,
             "tags": ", ".join(t.name for t in product.tags),
             "features": [f.slug for f in product.features], "revision": product.revision}
    data |= changes
    # An unticked checkbox is not sent at all.
    return {k: ("y" if v is True else v) for k, v in data.items() if v is not False}


def save(client, product, follow_redirects=False, **changes):
    return client.submit(edit_url(product), edit_url(product), form_of(product, **changes),
                         follow_redirects=follow_redirects)


def reloaded(product):
    db.session.expire_all()
    return db.session.get(Product, product.id)


def table_rows(page):
    """The list's rows as lists of cell texts."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def flashes(page):
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page)]


def shopper_sees(app, url):
    """`url` as a shopper's own browser gets it: in its own app context (so its own `g`,
    where the CSRF token is cached), without the staff login."""
    # End this test's own read first: on SQLite every transaction holds the write lock.
    db.session.rollback()
    with app.app_context():
        page = text(app.test_client().get(url))
        db.session.remove()
    return page


def catalogue_version():
    db.session.expire_all()
    row = db.session.get(ContentVersion, "catalogue")
    return row.version if row else 0


# -- the list ------------------------------------------------------------------------------


def test_the_list_shows_every_product_with_its_switches_and_variant_count(
        client, make_product, login_as):
    walker = make_product([1, 2, 3], title="Harbor AFO Walker", featured=True)
    walker.allows_mismatched = True
    draft = make_product([4], title="Quiet Draft Slipper", published=False)
    db.session.commit()
    login_as("marketing")
    page = text(client.get("/staff/products"))
    assert table_rows(page) == [
        ["Harbor AFO Walker", walker.slug, "Published", "Yes", "Yes", "3"],
        ["Quiet Draft Slipper", draft.slug, "Draft", "No", "No", "1"],
    ]
    assert f'href="/staff/products/{draft.id}/edit"' in page


def test_search_matches_words_in_the_title_text_or_web_address(client, make_product, login_as):
    walker = make_product(title="Harbor AFO Walker")
    make_product(title="Quiet Draft Slipper", published=False, description="Soft felt upper.")
    login_as("marketing")

    def titles(q):
        page = text(client.get("/staff/products", query_string={"q": q}))
        return [row[0] for row in table_rows(page)] if "<tbody>" in page else []

    assert titles("harbor walker") == ["Harbor AFO Walker"]
    assert titles("felt") == ["Quiet Draft Slipper"]  # unpublished ones too
    assert titles(walker.slug) == ["Harbor AFO Walker"]
    assert titles("walker felt") == []
    page = text(client.get("/staff/products?q=nothing+like+it"))
    assert "No product matches “nothing like it”." in page


def test_the_list_pages_and_costs_the_same_queries_for_any_number_of_products(
        client, make_product, login_as, count_queries, monkeypatch):
    login_as("marketing")
    for n in range(2):
        make_product([1, 1], sizes=["7", "8"], title=f"Shoe {n:02}")

    def queries(url):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = queries("/staff/products")
    for n in range(2, 25):
        make_product([1, 1, 1], sizes=["7", "8", "9"], title=f"Shoe {n:02}")
    many = queries("/staff/products")
    assert few == many <= 4
    assert queries("/staff/products?q=shoe") == many

    monkeypatch.setattr(editing, "PER_PAGE", 10)
    first = text(client.get("/staff/products?q=shoe"))
    assert [r[0] for r in table_rows(first)] == [f"Shoe {n:02}" for n in range(10)]
    assert 'href="/staff/products?q=shoe&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    last = text(client.get("/staff/products?q=shoe&page=3"))
    assert [r[0] for r in table_rows(last)] == [f"Shoe {n:02}" for n in range(20, 25)]
    assert 'href="/staff/products?q=shoe&amp;page=2" rel="prev"' in last
    assert 'rel="next"' not in last


@pytest.mark.parametrize("role", ["admin", "marketing", "warehouse"])
def test_the_navigation_links_the_page_for_those_who_may_open_it(client, login_as, role):
    login_as(role)
    allowed = role != "warehouse"
    assert ('href="/staff/products"' in text(client.get("/staff/"))) == allowed
    assert client.get("/staff/products").status_code == (200 if allowed else 403)


@pytest.mark.parametrize("role", ["admin", "warehouse", "marketing", None],
                         ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(("method", "path", "data"), PRODUCT_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in PRODUCT_ROUTES])
def test_product_route_by_role(client, make_product, role, method, path, data):
    product = make_product(title="Harbor AFO Walker")
    if role:
        assert login(client, make_staff(role).email).status_code == 302
    path = path.format(pid=product.id)
    if method == "GET":
        response = client.get(path)
    else:
        token = client.csrf_token("/staff/" if role else "/staff/login")
        no_token = client.post(path, data=form_of(product, **data))
        assert no_token.status_code == 400
        response = client.post(path, data=dict(form_of(product, **data), csrf_token=token))
    if role is None:
        assert response.status_code == 302
        assert response.location.startswith("/staff/login?next=")
    elif role == "warehouse":
        assert response.status_code == 403
        assert "This page is for Marketing staff" in text(response)
    else:
        assert response.status_code == (200 if method == "GET" else 303)
    renamed = reloaded(product).title == "Renamed by the role test"
    assert renamed == (method == "POST" and role in ("admin", "marketing"))


def test_an_unknown_product_is_a_404(client, login_as):
    login_as("marketing")
    response = client.get("/staff/products/999999/edit")
    assert response.status_code == 404
    assert "There is no product number 999999." in text(response)


# -- editing -------------------------------------------------------------------------------


def test_saving_says_exactly_what_changed(client, make_product, login_as):
    product = make_product(title="Harbour Walker")
    login_as("marketing")
    page = text(client.get(edit_url(product)))
    assert f'href="/products/{product.slug}"' in page  # the public page
    assert "Importing a Shopify file again replaces" in page

    response = save(client, product, title="  Harbor AFO Walker  ",
                    fit_notes="Runs half a size large.\r\n")
    assert response.status_code == 303
    assert response.location == edit_url(product)
    assert flashes(text(client.get(response.location))) == [
        "Saved Harbor AFO Walker: title, fit notes."]
    saved = reloaded(product)
    assert (saved.title, saved.fit_notes) == ("Harbor AFO Walker", "Runs half a size large.")
    assert saved.summary == "Harbour Walker summary"
    assert saved.seo_title is None and saved.featured is False

    response = save(client, saved, featured=True, seo_title="AFO walking shoe",
                    summary="A walker with room for a brace.", follow_redirects=True)
    assert flashes(text(response)) == [
        "Saved Harbor AFO Walker: summary, SEO title, now featured."]
    saved = reloaded(product)
    assert saved.featured is True and saved.seo_title == "AFO walking shoe"
    assert saved.summary == "A walker with room for a brace."

    response = save(client, saved, featured=False, seo_title=" ", follow_redirects=True)
    assert flashes(text(response)) == ["Saved Harbor AFO Walker: SEO title, no longer featured."]
    saved = reloaded(product)
    assert saved.featured is False and saved.seo_title is None


def test_admin_may_edit_too(client, make_product, login_as):
    product = make_product(title="Harbour Walker")
    login_as("admin")
    response = save(client, product, title="Harbor AFO Walker", follow_redirects=True)
    assert flashes(text(response)) == ["Saved Harbor AFO Walker: title."]


def test_saving_the_form_unchanged_writes_nothing(client, make_product, login_as):
    product = make_product(title="Harbor AFO Walker")
    product.seo_title = None
    db.session.commit()
    login_as("marketing")
    version = catalogue_version()
    # Whitespace around a value is not a change, and an empty SEO title stays unset.
    response = save(client, product, title=" Harbor AFO Walker ", seo_title="")
    assert response.status_code == 303
    assert flashes(text(client.get(response.location))) == ["Nothing changed."]
    assert catalogue_version() == version
    assert reloaded(product).seo_title is None


def test_errors_are_shown_by_their_fields_with_the_input_kept(client, make_product, login_as):
    product = make_product(title="Harbor AFO Walker")
    login_as("marketing")
    version = catalogue_version()
    long_seo = "Extra depth walker " * 11  # 209 characters
    response = save(client, product, title="   ", summary="S" * 301, seo_title=long_seo,
                    fit_notes="Runs large.", featured=True)
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was saved: please fix the fields marked below." in page
    errors = dict(re.findall(r'<p class="field-error" id="([\w-]+)-error">(.*?)</p>', page))
    assert errors == {
        "title": "Give the product a title.",
        "summary": "Keep it to 300 characters or fewer (this has 301).",
        "seo_title": "Keep it to 200 characters or fewer (this has 208).",
    }
    assert f'value="{long_seo.strip()}"' in page  # stripped, but kept
    assert "S" * 301 in page
    assert "Runs large.</textarea>" in page
    assert re.search(r'<input[^>]*checked[^>]*id="featured"|<input[^>]*id="featured"[^>]*checked',
                     page)
    saved = reloaded(product)
    assert (saved.title, saved.fit_notes, saved.featured) == ("Harbor AFO Walker", "", False)
    assert catalogue_version() == version


def test_the_service_refuses_what_the_form_would(app, make_product):
    product = make_product(title="Harbor AFO Walker")
    with pytest.raises(editing.InvalidProductCopy) as refused:
        editing.save_copy(product.id, editing.ProductCopy(title=" ", seo_description="x" * 301))
    assert set(refused.value.errors) == {"title", "seo_description"}
    assert reloaded(product).title == "Harbor AFO Walker"
    with pytest.raises(editing.UnknownProduct):
        editing.save_copy(999999, editing.ProductCopy(title="Anything"))


# -- what shoppers see ---------------------------------------------------------------------


def test_shoppers_see_the_new_title_at_once(app, client, make_product, login_as):
    product = make_product(title="Harbour Walker")
    product.summary = "Room for a brace."
    db.session.commit()
    for url in ("/products", f"/products/{product.slug}"):  # cached for shoppers now
        assert "Harbour Walker" in shopper_sees(app, url)
        assert "Harbour Walker" in shopper_sees(app, url)
    login_as("marketing")
    save(client, product, title="Harbor AFO Walker")
    listing = shopper_sees(app, "/products")
    assert '<h3 class="card-title">Harbor AFO Walker</h3>' in listing
    assert "Harbour Walker</" not in listing
    page = shopper_sees(app, f"/products/{product.slug}")
    assert "<h1>Harbor AFO Walker</h1>" in page
    assert "<title>Harbor AFO Walker | " in page
    assert "Harbour Walker</" not in page


def test_turning_on_mismatched_pairs_offers_the_pair_form(client, make_product, login_as):
    product = make_product([5, 5, 5], title="Harbor AFO Walker", sizes=["8", "9", "10"],
                           widths=["M", "W", "M"])
    shop_page = f"/products/{product.slug}"
    assert "Different size or width for each foot" not in text(client.get(shop_page))
    login_as("marketing")
    assert "Sell as mismatched pairs: a different size or width for each foot" in text(
        client.get(edit_url(product)))

    response = save(client, product, allows_mismatched=True, follow_redirects=True)
    assert flashes(text(response)) == ["Saved Harbor AFO Walker: sold as mismatched pairs."]
    page = text(client.get(shop_page))
    assert "Different size or width for each foot" in page
    assert 'name="right_variant_id"' in page and "Add this pair to cart" in page

    response = save(client, reloaded(product), allows_mismatched=False, follow_redirects=True)
    assert flashes(text(response)) == [
        "Saved Harbor AFO Walker: no longer sold as mismatched pairs."]
    assert 'name="right_variant_id"' not in text(client.get(shop_page))


def _section(page, start, end):
    return page.split(start, 1)[1].split(end, 1)[0]


def test_markup_typed_into_the_copy_never_runs_on_the_shop(app, client, make_product,
                                                         login_as):
    product = make_product(title="Harbour Walker")
    login_as("marketing")
    response = save(client, product,
                    title="Walker <script>alert(1)</script>",
                    summary="Light <script>alert(2)</script>",
                    fit_notes="Runs large <script>alert(3)</script>",
                    description="Roomy toe box.<script>alert(4)</script>"
                                "<img src=x onerror=alert(5)>",
                    seo_description='"><script>alert(6)</script>')
    assert response.status_code == 303
    assert "alert(1)" in reloaded(product).title  # stored as typed

    editor = text(client.get(edit_url(product)))
    assert "<script>alert(" not in editor
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in editor  # shown as typed, as text
    assert active_markup(_section(editor, 'class="staff-form"', "</form>").split(">", 1)[1]) == []
    page = shopper_sees(app, f"/products/{product.slug}")
    assert "<h1>Walker &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "Light &lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<p>Runs large &lt;script&gt;alert(3)&lt;/script&gt;</p>" in page
    about = _section(page, 'id="about-heading"', "</section>")
    assert "Roomy toe box." in about and "alert(4)" not in about  # sanitised away
    assert active_markup(about) == []
    assert active_markup(_section(page, 'id="fit-heading"', "</section>")) == []
    assert active_markup(_section(page, "<h1>", "</h1>")) == []
    listing = shopper_sees(app, "/products")
    assert "Walker &lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert "<script>alert(" not in listing


def test_paragraphs_typed_in_a_browser_stay_paragraphs(app, client, make_product, login_as):
    product = make_product(title="Harbor AFO Walker")
    login_as("marketing")
    save(client, product, description="Wide opening.\r\n\r\nFirm heel counter.\r\n")
    assert reloaded(product).description == "Wide opening.\n\nFirm heel counter."
    page = shopper_sees(app, f"/products/{product.slug}")
    assert "<p>Wide opening.</p><p>Firm heel counter.</p>" in page
