"""Questions and answers: a ```questions block in Markdown is a definition list on the
page and FAQPage structured data saying the same."""

import json
import re

from storefront.articles import markdown, service

BLOCK = """Before.

```questions
Q: Do these fit over a <b>brace</b>?
A: Most *do*: see [the guide](/blog/guide).
   Wider ones fit best.

Q: A question nobody answered

Q: Can I return them?
A: Within 60 days.
```
"""


def structured(page, kind):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [data for data in map(json.loads, blocks) if data["@type"] == kind]


def test_a_questions_block_is_a_definition_list_of_the_answered_questions():
    rendered = markdown.render(BLOCK)
    assert ('<dl class="questions"><dt>Do these fit over a &lt;b&gt;brace&lt;/b&gt;?</dt>'
            '<dd><p>Most <em>do</em>: see <a href="/blog/guide" rel="noopener">the guide</a>.'
            '\nWider ones fit best.</p>\n</dd><dt>Can I return them?</dt>'
            '<dd><p>Within 60 days.</p>\n</dd></dl>') in rendered.html
    assert "nobody answered" not in rendered.html
    assert [q.question for q in rendered.questions] == [
        "Do these fit over a <b>brace</b>?", "Can I return them?"]
    assert rendered.questions[0].answer_text == "Most do: see the guide.\nWider ones fit best."


def test_answers_are_cleaned_like_the_rest_of_the_body():
    rendered = markdown.render("```questions\nQ: Safe?\nA: [x](javascript:alert(1)) "
                               "<script>alert(2)</script>\n```")
    assert "href=\"javascript" not in rendered.html and "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html  # shown as text, never run


def test_a_block_without_a_complete_question_stays_a_code_block():
    rendered = markdown.render("```questions\nJust some notes.\nQ: no answer\n```")
    assert "<pre><code" in rendered.html and "<dl" not in rendered.html
    assert rendered.questions == []


def test_the_article_page_carries_faqpage_data_matching_what_it_shows(client, make_article):
    make_article("Brace questions", body=BLOCK, slug="brace-questions")
    page = client.get("/blog/brace-questions").get_data(as_text=True)
    assert "<dt>Can I return them?</dt>" in page
    [faq] = structured(page, "FAQPage")
    assert faq["mainEntity"] == [
        {"@type": "Question", "name": "Do these fit over a <b>brace</b>?",
         "acceptedAnswer": {"@type": "Answer",
                            "text": "Most do: see the guide.\nWider ones fit best."}},
        {"@type": "Question", "name": "Can I return them?",
         "acceptedAnswer": {"@type": "Answer", "text": "Within 60 days."}}]
    assert structured(page, "Article")  # the article's own data stays


def test_pages_without_questions_carry_no_faqpage_data(client, make_article):
    make_article("Plain", body="Nothing asked.", slug="plain")
    assert structured(client.get("/blog/plain").get_data(as_text=True), "FAQPage") == []


def test_shop_pages_take_questions_too(client):
    service.save_page(None, service.PageInput(title="Returns", slug="returns", summary="",
                                              body=BLOCK))
    page = client.get("/pages/returns").get_data(as_text=True)
    assert "<dt>Can I return them?</dt>" in page
    assert len(structured(page, "FAQPage")[0]["mainEntity"]) == 2
