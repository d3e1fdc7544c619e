"""Hostile input at the shop's one input boundary, on SQLite and PostgreSQL alike.

NUL characters (which only PostgreSQL refuses), non-ASCII digits, deeply nested JSON
and forged Host headers arrive through every door a client has: URL path, query
string (repeated keys too), form fields, JSON bodies, uploaded files and headers.
Each gets a 4xx with words a person can read, and nothing in the shop changes.
"""

import io
import json

import pytest
from sqlalchemy import func, select

from storefront.articles.models import Comment
from storefront.extensions import db, limiter
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.notices.models import BackInStockRequest
from tests.staff.helpers import make_staff, token_for

NUL_WORDS = "characters that are not allowed"
DEEP = "[" * 5000 + "]" * 5000

@pytest.fixture
def article(app):
    """A published article to comment on."""
    from datetime import timedelta

    from storefront.articles import service
    from storefront.models import utcnow

    saved = service.save_article(None, service.ArticleInput(
        title="Lacing with one hand", slug="", summary="A summary.", body="Some words.",
        tags="", featured=""))
    service.publish(saved.id, now=utcnow() - timedelta(days=1))
    return saved



@pytest.fixture(autouse=True)
def no_rate_limits(monkeypatch):
    monkeypatch.setattr(limiter, "enabled", False)


@pytest.fixture
def variant(make_product):
    return make_product(stock=[6]).variants[0]


def counts():
    """What hostile input must never change."""
    return (db.session.scalar(select(func.count()).select_from(StockMovement)),
            db.session.scalar(select(func.count()).select_from(Comment)),
            db.session.scalar(select(func.count()).select_from(BackInStockRequest)))


def refused(response, words=NUL_WORDS):
    text = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, text[:300])
    assert words in text, text[:500]


# -- NUL characters ------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/products/%00", "/products/%00.json", "/orders/%00", "/blog/%00", "/blog/tagged/%00",
    "/checkout/demo/%00", "/checkout/%00/cancelled", "/notices/confirm/%00",
    "/notices/unsubscribe/%00",
])
def test_nul_in_a_path_segment_is_refused(client, variant, path):
    before = counts()
    refused(client.get(path))
    assert counts() == before


def test_nul_in_an_api_path_is_refused_as_json(client, variant):
    token = token_for("warehouse")
    response = client.get("/api/v1/inventory/%00", headers={"Authorization": f"Bearer {token}"})
    refused(response)
    assert response.is_json and response.json["error"] == "bad_request"


@pytest.mark.parametrize("query", [
    "feature=x%00", "feature=afo-compatible&feature=x%00", "q=shoe&q=%00", "size=6&size=%00",
    "x%00=1",
])
def test_nul_in_any_value_of_a_repeated_query_parameter_is_refused(client, variant, query):
    refused(client.get(f"/products?{query}"))


def test_nul_in_a_form_field_is_refused_and_no_comment_is_kept(client, article):
    page = f"/blog/{article.slug}"
    before = counts()
    response = client.submit(page, f"{page}/comments", {
        "name": "Ann\x00", "email": "ann@example.com", "body": "Lovely shoes."})
    refused(response)
    assert counts() == before


@pytest.mark.parametrize("field", ["name", "email", "body"])
def test_nul_in_a_json_comment_is_refused(client, article, field):
    page = f"/blog/{article.slug}"
    token = client.csrf_token(page)
    body = {"name": "Ann", "email": "ann@example.com", "body": "Lovely shoes."}
    body[field] += "\x00"
    before = counts()
    refused(client.post(f"{page}/comments", json=body, headers={"X-CSRFToken": token}))
    assert counts() == before


def test_nul_in_a_json_staff_login_is_refused(client):
    make_staff("warehouse", email="ware@staff.test")
    token = client.csrf_token("/staff/login")
    response = client.post("/staff/login", json={"email": "ware@staff.test\x00",
                                                 "password": "x"},
                           headers={"X-CSRFToken": token})
    refused(response)


def test_nul_in_a_json_back_in_stock_sign_up_is_refused(client, make_product):
    product = make_product(stock=[0])
    page = f"/products/{product.slug}"
    token = client.csrf_token(page)
    before = counts()
    response = client.post(f"{page}/notify", json={
        "variant_id": product.variants[0].id, "email": "ann\x00@example.com"},
        headers={"X-CSRFToken": token, "Accept": "application/json"})
    refused(response)
    assert counts() == before


def test_nul_in_cart_json_is_refused(client, variant):
    token = client.csrf_token(f"/products/{variant.product.slug}")
    for body in ({"variant_id": f"{variant.id}\x00", "quantity": 1},
                 {"variant_id": variant.id, "quantity": 1, "note\x00": "x"},
                 {"variant_id": variant.id, "quantity": ["1", "\x00"]}):
        response = client.post("/cart/add", json=body, headers={
            "X-CSRFToken": token, "Accept": "application/json"})
        refused(response)
    assert client.get("/cart.json").json["lines"] == []


def test_nul_in_an_api_note_changes_no_stock(client, variant):
    token = token_for("warehouse")
    before = counts()
    response = client.post(f"/api/v1/inventory/{variant.sku}/adjustments",
                           json={"delta": 3, "reason": "received", "note": "pallet\x00"},
                           headers={"Authorization": f"Bearer {token}"})
    refused(response)
    assert response.is_json
    assert counts() == before
    assert inventory.get_levels(variant.id).on_hand == 6


def test_nul_in_a_header_is_refused(client, variant):
    token = token_for("warehouse")
    response = client.post(f"/api/v1/inventory/{variant.sku}/adjustments",
                           json={"delta": 3, "reason": "received"},
                           headers={"Authorization": f"Bearer {token}",
                                    "Idempotency-Key": "key\x00one"})
    assert 400 <= response.status_code < 500
    assert inventory.get_levels(variant.id).on_hand == 6


def upload(client, content, name="stock.csv"):
    return client.submit("/staff/inventory/import", "/staff/inventory/import",
                         {"file": (io.BytesIO(content), name)},
                         content_type="multipart/form-data")


def test_a_stock_file_with_nul_in_a_sku_is_refused(client, variant, login_as):
    login_as("warehouse")
    before = counts()
    response = upload(client, f"sku,on_hand\n{variant.sku}\x00,9\n".encode())
    assert 400 <= response.status_code < 500
    assert "not allowed" in response.get_data(as_text=True) or "NUL" in response.get_data(
        as_text=True)
    assert counts() == before
    assert inventory.get_levels(variant.id).on_hand == 6


def test_the_stock_import_command_refuses_a_file_with_nul(runner, variant, tmp_path):
    target = tmp_path / "stock.csv"
    target.write_bytes(f"sku,on_hand\n{variant.sku}\x00,9\n".encode())
    result = runner.invoke(args=["inventory", "import", str(target)])
    assert result.exit_code == 1, result.output
    assert "NUL" in result.output and "Traceback" not in result.output
    assert inventory.get_levels(variant.id).on_hand == 6


# -- digits that are not ASCII, and double minus signs ------------------------------------

ODD_NUMBERS = ["²", "³", "--1", "٣", "１２", "+-1", "1_0", " 2 3", "1.0", "0x1"]


@pytest.mark.parametrize("quantity", ODD_NUMBERS)
@pytest.mark.parametrize("action", ["/cart/add", "/cart/update"])
def test_odd_quantities_in_a_cart_form_are_explained(client, variant, action, quantity):
    page = f"/products/{variant.product.slug}"
    response = client.submit(page, action, {"variant_id": variant.id, "quantity": quantity},
                             follow_redirects=True)
    assert response.status_code < 500
    text = response.get_data(as_text=True)
    assert "whole number" in text or "not in your cart" in text.lower(), text[:300]
    assert client.get("/cart.json").json["lines"] == []


@pytest.mark.parametrize("quantity", ODD_NUMBERS)
@pytest.mark.parametrize("action", ["/cart/add", "/cart/update"])
def test_odd_quantities_in_cart_json_are_a_422(client, variant, action, quantity):
    token = client.csrf_token(f"/products/{variant.product.slug}")
    response = client.post(action, json={"variant_id": variant.id, "quantity": quantity},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code in (404, 422), response.get_data(as_text=True)[:300]
    assert response.json["message"]
    assert client.get("/cart.json").json["lines"] == []


@pytest.mark.parametrize("on_hand", ["²", "³", "--1", "٣"])
def test_odd_numbers_in_an_uploaded_stock_file_are_listed_by_line(client, variant, login_as,
                                                                  on_hand):
    login_as("warehouse")
    response = upload(client, f"sku,on_hand\n{variant.sku},{on_hand}\n".encode())
    assert response.status_code == 422
    assert "must be a whole number" in response.get_data(as_text=True)
    assert inventory.get_levels(variant.id).on_hand == 6


@pytest.mark.parametrize("on_hand", ["²", "--1", "٣"])
def test_odd_numbers_in_the_stock_import_command_are_explained(runner, variant, tmp_path,
                                                               on_hand):
    target = tmp_path / "stock.csv"
    target.write_text(f"sku,on_hand\n{variant.sku},{on_hand}\n", encoding="utf-8")
    result = runner.invoke(args=["inventory", "import", str(target)])
    assert result.exit_code == 1, result.output
    assert "must be a whole number" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert inventory.get_levels(variant.id).on_hand == 6


def test_odd_numbers_in_a_received_delivery_are_listed(client, variant, login_as):
    login_as("warehouse")
    response = client.submit("/staff/inventory/receive", "/staff/inventory/receive",
                             {"lines": f"{variant.sku}, ٣\n{variant.sku}, ²"})
    assert response.status_code < 500
    assert "must be a whole number" in response.get_data(as_text=True)
    assert inventory.get_levels(variant.id).on_hand == 6


def test_odd_numbers_in_a_staff_adjustment_are_explained(client, variant, login_as):
    login_as("warehouse")
    page = f"/staff/inventory/{variant.id}"
    response = client.submit(page, f"{page}/adjust", {"delta": "٣", "reason": "received"},
                             follow_redirects=True)
    assert response.status_code < 500
    assert "whole number" in response.get_data(as_text=True)
    assert inventory.get_levels(variant.id).on_hand == 6


def test_a_page_number_in_other_digits_is_the_first_page(client, variant):
    assert client.get("/products?page=²").status_code == 200
    assert client.get("/blog?page=٣").status_code == 200


# -- deeply nested JSON -----------------------------------------------------------------

def test_deep_json_is_refused_on_every_json_endpoint(client, variant, article):
    token = client.csrf_token(f"/products/{variant.product.slug}")
    headers = {"X-CSRFToken": token, "Content-Type": "application/json",
               "Accept": "application/json"}
    for path in ["/cart/add", "/cart/update", "/staff/login", f"/blog/{article.slug}/comments",
                 f"/products/{variant.product.slug}/notify", "/checkout"]:
        response = client.post(path, data=DEEP, headers=headers)
        refused(response, "nested")
    api = {"Authorization": f"Bearer {token_for('warehouse')}"}
    # The API reads its body whatever the content type says.
    for content_type in ("application/json", "text/plain"):
        response = client.post(f"/api/v1/inventory/{variant.sku}/adjustments", data=DEEP,
                               headers=api | {"Content-Type": content_type})
        refused(response, "nested")
    assert inventory.get_levels(variant.id).on_hand == 6


def test_ordinary_json_with_brackets_inside_strings_is_read(client, variant):
    token = token_for("warehouse")
    note = "[" * 200 + "{" * 200
    response = client.post(f"/api/v1/inventory/{variant.sku}/adjustments",
                           data=json.dumps({"delta": 1, "reason": "received", "note": note}),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


# -- headers ------------------------------------------------------------------------

def test_a_forged_host_is_refused(client, variant):
    for host in ("attacker.example", "shop.test.attacker.example", "bad host", ""):
        response = client.get(f"/products/{variant.product.slug}", headers={"Host": host})
        assert response.status_code == 400, host
        assert "does not answer for that host" in response.get_data(as_text=True)


def test_absolute_links_use_public_url_not_the_host_header(client, variant):
    # localhost is served in development and tests, but links still name PUBLIC_URL.
    page = client.get(f"/products/{variant.product.slug}",
                      headers={"Host": "localhost:5000"}).get_data(as_text=True)
    assert f'href="http://shop.test/products/{variant.product.slug}"' in page
    assert "localhost" not in page
