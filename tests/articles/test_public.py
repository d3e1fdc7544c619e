"""The blog as a shopper sees it: listing, articles, product cards, feed and sitemap."""

import re
from datetime import timedelta
from xml.etree import ElementTree

from storefront.articles import service
from storefront.inventory import service as inventory
from storefront.models import utcnow

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def text(response):
    return response.get_data(as_text=True)


def test_blog_lists_published_articles_newest_first(client, make_article):
    make_article("Older piece", published_ago=timedelta(days=5))
    make_article("Newer piece", published_ago=timedelta(days=1))
    make_article("Unfinished draft", state="draft")
    make_article("Coming soon", state="scheduled")
    body = text(client.get("/blog"))
    assert body.index("Newer piece") < body.index("Older piece")
    assert "Unfinished draft" not in body and "Coming soon" not in body


def test_drafts_and_scheduled_articles_are_hidden_until_their_time(client, make_article, app):
    draft = make_article("Secret draft", state="draft")
    scheduled = make_article("Future piece", state="scheduled")
    for article in (draft, scheduled):
        assert client.get(f"/blog/{article.slug}").status_code == 404
    assert "Future piece" not in text(client.get("/blog/feed.atom"))
    assert "future-piece" not in text(client.get("/sitemap.xml"))
    # Once its time has come it is simply there: no job has to run.
    later = utcnow() + timedelta(hours=3)
    assert service.published_article(scheduled.slug, now=later).title == "Future piece"
    assert [a.title for a in service.list_published(now=later).articles] == ["Future piece"]


def test_blog_paginates_and_filters_by_tag(client, make_article):
    for n in range(12):
        make_article(f"Piece {n:02d}", tags="Foot drop" if n % 2 else "Fit",
                     published_ago=timedelta(days=20 - n))
    first = text(client.get("/blog"))
    assert "Piece 11" in first and "Piece 02" in first and "Piece 01" not in first
    assert 'href="/blog?page=2"' in first
    second = text(client.get("/blog?page=2"))
    assert "Piece 01" in second and "Piece 00" in second and "Piece 11" not in second
    assert client.get("/blog?page=abc").status_code == 200
    tagged = text(client.get("/blog/tagged/foot-drop"))
    assert "Articles tagged “Foot drop”" in tagged
    assert "Piece 11" in tagged and "Piece 10" not in tagged
    assert client.get("/blog/tagged/nothing-here").status_code == 404


def test_article_page_has_contents_reading_time_author_and_neighbours(
    client, make_article, make_author
):
    author = make_author(name="Rosa Lindqvist", bio="Rosa has fitted shoes for 20 years.")
    make_article("First", published_ago=timedelta(days=3))
    body = ("## Why it happens\n\n" + "word " * 450
            + "\n\n### A detail\n\nMore.\n\n## What helps\n\nEnd.")
    make_article("Middle", body=body, author=author, tags="Foot drop",
                 published_ago=timedelta(days=2))
    make_article("Last", published_ago=timedelta(days=1))
    page = text(client.get("/blog/middle"))
    assert '<a href="#why-it-happens">Why it happens</a>' in page
    assert '<h2 id="why-it-happens">Why it happens</h2>' in page
    assert '<a href="#a-detail">A detail</a>' in page
    assert "2 min read" in page
    assert "Rosa Lindqvist" in page and "Rosa has fitted shoes for 20 years." in page
    assert re.search(r'rel="prev" href="/blog/first"', page)
    assert re.search(r'rel="next" href="/blog/last"', page)


def test_article_page_has_canonical_open_graph_and_json_ld(client, make_article, make_author):
    make_article("Choosing shoes", summary="How to choose.", author=make_author())
    page = text(client.get("/blog/choosing-shoes"))
    assert '<link rel="canonical" href="http://shop.test/blog/choosing-shoes">' in page
    assert '<meta property="og:title" content="Choosing shoes">' in page
    assert '<meta property="og:type" content="article">' in page
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    import json

    data = json.loads(ld)
    assert data["@type"] == "Article" and data["headline"] == "Choosing shoes"
    assert data["author"]["name"] == "Rosa Lindqvist"
    assert data["mainEntityOfPage"] == "http://shop.test/blog/choosing-shoes"


def _card(page, title):
    match = re.search(r'<aside class="article-product" aria-label="' + re.escape(title)
                      + r'">(.*?)</aside>', page, re.S)
    return match.group(1) if match else None


def test_product_cards_show_price_and_live_stock(client, make_article, make_product):
    plenty = make_product([20], title="Plenty Walker", price=12900)
    scarce = make_product([1, 2], title="Scarce Walker")
    gone = make_product([0], title="Gone Walker")
    make_article("Cards", body=f"[[product:{plenty.slug}]]\n\n[[product:{scarce.slug}]]\n\n"
                               f"[[product:{gone.slug}]]")
    page = text(client.get("/blog/cards"))
    assert "$129.00" in _card(page, "Plenty Walker") and "In stock" in _card(page, "Plenty Walker")
    assert "Only 3 left" in _card(page, "Scarce Walker")
    sold_out = _card(page, "Gone Walker")
    assert "Sold out" in sold_out
    assert f'href="/products/{gone.slug}?from=cards"' in sold_out
    assert "See the product page" in sold_out


def test_cards_never_show_a_negative_number(client, make_article, make_product):
    product = make_product([2], title="Held Walker")
    variant = product.variants[0]
    # Everything on hand is held by checkouts: available is zero, never below.
    inventory.hold("order-1", {variant.id: 2}, utcnow() + timedelta(minutes=30))
    make_article("Held", body=f"[[product:{product.slug}]]", featured=product.slug)
    page = text(client.get("/blog/held"))
    assert "Sold out" in _card(page, "Held Walker")
    assert not re.search(r"-\d+ (left|in stock)", page)
    assert "Only 0" not in page


def test_unpublished_or_missing_products_are_left_out(client, make_article, make_product):
    hidden = make_product([5], title="Prototype Shoe", published=False)
    make_article("Gaps", body=f"Try the [[product:{hidden.slug}]] today.\n\n"
                              f"[[product:{hidden.slug}]]\n\n[[product:no-such-shoe]]\n\nEnd.",
                 featured=hidden.slug)
    page = text(client.get("/blog/gaps"))
    assert "Prototype Shoe" not in page
    assert "[[product:" not in page
    assert "End." in page


def test_featured_products_block_and_inline_links(client, make_article, make_product):
    shoe = make_product([7], title="Featured Walker")
    make_article("Featuring", body=f"We like the [[product:{shoe.slug}]] a lot.",
                 featured=shoe.slug)
    page = text(client.get("/blog/featuring"))
    block = page[page.index('id="featured-products"'):]
    assert "Featured Walker" in block and "In stock" in block
    # A plain link search engines follow: no detour, no nofollow.
    link = f'<a href="/products/{shoe.slug}?from=featuring">Featured Walker</a>'
    assert f"We like the {link} a lot." in page
    assert "nofollow" not in page.split('id="comments"')[0]


def test_following_a_card_counts_a_click_and_remembers_the_article(
    client, make_article, make_product
):
    shoe = make_product([7], title="Clicked Walker")
    article = make_article("Clicks", body=f"[[product:{shoe.slug}]]")
    response = client.get(f"/blog/clicks/go/{shoe.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/products/{shoe.slug}")
    with client.session_transaction() as session:
        assert session["source_article_id"] == article.id
    assert service.staff_list()[0].clicks == 1
    assert client.get("/blog/clicks/go/no-such-shoe").status_code == 404
    assert client.get(f"/blog/no-such-article/go/{shoe.slug}").status_code == 404


def test_product_page_lists_articles_that_mention_it(client, make_article, make_product):
    shoe = make_product([7], title="Mentioned Walker")
    other = make_product([7], title="Other Walker")
    make_article("Body mention", body=f"[[product:{shoe.slug}]]")
    make_article("Featured mention", featured=shoe.slug)
    make_article("Draft mention", body=f"[[product:{shoe.slug}]]", state="draft")
    page = text(client.get(f"/products/{shoe.slug}"))
    section = page[page.index("Mentioned in"):]
    assert "Body mention" in section and "Featured mention" in section
    assert "Draft mention" not in section
    assert "Mentioned in" not in text(client.get(f"/products/{other.slug}"))


def test_feed_is_valid_atom_with_published_articles(client, make_article, make_product):
    shoe = make_product([3], title="Feed Walker")
    make_article("In the feed", body=f"Hello <em>there</em>\n\n[[product:{shoe.slug}]]",
                 tags="Fit")
    make_article("Not yet", state="draft")
    response = client.get("/blog/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)  # noqa: S314 (our own output)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["In the feed"]
    entry = entries[0]
    assert entry.find(f"{ATOM}link").get("href") == "http://shop.test/blog/in-the-feed"
    content = entry.find(f"{ATOM}content").text
    assert "&lt;em&gt;" in content  # raw HTML in the body was escaped, then escaped for XML
    assert f'href="http://shop.test/products/{shoe.slug}"' in content


def test_sitemap_lists_published_products_and_articles(client, make_article, make_product):
    shoe = make_product([3])
    hidden = make_product([3], published=False)
    make_article("Listed article")
    make_article("Draft article", state="draft")
    response = client.get("/sitemap.xml")
    root = ElementTree.fromstring(response.data)  # noqa: S314 (our own output)
    locations = {u.find(f"{SITEMAP}loc").text for u in root.findall(f"{SITEMAP}url")}
    assert f"http://shop.test/products/{shoe.slug}" in locations
    assert f"http://shop.test/products/{hidden.slug}" not in locations
    assert "http://shop.test/blog/listed-article" in locations
    assert "http://shop.test/blog/draft-article" not in locations
    assert "http://shop.test/blog" in locations


def test_a_direct_product_link_counts_the_click_and_lands_on_the_product_address(
    client, make_article, make_product
):
    shoe = make_product([7], title="Direct Walker")
    article = make_article("Direct", body=f"[[product:{shoe.slug}]]")
    page = text(client.get("/blog/direct"))
    assert f'href="/products/{shoe.slug}?from=direct"' in page
    response = client.get(f"/products/{shoe.slug}?from=direct&size=9")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/products/{shoe.slug}?size=9"
    with client.session_transaction() as session:
        assert session["source_article_id"] == article.id
    assert service.staff_list()[0].clicks == 1
    # The product page names its own address as the one to index.
    landed = text(client.get(response.headers["Location"]))
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', landed).group(1)
    assert canonical.endswith(f"/products/{shoe.slug}")


def test_a_product_link_naming_an_unknown_article_counts_nothing(client, make_product):
    shoe = make_product([7], title="Lone Walker")
    response = client.get(f"/products/{shoe.slug}?from=no-such-article")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/products/{shoe.slug}"
    with client.session_transaction() as session:
        assert "source_article_id" not in session
    assert client.get("/products/no-such-shoe?from=x", follow_redirects=True).status_code == 404
