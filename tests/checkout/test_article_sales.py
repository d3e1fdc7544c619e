"""Orders remember the article a shopper came from; marketing sees what each article sells."""

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.articles import service as articles
from storefront.articles.models import Article, ArticleClick
from storefront.articles.routes import SOURCE_ARTICLE_KEY
from storefront.checkout import service
from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.models import utcnow
from tests.checkout.conftest import check_out
from tests.staff.helpers import login, make_staff

ADDRESS = {"name": "Ada Walker", "line1": "12 Harbor Street", "city": "Portland",
           "state": "OR", "postal_code": "97201", "country": "US",
           "email": "ada@example.com"}


def text(response):
    return response.get_data(as_text=True)


def publish(title, product=None):
    body = f"[[product:{product.slug}]]" if product else "Words."
    article = articles.save_article(None, articles.ArticleInput(
        title=title, slug="", summary="", body=body, tags="", featured=""))
    articles.publish(article.id, now=utcnow() - timedelta(days=1))
    return db.session.get(Article, article.id)


def orders():
    db.session.expire_all()
    return db.session.scalars(select(Order).order_by(Order.id)).all()


def pay(client, order):
    page = f"/checkout/demo/{order.token}"
    response = client.submit(page, f"{page}/pay", ADDRESS)
    assert response.status_code == 303, text(response)
    return response


def test_an_order_paid_after_following_an_article_link_is_credited_to_it(
        client, make_product):
    shoe = make_product([5], title="Easy Zip Boot", price=12000)
    article = publish("Choosing a boot for a brace", shoe)
    # The shopper follows the card in the article, then buys.
    response = client.get(f"/blog/{article.slug}/go/{shoe.slug}")
    assert response.headers["Location"] == f"/products/{shoe.slug}"
    check_out(client, (shoe.variants[0], 2))
    (order,) = orders()
    assert order.source_article_id == article.id
    pay(client, order)
    (order,) = orders()
    assert order.status == "paid" and order.source_article.title == article.title
    # The sale is counted; the next order needs a new visit to the article to count.
    with client.session_transaction() as browser:
        assert SOURCE_ARTICLE_KEY not in browser
    check_out(client, (shoe.variants[0], 1))
    assert orders()[1].source_article_id is None


def test_an_order_after_a_direct_product_link_is_credited_like_the_old_click_route(
        client, make_product):
    shoe = make_product([5], title="Direct Zip Boot", price=12000)
    article = publish("Boots for a brace, again", shoe)
    response = client.get(f"/products/{shoe.slug}?from={article.slug}")
    assert response.headers["Location"] == f"/products/{shoe.slug}"
    check_out(client, (shoe.variants[0], 1))
    (order,) = orders()
    assert order.source_article_id == article.id


def test_a_direct_visit_credits_no_article(client, make_product):
    shoe = make_product([5])
    publish("Not read", shoe)
    client.get(f"/products/{shoe.slug}")
    check_out(client, (shoe.variants[0], 1))
    pay(client, orders()[0])
    (order,) = orders()
    assert order.status == "paid" and order.source_article_id is None


@pytest.mark.parametrize("remembered", [999_999, "999999", "nonsense", -3, True, [1], None])
def test_an_unknown_article_in_the_session_is_ignored(client, make_product, remembered):
    shoe = make_product([5])
    with client.session_transaction() as browser:
        browser[SOURCE_ARTICLE_KEY] = remembered
    response = check_out(client, (shoe.variants[0], 1))
    assert response.status_code == 303 and "/checkout/demo/" in response.headers["Location"]
    (order,) = orders()
    assert order.status == "pending" and order.source_article_id is None


def test_an_article_deleted_after_the_click_is_ignored_and_its_orders_kept(
        client, make_product):
    shoe = make_product([5])
    gone = publish("Soon gone", shoe)
    kept = publish("Kept", shoe)
    client.get(f"/blog/{kept.slug}/go/{shoe.slug}")
    check_out(client, (shoe.variants[0], 1))
    pay(client, orders()[0])
    client.get(f"/blog/{gone.slug}/go/{shoe.slug}")
    db.session.delete(gone)
    db.session.delete(db.session.get(Article, kept.id))
    db.session.commit()
    check_out(client, (shoe.variants[0], 1))
    first, second = orders()
    assert first.status == "paid" and first.source_article_id is None
    assert second.source_article_id is None


def _order(article, status, total):
    db.session.add(Order(
        number="SA-" + secrets.token_hex(4).upper(), token=secrets.token_urlsafe(16),
        status=status, currency="USD", subtotal_cents=total, total_cents=total,
        gateway="demo", hold_expires_at=utcnow(),
        source_article_id=article.id if article else None))


@pytest.fixture
def sales(make_product):
    """Two articles with clicks and orders in every state, and one sale from no article."""
    shoe = make_product([5])
    brace = publish("Brace guide", shoe)
    steps = publish("Fewer trips", shoe)
    quiet = publish("Quiet one")
    for article, clicks in ((brace, 3), (steps, 5)):
        for _ in range(clicks):
            db.session.add(ArticleClick(article_id=article.id, product_id=shoe.id))
    for status, total in (("paid", 12000), ("shipped", 9900), ("pending", 50000),
                          ("expired", 40000), ("cancelled", 30000), ("failed", 20000)):
        _order(brace, status, total)
    _order(steps, "paid", 25000)
    _order(None, "paid", 77700)
    db.session.commit()
    return brace, steps, quiet


def test_report_counts_only_paid_and_shipped_orders_in_one_query(app, sales, count_queries):
    brace, steps, quiet = sales
    db.session.expire_all()
    with count_queries() as queries:
        report = service.article_sales("revenue")
        figures = [(row.article.title, row.clicks, row.orders, row.revenue)
                   for row in report.rows]
        authors = [row.article.author for row in report.rows]
    assert len(queries) == 1, queries
    assert authors == [None, None, None]
    assert figures == [("Fewer trips", 5, 1, 25000), ("Brace guide", 3, 2, 21900),
                       ("Quiet one", 0, 0, 0)]
    assert (report.clicks, report.orders, report.revenue) == (8, 3, 46900)
    by_clicks = [row.article.title for row in service.article_sales("clicks").rows]
    assert by_clicks == ["Fewer trips", "Brace guide", "Quiet one"]
    # An odd sort falls back to newest first rather than failing.
    assert service.article_sales("'; drop table article").sort == "newest"


def test_staff_article_list_shows_sales_sorted_by_revenue(client, sales):
    login(client, make_staff("marketing").email)
    page = text(client.get("/staff/articles?sort=revenue"))
    assert re.search(r"<dt>Revenue</dt><dd>\$469\.00</dd>", page)
    assert re.search(r"<dt>Paid orders</dt><dd>3</dd>", page)
    titles = re.findall(r'/edit">([^<]+)</a>', page)
    assert titles == ["Fewer trips", "Brace guide", "Quiet one"]
    row = re.search(r"Brace guide</a>.*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]+)</td>', row)
    assert cells == ["3", "2", "$219.00"]
    assert 'aria-current="true">Most revenue first' in page
    # Bad input in the address never breaks the page.
    assert "Newest first" in text(client.get("/staff/articles?sort=bogus"))
