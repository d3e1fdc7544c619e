"""`flask demo load` brings original articles that link to demo products."""

from storefront.articles import service
from storefront.articles.models import Article
from storefront.extensions import db


def test_demo_load_adds_linked_articles_once(runner, client):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo articles: 3 created, 0 already present." in first.output
    again = runner.invoke(args=["demo", "load"])
    assert "Demo articles: 0 created, 3 already present." in again.output
    articles = db.session.scalars(db.select(Article)).all()
    assert len(articles) == 3
    assert {a.author.role for a in articles} == {"marketing"}
    assert all(a.author.bio for a in articles)
    # Every product the demo articles name exists and is published.
    assert [p for p in service.link_report() if p.problem != "sold_out"] == []
    page = client.get("/blog/foot-drop-explained").get_data(as_text=True)
    assert 'class="article-product"' in page and "Contents" in page
