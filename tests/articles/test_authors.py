"""Author pages: /blog/authors/<slug> with bio, photo and published articles, linked from
bylines and the sitemap; set by each staff member on their author profile."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from storefront.articles import service
from storefront.extensions import db
from storefront.staff.models import StaffUser
from tests.staff.helpers import login, make_staff

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def text(response):
    return response.get_data(as_text=True)


def author_with_page(make_author, slug="rosa-lindqvist", photo="https://img.example/rosa.jpg",
                     **kwargs):
    user = make_author(**kwargs)
    user.author_slug, user.photo_url = slug, photo
    db.session.commit()
    return user


def test_the_author_page_shows_bio_photo_and_only_published_articles(client, make_author,
                                                                     make_article):
    rosa = author_with_page(make_author, bio="Rosa fits shoes.\n\nShe walks daily.")
    make_article("Older guide", author=rosa, slug="older", published_ago=timedelta(days=9))
    make_article("Newer guide", author=rosa, slug="newer")
    make_article("Not out yet", author=rosa, slug="draft", state="draft")
    make_article("Someone else's", slug="other", author=make_author(email="b@example.com",
                                                                   name="Ben"))
    page = text(client.get("/blog/authors/rosa-lindqvist"))
    assert "<h1 id=\"author-name\">Rosa Lindqvist</h1>" in page
    assert "<p>Rosa fits shoes.</p><p>She walks daily.</p>" in page
    assert '<img class="author-photo" src="https://img.example/rosa.jpg" alt="Photo of Rosa ' \
           'Lindqvist"' in page
    titles = re.findall(r'<h3><a href="/blog/([a-z-]+)">', page)
    assert titles == ["newer", "older"]
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>',
                                page).group(1))
    assert data["@type"] == "ProfilePage" and data["mainEntity"]["name"] == "Rosa Lindqvist"
    assert data["mainEntity"]["url"] == "http://shop.test/blog/authors/rosa-lindqvist"


def test_no_page_for_an_unknown_address_or_an_author_with_nothing_published(
        client, make_author, make_article):
    quiet = author_with_page(make_author, slug="quiet-one")
    make_article("Draft only", author=quiet, state="draft")
    for url in ("/blog/authors/quiet-one", "/blog/authors/nobody"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in text(response) or "does not" in text(response)


def test_bylines_link_to_the_author_page_and_plain_names_stay_plain(client, make_author,
                                                                   make_article):
    rosa = author_with_page(make_author)
    make_article("Linked byline", author=rosa, slug="linked")
    plain = make_author(email="p@example.com", name="Pat Plain")
    make_article("Plain byline", author=plain, slug="plain")
    link = '<a href="/blog/authors/rosa-lindqvist" rel="author">Rosa Lindqvist</a>'
    assert link in text(client.get("/blog/linked"))
    assert link in text(client.get("/blog"))
    article = text(client.get("/blog/plain"))
    assert "By Pat Plain" in article and "/blog/authors/" not in article


def test_the_sitemap_lists_author_pages_with_published_articles(client, make_author,
                                                               make_article):
    rosa = author_with_page(make_author)
    make_article("In the sitemap", author=rosa)
    quiet = author_with_page(make_author, email="q@example.com", name="Quiet", slug="quiet")
    make_article("Draft", author=quiet, state="draft")
    root = ET.fromstring(client.get("/sitemap.xml").data)  # noqa: S314 (our own sitemap)
    locs = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    assert "http://shop.test/blog/authors/rosa-lindqvist" in locs
    assert not any(loc.endswith("/blog/authors/quiet") for loc in locs)


def test_cover_images_show_on_the_blog_index_and_article_with_their_description(
        client, make_article):
    article = make_article("With a cover", slug="cover")
    article.cover_image, article.cover_alt = "/static/img/products/boot-navy.svg", \
        "A navy boot on a gravel path"
    db.session.commit()
    index = text(client.get("/blog"))
    assert ('<img class="teaser-cover" src="/static/img/products/boot-navy.svg" '
            'alt="A navy boot on a gravel path"') in index
    assert 'alt="A navy boot on a gravel path"' in text(client.get("/blog/cover"))


def test_staff_set_their_author_profile_and_shoppers_see_it_at_once(client, make_article):
    writer = make_staff("marketing", display_name="Sam Lee")
    make_article("Sam's guide", author=writer, slug="sams-guide")
    assert "Sam Lee" in text(client.get("/blog/sams-guide"))  # cached now
    assert login(client, writer.email).status_code == 302
    saved = client.submit("/staff/profile", "/staff/profile", {
        "display_name": "Sam  Lee-Park", "author_slug": "", "bio": "Sam fits wide feet.",
        "photo_url": "/static/img/authors/mira.svg"}, follow_redirects=True)
    assert "Saved your author profile. Your author page is /blog/authors/sam-lee-park" in \
        text(saved)
    client.post("/staff/logout", data={"csrf_token": client.csrf_token("/staff/profile")})
    article = text(client.get("/blog/sams-guide"))
    assert '<a href="/blog/authors/sam-lee-park" rel="author">Sam Lee-Park</a>' in article
    assert "Sam fits wide feet." in text(client.get("/blog/authors/sam-lee-park"))


def test_a_taken_address_or_a_bad_photo_address_is_refused_at_the_field(client, make_author):
    author_with_page(make_author)
    writer = make_staff("marketing", display_name="Sam Lee")
    login(client, writer.email)
    refused = client.submit("/staff/profile", "/staff/profile", {
        "display_name": "Sam", "author_slug": "rosa-lindqvist", "bio": "",
        "photo_url": "javascript:alert(1)"})
    assert refused.status_code == 422
    page = text(refused)
    assert "Another author already uses the web address &#39;rosa-lindqvist&#39;." in page
    assert "Use a path on this shop (starting with /) or an https:// address." in page
    assert "Your profile was not saved" in page
    db.session.expire_all()
    assert db.session.get(StaffUser, writer.id).author_slug is None


def test_demo_load_gives_the_demo_author_a_page(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    page = service.author_page("mira-marketing")
    assert page.author.photo_url == "/static/img/authors/mira.svg" and page.articles
