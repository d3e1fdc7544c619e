"""The dashboard's returns rate per product: units returned of the units sold in the
period, as a plot, a table and a CSV."""

import csv
import io
import itertools

from sqlalchemy import insert, select

from storefront.extensions import db
from storefront.staff import dashboard
from tests.staff.helpers import login, make_staff
from tests.staff.test_dashboard import NOW, order, orders  # noqa: F401
from tests.staff.test_products import text

_keys = itertools.count(1)


def give_back(title, quantity, status="received"):
    """A return of `quantity` units of the latest sold order line called `title`."""
    line, shop_order = db.metadata.tables["order_line"], db.metadata.tables["shop_order"]
    row = db.session.execute(
        select(line.c.id, line.c.order_id).join(shop_order, shop_order.c.id == line.c.order_id)
        .where(line.c.title == title, shop_order.c.status.in_(("paid", "shipped")))
        .order_by(line.c.id.desc())).first()
    n = next(_keys)
    return_id = db.session.execute(insert(db.metadata.tables["shop_return"]).values(
        number=f"R-{n}", order_id=row.order_id, sequence=n, form_key=f"key-{n}",
        status=status, resolution="refund", reason="too_small", note="")).inserted_primary_key[0]
    db.session.execute(insert(db.metadata.tables["return_line"]).values(
        return_id=return_id, order_line_id=row.id, quantity=quantity, unit_price_cents=100))
    db.session.commit()


def test_returns_rate_counts_the_units_sold_in_the_period(app, orders, monkeypatch):  # noqa: F811
    monkeypatch.setattr(dashboard, "utcnow", lambda: NOW)
    give_back("Harbor AFO Walker", 1)
    give_back("Ridge Strap Trainer", 1, status="cancelled")  # called off: not a return
    give_back("Marlow Wrap Boot", 2)  # sold 40 days ago
    assert dashboard.returns_rate(30, NOW) == [
        ("Harbor AFO Walker", 3, 1, 33.3), ("Ridge Strap Trainer", 2, 0, 0.0)]
    assert dashboard.returns_rate(90, NOW)[0] == ("Marlow Wrap Boot", 3, 2, 66.7)


def test_the_returns_panel_shows_a_plot_a_table_and_a_csv(client, orders, monkeypatch):  # noqa: F811
    monkeypatch.setattr(dashboard, "utcnow", lambda: NOW)
    give_back("Harbor AFO Walker", 1)
    login(client, make_staff("marketing").email)
    page = text(client.get("/staff/"))
    assert ">Returns per product</h2>" in page
    assert "<title>Harbor AFO Walker: 33.3 returned per 100 sold</title>" in page
    assert '<td>Harbor AFO Walker</td><td class="num">3</td><td class="num">1</td>' in page
    rows = list(csv.reader(io.StringIO(text(client.get("/staff/dashboard/returns.csv")))))
    assert rows == [["Product", "Units sold", "Units returned", "Returned per 100 sold"],
                    ["Harbor AFO Walker", "3", "1", "33.3"],
                    ["Ridge Strap Trainer", "2", "0", "0.0"]]


def test_the_warehouse_does_not_see_the_returns_rate(client, orders):  # noqa: F811
    login(client, make_staff("warehouse").email)
    assert ">Returns per product</h2>" not in text(client.get("/staff/"))
    assert client.get("/staff/dashboard/returns.csv").status_code == 403
