"""The back office's landing page: the figures each role needs, as plots with a table
beside each, and every figure as a CSV file.

Orders are read with small queries on their tables (by name, through the metadata), so
this page depends on no module of the checkout package. A day is a UTC day.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select

from .. import money
from ..catalogue.models import Product, Variant
from ..checkout.models import PAID_STATUSES
from ..checkout.service.reports import not_lost_in_a_dispute
from ..extensions import db
from ..inventory.models import StockHold, StockLevel, StockMovement
from ..models import utcnow
from ..notices import service as notices

PERIODS = (30, 90)
TOP_PRODUCTS = 10
LIST_LIMIT = 50
# An order counts as a sale once paid, unless it was cancelled (and so refunded).
SALES_FIGURES = ("sales", "products", "articles", "returns")
WAREHOUSE_FIGURES = ("to_ship", "low_stock", "sold_out_demand", "movements")


def _table(name):
    return db.metadata.tables[name]


def _day(value):
    """The UTC date of a stored time (SQLite gives naive UTC times back)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).date()


def _start(days, now):
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    return first, datetime(first.year, first.month, first.day, tzinfo=UTC)


@dataclass(frozen=True)
class Figure:
    """One figure: its title, column headings and rows, as the table and the CSV show it."""

    name: str
    title: str
    columns: tuple
    rows: list
    # Columns holding amounts in minor units; the CSV writes them in whole currency units.
    money_columns: tuple = ()


@dataclass(frozen=True)
class DailySales:
    days: list  # (date, orders, revenue in minor units), one per day, oldest first
    orders: int
    revenue: int

    @property
    def average(self):
        return self.revenue // self.orders if self.orders else 0


def daily_sales(days=30, now=None):
    """Paid orders and their revenue per UTC day over the last `days` days, today included."""
    order = _table("shop_order")
    first, since = _start(days, now or utcnow())
    rows = db.session.execute(
        select(order.c.paid_at, order.c.total_cents)
        .where(order.c.paid_at >= since, order.c.status.in_(PAID_STATUSES),
               not_lost_in_a_dispute(order.c.id))).all()
    per_day = {first + timedelta(n): [0, 0] for n in range(days)}
    for paid_at, total in rows:
        day = per_day.get(_day(paid_at))
        if day is not None:
            day[0] += 1
            day[1] += total
    series = [(day, n, revenue) for day, (n, revenue) in sorted(per_day.items())]
    return DailySales(series, sum(r[1] for r in series), sum(r[2] for r in series))


def top_products(days=30, now=None, limit=TOP_PRODUCTS):
    """(title, units, revenue) of the best-selling products by units over the period."""
    order, line = _table("shop_order"), _table("order_line")
    _, since = _start(days, now or utcnow())
    units = func.sum(line.c.quantity)
    return [tuple(r) for r in db.session.execute(
        select(line.c.title, units, func.sum(line.c.line_total_cents))
        .join(order, order.c.id == line.c.order_id)
        .where(order.c.paid_at >= since, order.c.status.in_(PAID_STATUSES),
               not_lost_in_a_dispute(order.c.id))
        .group_by(line.c.title).order_by(units.desc(), line.c.title).limit(limit))]


def article_conversion(days=30, now=None):
    """(article title, product clicks, paid orders that came from it, conversion in per
    cent) over the period, most orders first."""
    article, click, order = _table("article"), _table("article_click"), _table("shop_order")
    _, since = _start(days, now or utcnow())
    clicks = dict(db.session.execute(
        select(click.c.article_id, func.count()).where(click.c.created_at >= since)
        .group_by(click.c.article_id)).all())
    orders = dict(db.session.execute(
        select(order.c.source_article_id, func.count())
        .where(order.c.paid_at >= since, order.c.status.in_(PAID_STATUSES),
               not_lost_in_a_dispute(order.c.id),
               order.c.source_article_id.is_not(None))
        .group_by(order.c.source_article_id)).all())
    ids = set(clicks) | set(orders)
    if not ids:
        return []
    titles = dict(db.session.execute(select(article.c.id, article.c.title)
                                      .where(article.c.id.in_(ids))).all())
    rows = []
    for article_id in ids:
        n_clicks, n_orders = clicks.get(article_id, 0), orders.get(article_id, 0)
        rate = round(100 * n_orders / n_clicks, 1) if n_clicks else None
        rows.append((titles.get(article_id, f"Article {article_id}"), n_clicks, n_orders, rate))
    rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    return rows


def returns_rate(days=30, now=None, limit=LIST_LIMIT):
    """(product, units sold, units of them returned, returned per 100 sold) of the units
    sold over the period (paid orders, not lost in a dispute), counting every return of
    them asked for since except cancelled ones. Highest rate first."""
    order, line = _table("shop_order"), _table("order_line")
    shop_return, return_line = _table("shop_return"), _table("return_line")
    _, since = _start(days, now or utcnow())
    sold_in_period = and_(order.c.paid_at >= since, order.c.status.in_(PAID_STATUSES),
                          not_lost_in_a_dispute(order.c.id))
    sold = dict(db.session.execute(
        select(line.c.title, func.sum(line.c.quantity))
        .join(order, order.c.id == line.c.order_id)
        .where(sold_in_period).group_by(line.c.title)).all())
    returned = dict(db.session.execute(
        select(line.c.title, func.sum(return_line.c.quantity))
        .select_from(return_line)
        .join(shop_return, shop_return.c.id == return_line.c.return_id)
        .join(line, line.c.id == return_line.c.order_line_id)
        .join(order, order.c.id == line.c.order_id)
        .where(sold_in_period, shop_return.c.status != "cancelled")
        .group_by(line.c.title)).all())
    rows = []
    for title, units in sold.items():
        back = int(returned.get(title, 0))
        rows.append((title, int(units), back, round(100 * back / units, 1)))
    rows.sort(key=lambda r: (-r[3], -r[2], r[0]))
    return rows[:limit]


def orders_to_ship(limit=LIST_LIMIT):
    """(order number, paid at, units) of paid orders waiting to ship, oldest first, and how
    many there are in all."""
    order, line = _table("shop_order"), _table("order_line")
    count = db.session.scalar(select(func.count()).select_from(order)
                              .where(order.c.status == "paid"))
    units = (select(func.coalesce(func.sum(line.c.quantity), 0))
             .where(line.c.order_id == order.c.id).scalar_subquery())
    rows = db.session.execute(
        select(order.c.number, order.c.paid_at, units).where(order.c.status == "paid")
        .order_by(order.c.paid_at, order.c.id).limit(limit)).all()
    return [(number, paid_at, n) for number, paid_at, n in rows], count


def low_stock(limit=LIST_LIMIT):
    """(SKU, product, available) of variants on sale with 1 up to their product's
    low-stock threshold units, fewest first."""
    level = StockLevel.__table__
    available = level.c.on_hand - level.c.reserved - level.c.committed
    rows = db.session.execute(
        select(Variant.sku, Product.title, available)
        .join(Product, Product.id == Variant.product_id)
        .join(level, level.c.variant_id == Variant.id)
        .where(Variant.retired_at.is_(None), Product.published.is_(True),
               available > 0, available <= Product.low_stock_threshold)
        .order_by(available, Product.title, Variant.sku).limit(limit)).all()
    return [tuple(r) for r in rows]


def sold_out_with_demand(limit=LIST_LIMIT):
    """(SKU, product, shoppers waiting) of sold-out variants that shoppers wait for."""
    return [(d.variant.sku, d.variant.product.title, d.waiting) for d in notices.demand()
            if d.available <= 0 and d.waiting > 0][:limit]


def open_holds(now=None):
    """(checkouts holding stock, units held) right now."""
    now = now or utcnow()
    row = db.session.execute(
        select(func.count(func.distinct(StockHold.reference)),
               func.coalesce(func.sum(StockHold.quantity), 0))
        .where(StockHold.status == "active", StockHold.expires_at > now)).one()
    return row[0], row[1]


def daily_movements(days=30, now=None):
    """(date, units received, units shipped) per UTC day over the period, oldest first."""
    first, since = _start(days, now or utcnow())
    received = and_(StockMovement.reason == "received", StockMovement.on_hand_delta > 0)
    rows = db.session.execute(
        select(StockMovement.created_at, StockMovement.reason, StockMovement.on_hand_delta)
        .where(StockMovement.created_at >= since,
               (StockMovement.reason == "shipped") | received)).all()
    per_day = {first + timedelta(n): [0, 0] for n in range(days)}
    for created_at, reason, delta in rows:
        day = per_day.get(_day(created_at))
        if day is not None:
            day[0 if reason == "received" else 1] += abs(delta)
    return [(day, r, s) for day, (r, s) in sorted(per_day.items())]


def figure(name, days=30, now=None):
    """One figure by name, as a table (title, columns, rows) for the page and the CSV."""
    if name == "sales":
        sales = daily_sales(days, now)
        return Figure(name, f"Paid orders and revenue per day, last {days} days",
                      ("Day", "Orders", f"Revenue ({_currency()})"), sales.days, (2,))
    if name == "products":
        return Figure(name, f"Top products by units sold, last {days} days",
                      ("Product", "Units", f"Revenue ({_currency()})"),
                      top_products(days, now), (2,))
    if name == "articles":
        return Figure(name, f"Article clicks and the paid orders they led to, last {days} days",
                      ("Article", "Product clicks", "Paid orders", "Orders per 100 clicks"),
                      article_conversion(days, now))
    if name == "returns":
        return Figure(name, f"Returns per product, of the units sold in the last {days} days",
                      ("Product", "Units sold", "Units returned", "Returned per 100 sold"),
                      returns_rate(days, now))
    if name == "to_ship":
        rows, _ = orders_to_ship()
        return Figure(name, "Paid orders waiting to ship, oldest first",
                      ("Order", "Paid at (UTC)", "Units"), rows)
    if name == "low_stock":
        return Figure(name, "Low stock", ("SKU", "Product", "Available"), low_stock())
    if name == "sold_out_demand":
        return Figure(name, "Sold out, with shoppers waiting",
                      ("SKU", "Product", "Shoppers waiting"), sold_out_with_demand())
    if name == "movements":
        return Figure(name, f"Units received and shipped per day, last {days} days",
                      ("Day", "Received", "Shipped"), daily_movements(days, now))
    raise KeyError(name)


def figures_for(user):
    """The figure names a staff member's dashboard shows."""
    names = []
    if user.has_role("marketing"):
        names += SALES_FIGURES
    if user.has_role("warehouse"):
        names += WAREHOUSE_FIGURES
    return names


def _currency():
    return current_app.config["SHOP_CURRENCY"]


def to_csv(fig):
    """A figure as CSV text: a heading row, then one row per entry (amounts in whole
    units of the shop's currency, with its decimals: 129.00, 8000, 12.340)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(fig.columns)
    for row in fig.rows:
        writer.writerow(["" if v is None else
                         money.plain(v, _currency()) if i in fig.money_columns else
                         v.isoformat() if hasattr(v, "isoformat") else _safe(v)
                         for i, v in enumerate(row)])
    return out.getvalue()


def _safe(value):
    # A cell starting with = + - @ runs as a formula in spreadsheets: quote it as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# -- plots ------------------------------------------------------------------------------

WIDTH, HEIGHT, PAD = 600, 180, 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Plot:
    """A bar chart laid out for an inline SVG: bars, the top value and the first and
    last labels of the axis."""

    bars: list
    top: int
    first: str
    last: str
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def bar_plot(labels, values, describe):
    """Lay out one bar per value (non-negative); `describe(label, value)` is each bar's
    tooltip text."""
    top = max([*values, 0])
    n = max(len(values), 1)
    step = (WIDTH - 2 * PAD) / n
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = 0 if top == 0 else (HEIGHT - 2 * PAD) * value / top
        bars.append(Bar(round(PAD + i * step + step * 0.1, 2), round(HEIGHT - PAD - h, 2),
                        round(step * 0.8, 2), round(h, 2), describe(label, value)))
    return Plot(bars, top, labels[0] if labels else "", labels[-1] if labels else "")
