"""Mismatched pairs: a different size or width for each foot, one cart line, both held."""

from sqlalchemy import select

from storefront.checkout.models import Order
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold


def pair_product(make_product, stock=(5, 5, 5), prices=None):
    product = make_product(stock=list(stock), sizes=["8", "9", "10"][:len(stock)],
                           widths=["M", "W", "M"][:len(stock)])
    product.allows_mismatched = True
    for variant, price in zip(product.variants, prices or [], strict=False):
        variant.price_cents = price
    db.session.commit()
    return product


def add_pair(client, product, left, right, quantity=1, page=None, **kwargs):
    return client.submit(page or f"/products/{product.slug}", "/cart/add",
                         {"variant_id": left.id, "right_variant_id": right.id,
                          "quantity": quantity}, **kwargs)


def test_product_page_offers_the_pair_form_only_when_allowed(client, make_product):
    product = pair_product(make_product)
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "Different size or width for each foot" in page
    assert "priced at the higher of the two" in page
    plain = make_product(stock=[3])
    page = client.get(f"/products/{plain.slug}").get_data(as_text=True)
    assert "Different size or width for each foot" not in page


def test_a_pair_is_one_line_priced_at_the_dearer_shoe(client, make_product):
    product = pair_product(make_product, prices=[9900, 10900, 9900])
    left, right, _ = product.variants
    response = add_pair(client, product, left, right, 2, follow_redirects=True)
    assert "Added 2 pairs of" in response.get_data(as_text=True)
    assert "left size 8 Medium, right size 9 Wide" in response.get_data(as_text=True)
    cart = client.get("/cart.json").get_json()
    [line] = cart["lines"]
    assert line["variant_id"] == left.id and line["right_variant_id"] == right.id
    assert line["quantity"] == 2 and line["unit_price"] == 10900
    assert line["line_total"] == 21800 and cart["subtotal"] == 21800
    assert line["right_sku"] == right.sku

    # An ordinary line of the left shoe stays a line of its own.
    client.submit(f"/products/{product.slug}", "/cart/add", {"variant_id": left.id,
                                                            "quantity": 1})
    lines = client.get("/cart.json").get_json()["lines"]
    assert sorted("right_variant_id" in line for line in lines) == [False, True]

    client.submit("/cart", "/cart/update", {"variant_id": left.id,
                                            "right_variant_id": right.id, "quantity": 3})
    lines = client.get("/cart.json").get_json()["lines"]
    assert [line["quantity"] for line in lines if "right_variant_id" in line] == [3]
    client.submit("/cart", "/cart/update", {"variant_id": left.id,
                                            "right_variant_id": right.id, "quantity": 0})
    lines = client.get("/cart.json").get_json()["lines"]
    assert [line.get("right_variant_id") for line in lines] == [None]


def test_pairs_are_refused_with_a_reason(client, make_product):
    product = pair_product(make_product, stock=(5, 0, 5))
    left, sold_out, _ = product.variants
    text = add_pair(client, product, left, sold_out, follow_redirects=True).get_data(as_text=True)
    assert "the right size 9 Wide is sold out" in text
    plain = make_product(stock=[3, 3])
    text = add_pair(client, plain, *plain.variants, page=f"/products/{product.slug}",
                    follow_redirects=True).get_data(as_text=True)
    assert "cannot be bought with a different size for each foot" in text
    assert client.get("/cart.json").get_json()["lines"] == []


def test_checkout_holds_one_of_each_and_order_lines_copy_both(client, make_product):
    product = pair_product(make_product, prices=[9900, 10900, 9900])
    left, right, _ = product.variants
    add_pair(client, product, left, right, 2)
    response = client.submit("/cart", "/checkout", {})
    assert response.status_code == 303
    order = db.session.scalars(select(Order)).one()
    [line] = order.lines
    assert (line.sku, line.right_sku) == (left.sku, right.sku)
    assert (line.size, line.right_size, line.right_width) == ("8", "9", "Wide")
    assert line.unit_price_cents == 10900 and line.line_total_cents == 21800
    assert "Left size 8, Medium; right size 9, Wide" in line.option_label
    assert inventory.get_levels(left.id).reserved == 2
    assert inventory.get_levels(right.id).reserved == 2
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert f"{right.sku} (right)" in page


def test_the_same_option_on_both_feet_is_an_ordinary_line_of_one_unit(client, make_product):
    # The pair form preselects the current option in both selects.
    product = pair_product(make_product, stock=(3, 5, 5), prices=[9900])
    left = product.variants[0]
    add_pair(client, product, left, left, 2)
    cart = client.get("/cart.json").json
    assert [(line["variant_id"], line["quantity"]) for line in cart["lines"]] == [(left.id, 2)]
    assert cart["subtotal"] == 2 * 9900
    assert client.submit("/cart", "/checkout", {}).status_code == 303
    assert inventory.get_levels(left.id).reserved == 2  # two pairs, one unit each


def test_an_old_same_option_pair_in_a_session_becomes_an_ordinary_line(app, make_product):
    from storefront.cart import service

    variant = pair_product(make_product).variants[0]
    assert service.load({f"{variant.id}:{variant.id}": 2, str(variant.id): 1}) == {
        variant.id: 3}


def test_one_side_sold_out_at_checkout_holds_nothing(client, make_product):
    product = pair_product(make_product)
    left, right, _ = product.variants
    add_pair(client, product, left, right, 1)
    # The right shoe sells out after it went into the cart.
    inventory.adjust(right.id, -5, "damaged", actor="staff@example.com")
    response = client.submit("/cart", "/checkout", {}, follow_redirects=True)
    assert "sold out" in response.get_data(as_text=True).lower()
    db.session.expire_all()
    assert db.session.scalars(select(StockHold)).all() == []
    assert inventory.get_levels(left.id).reserved == 0


def test_hold_service_refuses_the_pair_when_one_side_is_short(app, make_product):
    product = pair_product(make_product, stock=(2, 0, 2))
    left, right, _ = product.variants
    from datetime import timedelta

    from storefront.models import utcnow
    try:
        inventory.hold("order:PAIR", {left.id: 1, right.id: 1}, utcnow() + timedelta(minutes=5))
    except inventory.OutOfStock as error:
        assert [s.variant_id for s in error.shortages] == [right.id]
    else:
        raise AssertionError("the hold should have been refused")
    assert inventory.get_levels(left.id).reserved == 0
