"""Reports: what the articles sold, and what each order cost."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, func, select

from ... import money
from ...articles.models import Article, ArticleClick
from ...extensions import db
from ...models import utcnow
from ..models import PAID_STATUSES, Dispute, Order

# Statuses in which an order's money stays with the shop. A cancelled order is
# refunded (or flagged until it is), so it no longer counts, even if it was paid once.
SALE_STATUSES = PAID_STATUSES


def not_lost_in_a_dispute(order_id):
    """A condition: the order's money was not taken back by a dispute the shop lost.

    A lost dispute gives the payment back to the cardholder, so reports count the
    order as refunded, not as a sale.
    """
    return ~exists().where(Dispute.order_id == order_id, Dispute.status == "lost")


ARTICLE_SORTS = {"newest": "Newest first", "revenue": "Most revenue first",
                 "orders": "Most orders first", "clicks": "Most clicks first"}


@dataclass(frozen=True)
class ArticleSales:
    article: Article
    state: str
    clicks: int
    orders: int
    revenue: int  # cents, in the shop's currency


@dataclass(frozen=True)
class ArticleSalesReport:
    rows: list
    sort: str
    currency: str

    @property
    def clicks(self):
        return sum(row.clicks for row in self.rows)

    @property
    def orders(self):
        return sum(row.orders for row in self.rows)

    @property
    def revenue(self):
        return sum(row.revenue for row in self.rows)


def article_sales(sort="newest", now=None):
    """Every article with its product clicks, paid orders and revenue, in one query.

    An order counts when it is paid or shipped (and not lost in a dispute), in
    the shop's currency, and came from the article. `sort` is one of ARTICLE_SORTS;
    anything else means newest.
    """
    sort = sort if sort in ARTICLE_SORTS else "newest"
    now = now or utcnow()
    currency = current_app.config["SHOP_CURRENCY"]
    clicks = (select(ArticleClick.article_id, func.count().label("n"))
              .group_by(ArticleClick.article_id).subquery())
    sales = (select(Order.source_article_id.label("article_id"),
                    func.count().label("n"), func.sum(Order.total_cents).label("cents"))
             .where(Order.source_article_id.is_not(None),
                    Order.status.in_(SALE_STATUSES), Order.currency == currency,
                    not_lost_in_a_dispute(Order.id))
             .group_by(Order.source_article_id).subquery())
    n_clicks = func.coalesce(clicks.c.n, 0)
    n_orders = func.coalesce(sales.c.n, 0)
    revenue = func.coalesce(sales.c.cents, 0)
    newest = (Article.publish_at.desc().nulls_first(), Article.id.desc())
    order_by = {"revenue": (revenue.desc(), n_orders.desc(), n_clicks.desc()),
                "orders": (n_orders.desc(), revenue.desc(), n_clicks.desc()),
                "clicks": (n_clicks.desc(), n_orders.desc(), revenue.desc())}
    query = (select(Article, n_clicks, n_orders, revenue)
             .outerjoin(clicks, clicks.c.article_id == Article.id)
             .outerjoin(sales, sales.c.article_id == Article.id)
             .order_by(*order_by.get(sort, ()), *newest))
    rows = [ArticleSales(article, article.state(now), int(c), int(o), int(r))
            for article, c, o, r in db.session.execute(query).unique().all()]
    return ArticleSalesReport(rows, sort, currency)


# What an order cost, for the staff's CSV and JSON exports: amounts in whole units of
# the order's currency with its decimals (129.00, 8000, 12.340).
ORDER_EXPORT_FIELDS = ("number", "created_at", "status", "currency", "subtotal", "discount",
                       "discount_code", "shipping", "shipping_rate", "tax", "total", "email",
                       "shipping_country", "tax_included")


def order_money_rows(status=None, limit=10_000):
    """One dict per order, newest first, with ORDER_EXPORT_FIELDS as keys."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    if status:
        query = query.where(Order.status == status)
    rows = []
    for order in db.session.scalars(query):
        amount = lambda cents, o=order: money.plain(cents, o.currency)  # noqa: E731
        rows.append({
            "number": order.number, "created_at": order.created_at.isoformat(),
            "status": order.status, "currency": order.currency,
            "subtotal": amount(order.subtotal_cents), "discount": amount(order.discount_cents),
            "discount_code": order.discount_code, "shipping": amount(order.shipping_cents),
            "shipping_rate": order.shipping_rate_name, "tax": amount(order.tax_cents),
            "total": amount(order.total_cents), "email": order.email or "",
            "shipping_country": order.shipping_country,
            # The tax is part of the subtotal (prices included it), not added to the total.
            "tax_included": order.prices_include_tax,
        })
    return rows
