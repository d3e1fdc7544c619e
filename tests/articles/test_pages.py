"""The shop's standing pages: read by shoppers at /pages/<slug>, listed in every footer
and the sitemap, written by marketing in the back office."""

import re
import xml.etree.ElementTree as ET

from storefront.articles import service
from storefront.articles.models import ShopPage
from storefront.extensions import db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def text(response):
    return response.get_data(as_text=True)


def make_page(slug="shipping", title="Shipping", body="## How long\n\nThree days.",
              position=0, summary="How we send shoes."):
    return service.save_page(None, service.PageInput(title=title, slug=slug, body=body,
                                                     summary=summary, position=position))


def test_a_shop_page_renders_its_markdown_with_title_and_description(client):
    make_page(body="## How long it takes\n\n- **Standard:** 3 days\n\n<script>x()</script>")
    response = client.get("/pages/shipping")
    assert response.status_code == 200
    body = text(response)
    assert "<title>Shipping |" in body
    assert '<meta name="description" content="How we send shoes.">' in body
    assert '<h2 id="how-long-it-takes">How long it takes</h2>' in body
    assert "<strong>Standard:</strong> 3 days" in body
    assert "<script>x()" not in body


def test_every_page_footer_links_the_shop_pages_in_their_order(client, make_product):
    make_page("returns", "Returns and exchanges", position=20)
    make_page("privacy", "Privacy", position=10)
    make_product([3], title="Footer Walker")
    for path in ("/", "/products", "/blog", "/pages/privacy", "/no-such-page"):
        footer = text(client.get(path)).split('<footer', 1)[1]
        links = re.findall(r'<a href="(/pages/[^"]+)">([^<]+)</a>', footer)
        assert links == [("/pages/privacy", "Privacy"),
                         ("/pages/returns", "Returns and exchanges")], path
        assert 'href="/blog"' in footer


def test_the_header_links_the_blog(client):
    header = text(client.get("/")).split("<header", 1)[1].split("</header>", 1)[0]
    assert 'href="/blog"' in header


def test_shop_pages_are_in_the_sitemap(client):
    make_page("accessibility", "Accessibility statement")
    root = ET.fromstring(client.get("/sitemap.xml").get_data())  # noqa: S314 (our own output)
    locations = [loc.text for loc in root.iter(SITEMAP + "loc")]
    assert any(loc.endswith("/pages/accessibility") for loc in locations)


def test_a_missing_shop_page_is_a_page_not_found(client):
    response = client.get("/pages/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in text(response)


def test_marketing_writes_a_page_and_shoppers_see_it(client, login_as):
    login_as("marketing")
    response = client.submit("/staff/pages/new", "/staff/pages/new", {
        "title": "Contact us", "slug": "", "summary": "Reach the fitters.",
        "body": "Write to us.\n\n## Fit questions\n\nTell us your brace.", "position": "5"})
    assert response.status_code == 303
    edit = client.get(response.headers["Location"], follow_redirects=True)
    assert "Saved “Contact us”: it is live at /pages/contact-us." in text(edit)
    assert "Fit questions" in text(client.get("/pages/contact-us"))
    page = db.session.scalar(db.select(ShopPage).filter_by(slug="contact-us"))
    # An edit shows at once, on the page and in the footer.
    response = client.submit(f"/staff/pages/{page.id}/edit", f"/staff/pages/{page.id}/edit", {
        "title": "Contact", "slug": "contact-us", "summary": "", "body": "Call us.",
        "position": "5"})
    assert response.status_code == 303
    body = text(client.get("/pages/contact-us"))
    assert "Call us." in body and "Fit questions" not in body
    assert '<a href="/pages/contact-us">Contact</a>' in text(client.get("/"))
    assert "Contact" in text(client.get("/staff/pages"))


def test_a_page_with_a_taken_or_bad_web_address_is_refused_and_nothing_changes(
        client, login_as):
    make_page("shipping", "Shipping")
    login_as("marketing")
    for slug, message in [("shipping", "Another page already uses the web address"),
                          ("Not A Slug!", "lower-case letters, digits and single hyphens")]:
        response = client.submit("/staff/pages/new", "/staff/pages/new", {
            "title": "Delivery", "slug": slug, "summary": "", "body": "x", "position": "0"})
        assert response.status_code == 422
        assert message in text(response)
    assert db.session.scalar(db.select(db.func.count()).select_from(ShopPage)) == 1


def test_only_marketing_and_admins_edit_pages(client, login_as):
    login_as("warehouse")
    assert client.get("/staff/pages").status_code == 403
    assert client.get("/staff/pages/new").status_code == 403


def test_demo_load_writes_the_pages_a_shop_needs_once(runner, client):
    first = runner.invoke(args=["demo", "load"])
    assert "Demo shop pages: 7 created, 0 already present." in first.output
    again = runner.invoke(args=["demo", "load"])
    assert "Demo shop pages: 0 created, 7 already present." in again.output
    footer = text(client.get("/")).split("<footer", 1)[1]
    for title in ("Shipping", "Returns and exchanges", "Privacy", "Terms of sale",
                  "Contact us", "About the shop", "Accessibility statement"):
        assert f">{title}</a>" in footer
    # Links between the demo pages lead to pages that exist.
    for slug in re.findall(r'href="/pages/([a-z0-9-]+)"', text(client.get("/pages/shipping"))):
        assert client.get(f"/pages/{slug}").status_code == 200, slug
