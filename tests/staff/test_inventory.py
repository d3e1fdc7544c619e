"""The warehouse console: levels, filters, the ledger, adjustments, counts, deliveries."""

import re
from datetime import timedelta

from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.models import utcnow
from storefront.staff import warehouse


def _text(response):
    return response.get_data(as_text=True)


def _commit_units(variant_id, quantity, reference="order-1"):
    """Make `quantity` units committed to a paid order, as checkout would."""
    inventory.hold(reference, {variant_id: quantity}, utcnow() + timedelta(minutes=30))
    inventory.confirm(reference, {variant_id: quantity})


def _rows(page):
    return re.findall(r"<tr>\s*<td><a href=\"/staff/inventory/(\d+)\">", page)


def test_console_lists_every_variant_with_its_four_numbers(client, make_product, login_as):
    login_as("warehouse")
    product = make_product(stock=[9, 0], title="Harbour Walker")
    sold, empty = product.variants
    _commit_units(sold.id, 2)
    inventory.hold("cart-9", {sold.id: 3}, utcnow() + timedelta(minutes=30))
    page = _text(client.get("/staff/inventory"))
    assert "Harbour Walker" in page and sold.sku in page and sold.label in page
    row = page.split(sold.sku, 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'class="num">(-?\d+)<', row) == ["9", "3", "2", "4"]
    empty_row = page.split(empty.sku, 1)[1].split("</tr>", 1)[0]
    assert "Sold out" in empty_row


def test_console_filters_and_search(client, make_product, login_as):
    login_as("warehouse")
    plenty = make_product(stock=[50], title="Plenty Boot", threshold=5)
    low = make_product(stock=[3], title="Scarce Sandal", threshold=5)
    gone = make_product(stock=[0], title="Gone Slipper")
    ids = lambda url: set(map(int, _rows(_text(client.get(url)))))  # noqa: E731
    assert ids("/staff/inventory?stock=low") == {low.variants[0].id}
    assert ids("/staff/inventory?stock=sold_out") == {gone.variants[0].id}
    assert ids("/staff/inventory?q=plenty") == {plenty.variants[0].id}
    assert ids(f"/staff/inventory?q={gone.variants[0].sku.lower()}") == {gone.variants[0].id}
    assert "No variants match" in _text(client.get("/staff/inventory?q=nothing-like-this"))
    # Unknown values fall back to the defaults rather than failing.
    assert client.get("/staff/inventory?stock=bogus&sort=drop&page=x").status_code == 200


def test_console_sorts_by_column_links_and_pages(client, make_product, login_as):
    login_as("warehouse")
    make_product(stock=[5, 1, 9], title="Sorter")
    page = _text(client.get("/staff/inventory?sort=on_hand&dir=desc"))
    numbers = [int(n) for n in re.findall(r"<tr>.*?class=\"num\">(\d+)<", page, re.S)]
    assert numbers == [9, 5, 1]
    assert 'aria-sort="descending"' in page
    assert 'href="/staff/inventory?sort=on_hand"' in page  # the heading flips the order

    listing = warehouse.console(warehouse.ConsoleFilters(sort="on_hand"), per_page=2)
    assert (listing.total, listing.pages) == (3, 2)
    second = warehouse.console(warehouse.ConsoleFilters(sort="on_hand", page=2), per_page=2)
    assert [r.levels.on_hand for r in listing.rows + second.rows] == [1, 5, 9]


def test_variant_page_shows_the_ledger_and_prefills_the_count(client, make_product, login_as):
    user = login_as("warehouse")
    variant = make_product(stock=[6]).variants[0]
    inventory.adjust(variant.id, 4, "received", actor=user.email, note="Carton 7")
    page = _text(client.get(f"/staff/inventory/{variant.id}"))
    assert "Received delivery" in page and user.email in page and "Carton 7" in page
    assert "6 → 10" in page and "(+4)" in page
    assert "Opening stock" in page
    assert re.search(r'name="expected"[^>]*value="10"', page)
    assert client.get("/staff/inventory/999999").status_code == 404


def test_adjust_changes_stock_and_says_what_it_did(client, make_product, login_as):
    user = login_as("warehouse")
    variant = make_product(stock=[6]).variants[0]
    page = f"/staff/inventory/{variant.id}"
    response = client.submit(page, f"{page}/adjust",
                             {"delta": "-2", "reason": "damaged", "note": "Water damage"})
    assert response.status_code == 303
    assert "On hand changed from 6 to 4 (-2, Damaged)" in _text(client.get(page))
    movement = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (movement.reason, movement.actor, movement.note) == ("damaged", user.email,
                                                                "Water damage")


def test_a_refused_adjustment_names_the_committed_units(client, make_product, login_as):
    login_as("warehouse")
    variant = make_product(stock=[12]).variants[0]
    _commit_units(variant.id, 12)
    page = f"/staff/inventory/{variant.id}"
    response = client.submit(page, f"{page}/adjust", {"delta": "-1", "reason": "damaged"})
    assert response.status_code == 409
    assert "12 units committed to paid orders" in _text(response)
    assert inventory.get_levels(variant.id).on_hand == 12


def test_bad_adjustment_input_is_explained(client, make_product, login_as):
    login_as("warehouse")
    variant = make_product(stock=[5]).variants[0]
    page = f"/staff/inventory/{variant.id}"
    for data, words in [
        ({"delta": "ten", "reason": "received"}, "Enter a whole number, not &#39;ten&#39;."),
        ({"delta": "", "reason": "received"}, "Enter a whole number of units"),
        ({"delta": "5", "reason": "stolen_by_aliens"}, "Not a valid choice"),
        ({"delta": "0", "reason": "correction"}, "not allowed"),
        ({"delta": "-3", "reason": "received"}, "must add units"),
        ({"delta": "99999999", "reason": "received"}, "Enter a number from -1,000,000 to"),
    ]:
        response = client.submit(page, f"{page}/adjust", data)
        assert response.status_code == 422, data
        assert words in _text(response), data
    assert inventory.get_levels(variant.id).on_hand == 5


def test_a_stale_count_is_refused_and_the_form_starts_again(client, make_product, login_as):
    login_as("warehouse")
    variant = make_product(stock=[8]).variants[0]
    page = f"/staff/inventory/{variant.id}"
    token = client.csrf_token(page)  # the count form now says expected = 8
    inventory.adjust(variant.id, 2, "received", actor="someone else")
    response = client.post(f"{page}/count",
                           data={"counted": "7", "expected": "8", "csrf_token": token})
    assert response.status_code == 409
    body = _text(response)
    assert "Stock changed while you were counting: you started from 8 on hand, it is now 10" in body
    assert re.search(r'name="expected"[^>]*value="10"', body)
    assert inventory.get_levels(variant.id).on_hand == 10

    response = client.submit(page, f"{page}/count", {"counted": "9", "expected": "10"})
    assert response.status_code == 303
    assert "Count recorded: on hand is 9 (-1 against 10)" in _text(client.get(page))


def test_receiving_a_delivery_is_all_or_nothing(client, make_product, login_as):
    login_as("warehouse")
    a, b = make_product(stock=[1, 2]).variants
    lines = f"{a.sku}, 5\n\n{b.sku}\t3\nNO-SUCH-SKU, 4\n{a.sku}, lots\n"
    response = client.submit("/staff/inventory/receive", "/staff/inventory/receive",
                             {"lines": lines, "note": "PO 77"})
    assert response.status_code == 422
    body = _text(response)
    assert "Nothing was received" in body
    assert "Line 4: unknown SKU &#39;NO-SUCH-SKU&#39;" in body
    assert "Line 5: the quantity" in body
    assert [inventory.get_levels(v.id).on_hand for v in (a, b)] == [1, 2]

    response = client.submit("/staff/inventory/receive", "/staff/inventory/receive",
                             {"lines": f"{a.sku}, 5\n{b.sku} 3\n{a.sku};1", "note": "PO 77"})
    assert response.status_code == 303
    assert "Received 9 unit(s) of 2 SKU(s)" in _text(client.get(response.location))
    assert [inventory.get_levels(v.id).on_hand for v in (a, b)] == [7, 5]
    rows = db.session.scalars(select(StockMovement).where(StockMovement.reason == "received")).all()
    assert len(rows) == 2 and len({r.reference for r in rows}) == 1
    assert rows[0].reference.startswith("delivery-") and rows[0].note == "PO 77"
