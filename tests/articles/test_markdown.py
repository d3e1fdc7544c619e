"""Article bodies: Markdown in, only allow-listed HTML out, on every page that shows them."""

import pytest

from storefront.articles.markdown import render, render_comment
from tests.articles.xss import active_markup

ATTACKS = [
    "<script>alert('body')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="alert(1)">click</a>',
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "[tricky](jav&#x09;ascript:alert(1))",
    "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<svg onload="alert(1)"></svg>',
    "[x](vbscript:msgbox(1))",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_attacks_are_neutralised(attack):
    html = render(f"Before\n\n{attack}\n\nAfter").html
    assert active_markup(html) == []
    assert "Before" in html and "After" in html


def test_ordinary_markdown_survives():
    html = render("## Fit\n\n*Soft* **heel**, a [guide](https://example.org) and\n\n"
                  "- one\n- two\n\n![Shoe](/static/img/a.svg)").html
    assert '<h2 id="fit">Fit</h2>' in html
    assert "<em>Soft</em> <strong>heel</strong>" in html
    assert '<a href="https://example.org" rel="noopener">guide</a>' in html
    assert "<li>one</li>" in html
    assert '<img src="/static/img/a.svg" alt="Shoe">' in html


def test_headings_give_unique_anchors_and_a_table_of_contents():
    rendered = render("# Title in body\n\n## Comments\n\n## Fit\n\n## Fit\n\n#### Deep")
    assert [(h.level, h.text, h.anchor) for h in rendered.headings] == [
        (2, "Title in body", "title-in-body"),
        (2, "Comments", "comments-2"),  # the page's own comments section keeps its id
        (2, "Fit", "fit"),
        (2, "Fit", "fit-2"),
    ]
    assert "<h1" not in rendered.html


def test_reading_time_counts_words():
    assert render("word " * 30).reading_minutes == 1
    assert render("word " * 1000).reading_minutes == 5


def test_shortcodes_in_code_are_shown_not_replaced():
    rendered = render("Write `[[product:some-shoe]]` on its own line.")
    assert rendered.product_slugs == []
    html = rendered.with_products(lambda s: "CARD", lambda s: "LINK")
    assert "<code>[[product:some-shoe]]</code>" in html


def test_comment_text_is_plain_and_links_are_nofollow():
    html = render_comment('Hi <a href="https://x.example">x</a>\n\nhttps://ok.example/path.')
    assert "&lt;a href=" in html
    assert '<a href="https://ok.example/path" rel="nofollow ugc noopener">' in html
    assert html.count("<p>") == 2


@pytest.mark.parametrize("attack", ATTACKS)
def test_body_attacks_are_neutralised_on_the_article_page(client, make_article, attack):
    make_article("Attack", body=f"Before\n\n{attack}\n\nAfter")
    page = client.get("/blog/attack").get_data(as_text=True)
    body = page[page.index('<div class="article-body">'):page.index("</article>")]
    assert active_markup(body) == []
    assert "Before" in body and "After" in body


def test_the_checker_finds_what_it_looks_for():
    assert active_markup('<a href=" javascript:x">a</a><img src=x onerror=y><script></script>') \
        == ["a[href= javascript:x]", "img[onerror]", "<script>"]
