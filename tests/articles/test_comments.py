"""Comments: the form, its defences, and what shoppers see before and after moderation."""

from storefront.articles import service
from storefront.articles.models import Comment
from storefront.extensions import db


def text(response):
    return response.get_data(as_text=True)


def comments():
    return db.session.scalars(db.select(Comment).order_by(Comment.id)).all()


GOOD = {"name": "Ada", "email": "ada@example.com", "body": "This helped my mother a lot."}


def test_a_comment_waits_for_approval_and_the_reader_is_told(client, make_article):
    make_article("Talk")
    response = client.submit("/blog/talk", "/blog/talk/comments", GOOD, follow_redirects=True)
    page = text(response)
    assert "will appear here once our team has approved it" in page
    assert "This helped my mother a lot." not in page
    [comment] = comments()
    assert comment.status == "pending" and comment.email == "ada@example.com"

    service.moderate([comment.id], "approve", staff_id=None)
    page = text(client.get("/blog/talk"))
    assert "This helped my mother a lot." in page and "Comments (1)" in page
    assert "ada@example.com" not in page


def test_rejected_and_spam_comments_stay_hidden(client, make_article):
    make_article("Talk")
    for body in ("Rejected words", "Spam words"):
        client.submit("/blog/talk", "/blog/talk/comments", GOOD | {"body": body})
    first, second = comments()
    service.moderate([first.id], "reject", staff_id=None)
    service.moderate([second.id], "spam", staff_id=None)
    page = text(client.get("/blog/talk"))
    assert "Rejected words" not in page and "Spam words" not in page


def test_invalid_comment_shows_the_form_again_with_errors(client, make_article):
    make_article("Talk")
    response = client.submit("/blog/talk", "/blog/talk/comments",
                             {"name": "", "email": "not-an-address", "body": "Kept text"})
    assert response.status_code == 422
    page = text(response)
    assert "Tell us your name." in page
    assert "Enter an e-mail address like name@example.com." in page
    assert "Kept text" in page  # what they typed is not lost
    assert 'aria-invalid="true"' in page
    assert comments() == []


def test_honeypot_stores_nothing_but_answers_like_success(client, make_article):
    make_article("Talk")
    response = client.submit("/blog/talk", "/blog/talk/comments",
                             GOOD | {"website": "http://spam.example"}, follow_redirects=True)
    assert response.status_code == 200
    assert "will appear here once our team has approved it" in text(response)
    assert comments() == []


def test_comment_without_csrf_token_is_refused(client, make_article):
    make_article("Talk")
    response = client.post("/blog/talk/comments", data=GOOD)
    assert response.status_code == 400
    assert "Form expired" in text(response)
    assert comments() == []


def test_comments_on_drafts_or_unknown_articles_are_refused(client, make_article):
    make_article("Talk")
    make_article("Hidden", state="draft")
    token = client.csrf_token("/blog/talk")
    for slug in ("hidden", "nothing"):
        response = client.post(f"/blog/{slug}/comments", data=GOOD | {"csrf_token": token})
        assert response.status_code == 404
    assert comments() == []


def test_comments_are_rate_limited(client, make_article):
    make_article("Talk")
    token = client.csrf_token("/blog/talk")
    statuses = [client.post("/blog/talk/comments", data=GOOD | {"csrf_token": token}).status_code
                for _ in range(6)]
    assert statuses[:5] == [303] * 5
    assert statuses[5] == 429
    assert len(comments()) == 5


def test_comment_links_get_nofollow_and_text_is_escaped(client, make_article):
    make_article("Talk")
    body = ("<script>alert(1)</script> <b onmouseover=alert(2)>bold</b>\n"
            "See https://example.org/guide?a=1&b=2 and javascript:alert(3)")
    client.submit("/blog/talk", "/blog/talk/comments", GOOD | {"body": body})
    service.moderate([comments()[0].id], "approve", staff_id=None)
    page = text(client.get("/blog/talk"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b onmouseover" not in page
    assert ('<a href="https://example.org/guide?a=1&amp;b=2" rel="nofollow ugc noopener">'
            in page)
    assert 'href="javascript:' not in page
