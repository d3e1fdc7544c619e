"""The dashboard at /staff: each role's figures against a known set of orders and stock,
the plots and their tables, and the CSV downloads."""

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.staff import dashboard
from tests.staff.helpers import login, make_staff
from tests.staff.test_products import text

# Covered by test_dashboard_routes_by_role, for the role table's check of every route.
DASHBOARD_ROUTES = ["/staff/dashboard/<name>.csv"]
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def order(status, paid_days_ago, lines, article_id=None):
    """An order row as checkout leaves it; `lines` are (title, unit price, quantity)."""
    n = next(_numbers)
    subtotal = sum(price * qty for _, price, qty in lines)
    paid_at = None if paid_days_ago is None else NOW - timedelta(days=paid_days_ago, hours=1)
    order_id = db.session.execute(insert(db.metadata.tables["shop_order"]).values(
        number=f"SO-{n:04}", token=f"token-{n}", status=status, currency="USD",
        subtotal_cents=subtotal, shipping_cents=0, total_cents=subtotal, gateway="demo",
        hold_expires_at=NOW, paid_at=paid_at, source_article_id=article_id,
        created_at=paid_at or NOW, updated_at=paid_at or NOW)).inserted_primary_key[0]
    for title, price, qty in lines:
        db.session.execute(insert(db.metadata.tables["order_line"]).values(
            order_id=order_id, title=title, sku=f"SKU-{n}", size="8", width="Medium",
            colour="Navy", unit_price_cents=price, quantity=qty, line_total_cents=price * qty))
    db.session.commit()


@pytest.fixture
def orders(app):
    order("paid", 0, [("Harbor AFO Walker", 13900, 1)])
    order("shipped", 0, [("Harbor AFO Walker", 13900, 2), ("Ridge Strap Trainer", 9900, 1)])
    order("shipped", 2, [("Ridge Strap Trainer", 9900, 1)])
    order("paid", 40, [("Marlow Wrap Boot", 16900, 3)])  # outside 30 days, inside 90
    order("cancelled", 1, [("Marlow Wrap Boot", 16900, 5)])  # refunded: no sale
    order("pending", None, [("Marlow Wrap Boot", 16900, 5)])


def test_daily_sales_count_paid_orders_by_utc_day(orders):
    sales = dashboard.daily_sales(30, now=NOW)
    assert len(sales.days) == 30
    assert sales.days[-1] == (NOW.date(), 2, 13900 + 27800 + 9900)
    assert sales.days[-3] == (NOW.date() - timedelta(2), 1, 9900)
    assert (sales.orders, sales.revenue, sales.average) == (3, 61500, 20500)
    ninety = dashboard.daily_sales(90, now=NOW)
    assert (ninety.orders, ninety.revenue) == (4, 61500 + 50700)


def test_top_products_by_units(orders):
    assert dashboard.top_products(30, now=NOW) == [
        ("Harbor AFO Walker", 3, 41700), ("Ridge Strap Trainer", 2, 19800)]
    assert dashboard.top_products(90, now=NOW)[0] == ("Harbor AFO Walker", 3, 41700)
    assert ("Marlow Wrap Boot", 3, 50700) in dashboard.top_products(90, now=NOW)


def test_orders_to_ship_holds_and_movements(app, orders, make_product):
    product = make_product([5, 2], sizes=["8", "9"], threshold=3)
    first, second = product.variants
    inventory.adjust(first.id, 4, "received", actor="w@staff.test")
    inventory.hold("checkout-1", {first.id: 2}, NOW + timedelta(days=3650))
    rows, count = dashboard.orders_to_ship()
    assert count == 2
    assert [r[2] for r in rows] == [3, 1]  # the boot paid 40 days ago first
    assert dashboard.open_holds() == (1, 2)
    assert dashboard.low_stock() == [(second.sku, product.title, 2)]
    moves = dashboard.daily_movements(30)
    assert moves[-1][1] == 4 and sum(r for _, r, _ in moves) == 4  # opening stock is not "received"


def test_the_plot_scales_bars_to_the_highest_value():
    plot = dashboard.bar_plot(["a", "b", "c"], [0, 50, 100], lambda label, v: f"{label}={v}")
    assert plot.top == 100 and (plot.first, plot.last) == ("a", "c")
    heights = [b.height for b in plot.bars]
    assert heights[0] == 0 and heights[2] == 2 * heights[1] == dashboard.HEIGHT - 2 * dashboard.PAD
    assert [b.label for b in plot.bars] == ["a=0", "b=50", "c=100"]
    assert dashboard.bar_plot([], [], str).bars == []


@pytest.mark.parametrize(("role", "sees", "hidden"), [
    ("admin", ["Sales, last 30 days", "To ship", "Low stock"], []),
    ("marketing", ["Sales, last 30 days", "Articles that sell"], ["To ship", "Low stock"]),
    ("warehouse", ["To ship", "Low stock", "Sold out, shoppers waiting"],
     ["Sales, last 30 days", "Top products"]),
])
def test_each_role_sees_its_figures(client, orders, role, sees, hidden):
    assert login(client, make_staff(role).email).status_code == 302
    page = text(client.get("/staff/"))
    for heading in sees:
        assert f">{heading}</h2>" in page
    for heading in hidden:
        assert f">{heading}</h2>" not in page
    if "To ship" in sees:
        assert "<dt>Paid orders waiting</dt><dd>2</dd>" in page
        assert '<svg class="chart"' in page and "Units shipped per day" in page


def test_the_sales_panel_shows_the_figures_as_a_plot_and_a_table(client, app, monkeypatch):
    monkeypatch.setattr(dashboard, "utcnow", lambda: NOW)
    order("paid", 0, [("Harbor AFO Walker", 13900, 1)])
    login(client, make_staff("marketing").email)
    page = text(client.get("/staff/?days=90"))
    assert "Sales, last 90 days" in page
    assert "<dt>Revenue</dt><dd>$139.00</dd>" in page
    assert '<rect class="chart-bar"' in page and "<title>Nov 30: $139.00</title>" in page
    assert f"<td>{NOW.date().isoformat()}</td><td class=\"num\">1</td>" \
           f"<td class=\"num\">$139.00</td>" in page
    assert "style=" not in page.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert "Sales, last 30 days" in text(client.get("/staff/?days=12345"))


def test_figures_download_as_csv_for_the_roles_that_see_them(client, orders, monkeypatch):
    monkeypatch.setattr(dashboard, "utcnow", lambda: NOW)
    login(client, make_staff("marketing").email)
    response = client.get("/staff/dashboard/products.csv?days=30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows == [["Product", "Units", "Revenue (USD)"],
                    ["Harbor AFO Walker", "3", "417.00"], ["Ridge Strap Trainer", "2", "198.00"]]
    sales = list(csv.reader(io.StringIO(text(client.get("/staff/dashboard/sales.csv")))))
    assert len(sales) == 31 and sales[-1] == [NOW.date().isoformat(), "2", "516.00"]
    assert client.get("/staff/dashboard/low_stock.csv").status_code == 403
    assert client.get("/staff/dashboard/nothing.csv").status_code == 404


def test_a_title_that_looks_like_a_formula_is_quoted_in_the_csv(app):
    fig = dashboard.Figure("x", "x", ("Product",), [("=HYPERLINK(1)",), ("Plain",)])
    assert dashboard.to_csv(fig).splitlines() == ["Product", "'=HYPERLINK(1)", "Plain"]


@pytest.mark.parametrize("role", ["admin", "warehouse", "marketing", None],
                         ids=lambda r: r or "anonymous")
def test_dashboard_routes_by_role(client, role):
    if role:
        assert login(client, make_staff(role).email).status_code == 302
    for path in ("/staff/", "/staff/dashboard/to_ship.csv", "/staff/dashboard/sales.csv"):
        response = client.get(path)
        if role is None:
            assert response.status_code == 302
            assert response.location.startswith("/staff/login?next=")
            continue
        allowed = path == "/staff/" or role == "admin" or (
            ("to_ship" in path) == (role == "warehouse"))
        assert response.status_code == (200 if allowed else 403), (role, path)
