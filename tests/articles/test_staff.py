"""Marketing's back office: writing, previewing, scheduling, link report and moderation."""

import re
from datetime import timedelta

import pytest

from storefront.articles import service
from storefront.articles.models import Article, Comment
from storefront.extensions import db
from storefront.models import utcnow
from tests.articles.xss import active_markup
from tests.staff.helpers import login, make_staff


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def marketing(client):
    user = make_staff("marketing", display_name="Mira Marketing")
    login(client, user.email)
    return user


def article_named(title):
    return db.session.scalars(db.select(Article).where(Article.title == title)).one()


FORM = {"title": "Fewer trips at home", "slug": "", "summary": "Small changes.",
        "body": "## Light\n\nTurn it on.", "tags": "Safety, Home", "featured": "",
        "cover_image": "", "cover_alt": "", "action": "save"}


def _staff_urls(make_article):
    article = make_article("Anything")
    return ("/staff/articles", "/staff/comments", "/staff/articles/report",
            f"/staff/articles/{article.id}/edit", "/staff/articles/new")


def test_staff_pages_need_a_login(client, make_article):
    for url in _staff_urls(make_article):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    token = client.csrf_token("/blog/anything")
    response = client.post("/staff/articles/1/publish", data={"csrf_token": token})
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/blog/anything").status_code == 200


@pytest.mark.parametrize("role, status", [("warehouse", 403), ("admin", 200),
                                          ("marketing", 200)])
def test_only_marketing_and_admin_reach_the_pages(client, make_article, role, status):
    urls = _staff_urls(make_article)
    login(client, make_staff(role).email)
    assert [client.get(url).status_code for url in urls] == [status] * len(urls)


def test_writing_a_draft_then_publishing_it(client, marketing):
    response = client.submit("/staff/articles/new", "/staff/articles/new", FORM,
                             follow_redirects=True)
    assert "Saved “Fewer trips at home” (draft)." in text(response)
    article = article_named("Fewer trips at home")
    assert article.slug == "fewer-trips-at-home" and article.author_id == marketing.id
    assert [t.name for t in article.tags] == ["Home", "Safety"]
    assert client.get("/blog/fewer-trips-at-home").status_code == 404

    edit = f"/staff/articles/{article.id}/edit"
    response = client.submit(edit, f"/staff/articles/{article.id}/publish", {},
                             follow_redirects=True)
    assert "it is live on the blog now" in text(response)
    assert "Turn it on." in text(client.get("/blog/fewer-trips-at-home"))

    response = client.submit(edit, f"/staff/articles/{article.id}/unpublish", {},
                             follow_redirects=True)
    assert "it is a draft again" in text(response)
    assert client.get("/blog/fewer-trips-at-home").status_code == 404


def test_scheduling_hides_the_article_until_its_time(client, marketing, make_article):
    article = make_article("Later", state="draft")
    edit = f"/staff/articles/{article.id}/edit"
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.submit(edit, f"/staff/articles/{article.id}/schedule",
                             {"publish_at": when}, follow_redirects=True)
    assert "Scheduled “Later” for" in text(response)
    assert client.get("/blog/later").status_code == 404
    assert "Later" not in text(client.get("/blog"))
    assert service.published_article("later", now=utcnow() + timedelta(days=3))

    past = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.submit(edit, f"/staff/articles/{article.id}/schedule",
                             {"publish_at": past}, follow_redirects=True)
    assert "Not scheduled: Choose a time in the future" in text(response)
    response = client.submit(edit, f"/staff/articles/{article.id}/schedule",
                             {"publish_at": "next tuesday"}, follow_redirects=True)
    assert "Not scheduled" in text(response)


def test_preview_button_works_without_javascript_and_saves_nothing(client, marketing):
    response = client.submit("/staff/articles/new", "/staff/articles/new",
                             FORM | {"action": "preview", "body": "## Seen\n\n*soft*"})
    page = text(response)
    assert response.status_code == 200
    assert '<h2 id="seen">Seen</h2>' in page and "<em>soft</em>" in page
    assert "Nothing is saved until you press Save." in page
    assert db.session.scalar(db.select(db.func.count(Article.id))) == 0


def test_live_preview_endpoint_renders_cards_and_notes(client, marketing, make_product):
    shoe = make_product([3], title="Preview Walker")
    hidden = make_product([3], title="Hidden Walker", published=False)
    token = client.csrf_token("/staff/articles/new")
    response = client.post("/staff/articles/preview", headers={"X-CSRFToken": token},
                           data={"body": f"[[product:{shoe.slug}]]\n\n[[product:{hidden.slug}]]"
                                         "\n\n[[product:gone-shoe]]"})
    page = text(response)
    assert "Preview Walker" in page and "Only 3 left" in page
    assert f"the product “{hidden.slug}” is not published" in page
    assert "there is no product “gone-shoe”" in page
    assert client.post("/staff/articles/preview", data={"body": "x"}).status_code == 400


def test_invalid_article_shows_each_problem(client, marketing, make_article):
    make_article("Taken", slug="taken")
    response = client.submit("/staff/articles/new", "/staff/articles/new",
                             FORM | {"slug": "taken", "featured": "no-such-shoe"})
    page = text(response)
    assert response.status_code == 422
    assert "Another article already uses the web address &#39;taken&#39;." in page
    assert "No product has the web address &#39;no-such-shoe&#39;." in page
    response = client.submit("/staff/articles/new", "/staff/articles/new",
                             FORM | {"slug": "Bad Slug!"})
    assert "lower-case letters, digits and single hyphens" in text(response)
    assert client.get("/staff/articles/999/edit").status_code == 404


def test_article_list_shows_state_and_clicks(client, marketing, make_article, make_product):
    shoe = make_product([3])
    make_article("Clicked", body=f"[[product:{shoe.slug}]]")
    make_article("Waiting", state="scheduled")
    client.get(f"/blog/clicked/go/{shoe.slug}")
    client.get(f"/blog/clicked/go/{shoe.slug}")
    page = text(client.get("/staff/articles"))
    row = re.search(r"Clicked</a>.*?</tr>", page, re.S).group(0)
    assert "Published" in row and '<td class="num">2</td>' in row
    assert "Scheduled" in re.search(r"Waiting</a>.*?</tr>", page, re.S).group(0)


def test_link_report_names_missing_unpublished_and_sold_out_products(
    client, marketing, make_article, make_product
):
    fine = make_product([4], title="Fine Walker")
    hidden = make_product([4], title="Hidden Walker", published=False)
    gone = make_product([0], title="Gone Walker")
    make_article("Linking", body=f"[[product:{fine.slug}]]\n\n[[product:{hidden.slug}]]\n\n"
                                 "[[product:never-made]]", featured=gone.slug)
    page = text(client.get("/staff/articles/report"))
    assert "Fine Walker" not in page
    assert re.search(r"Hidden Walker.*?Product not published", page, re.S)
    assert re.search(r"never-made.*?No such product", page, re.S)
    assert re.search(r"Gone Walker.*?Sold out.*?Featured products", page, re.S)


def _pending(make_article, client, n=3):
    make_article("Talk")
    for i in range(n):
        client.submit("/blog/talk", "/blog/talk/comments",
                      {"name": f"Reader {i}", "email": f"r{i}@example.com",
                       "body": f"Comment number {i}"})
    return db.session.scalars(db.select(Comment).order_by(Comment.id)).all()


def test_bulk_moderation(client, make_article):
    first, second, third = _pending(make_article, client)
    user = make_staff("marketing")
    login(client, user.email)
    queue = text(client.get("/staff/comments"))
    assert "Waiting for approval (3)" in queue and "Comment number 2" in queue
    response = client.submit("/staff/comments", "/staff/comments",
                             {"action": "approve", "comment_id": [first.id, second.id],
                              "status": "pending"}, follow_redirects=True)
    assert "Approved: 2 comments." in text(response)
    response = client.submit("/staff/comments", "/staff/comments",
                             {"action": "spam", "comment_id": [third.id], "status": "pending"},
                             follow_redirects=True)
    assert "Marked as spam: 1 comment." in text(response)
    assert "nothing is waiting for approval" in text(response)
    db.session.expire_all()
    assert [c.status for c in (first, second, third)] == ["approved", "approved", "spam"]
    assert first.moderated_by_id == user.id
    blog = text(client.get("/blog/talk"))
    assert "Comment number 0" in blog and "Comment number 1" in blog
    assert "Comment number 2" not in blog
    # Changing one's mind: an approved comment can be rejected later.
    client.submit("/staff/comments?status=approved", "/staff/comments",
                  {"action": "reject", "comment_id": [first.id], "status": "approved"})
    assert "Comment number 0" not in text(client.get("/blog/talk"))


def test_moderation_refuses_empty_or_odd_requests(client, make_article):
    _pending(make_article, client, n=1)
    login(client, make_staff("marketing").email)
    response = client.submit("/staff/comments", "/staff/comments", {"action": "approve"},
                             follow_redirects=True)
    assert "Tick at least one comment first." in text(response)
    response = client.submit("/staff/comments", "/staff/comments",
                             {"action": "delete", "comment_id": ["1"]}, follow_redirects=True)
    assert "Choose approve, reject or spam." in text(response)
    response = client.submit("/staff/comments", "/staff/comments",
                             {"action": "approve", "comment_id": ["x"]}, follow_redirects=True)
    assert "That selection was not understood." in text(response)
    response = client.submit("/staff/comments", "/staff/comments",
                             {"action": "approve", "comment_id": [str(2**31), str(2**63)]},
                             follow_redirects=True)
    assert response.status_code == 200  # ids no comment can have: nothing to approve
    assert "Tick at least one comment first." in text(response)


ATTACK = ('<script>alert(1)</script><img src=x onerror=alert(2)> '
          '[x](javascript:alert(3)) ![d](data:text/html;base64,PHNjcmlwdD4=)')


def test_attacks_are_neutralised_on_staff_pages(client, make_article):
    _pending(make_article, client, n=0)
    client.submit("/blog/talk", "/blog/talk/comments",
                  {"name": "<b onmouseover=x>Eve</b>", "email": "eve@example.com",
                   "body": ATTACK})
    article = make_article(f"Hostile {ATTACK[:20]}", body=ATTACK, summary=ATTACK)
    login(client, make_staff("marketing").email)
    for url in ("/staff/comments", "/staff/articles", f"/staff/articles/{article.id}/edit"):
        page = text(client.get(url))
        main = page[page.index("<main"):]
        # The page's own forms and its one script file are expected; nothing else.
        found = [p for p in active_markup(main) if p != "<form>"]
        assert found == ["<script>"] * main.count('<script src="/static/js/')
        assert "<script>alert(1)</script>" not in page
    token = client.csrf_token("/staff/articles/new")
    preview = text(client.post("/staff/articles/preview", headers={"X-CSRFToken": token},
                               data={"body": ATTACK}))
    assert active_markup(preview) == []


def test_a_cover_image_is_uploaded_processed_and_shown(app, client, marketing, tmp_path,
                                                       monkeypatch):
    import io

    from PIL import Image

    from tests.media.images import opened, photo

    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    form = FORM | {"title": "Lacing for one hand", "cover_alt": "Hands lacing a boot",
                   "cover_upload": (io.BytesIO(photo(1800, 1200, gps=True)), "cover.jpg")}
    response = client.submit("/staff/articles/new", "/staff/articles/new", form,
                             content_type="multipart/form-data")
    assert response.status_code == 303, text(response)
    article = article_named("Lacing for one hand")
    assert re.fullmatch(r"/media/[0-9a-f]{20}-1600w\.jpg", article.cover_image)
    served = client.get(article.cover_image)
    assert served.status_code == 200
    image = opened(served.data)
    assert image.size == (1600, 1067) and not image.getexif()  # no GPS, no camera data
    assert isinstance(image, Image.Image)


def test_a_cover_that_is_not_an_image_or_has_no_description_is_refused(app, client, marketing,
                                                                       tmp_path, monkeypatch):
    import io

    from tests.media.images import photo

    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    form = FORM | {"title": "Not a picture",
                   "cover_upload": (io.BytesIO(b"%PDF-1.4 not a photo"), "cover.jpg"),
                   "cover_alt": "Something"}
    response = client.submit("/staff/articles/new", "/staff/articles/new", form,
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="cover_upload-error"' in text(response)
    form = FORM | {"title": "No description",
                   "cover_upload": (io.BytesIO(photo(400, 300)), "cover.jpg")}
    response = client.submit("/staff/articles/new", "/staff/articles/new", form,
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Describe what the cover image shows" in text(response)
    assert db.session.scalars(db.select(Article)).all() == []
