"""The JSON stock API: tokens and roles, adjustments, errors, idempotency, its OpenAPI document."""

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.models import utcnow
from storefront.staff import service as staff
from tests.staff.helpers import make_staff, token_for


@pytest.fixture
def api(client):
    """api(method, path, token=..., json=..., headers=...) -> response."""

    def call(method, path, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def variant(make_product):
    return make_product(stock=[10]).variants[0]


@pytest.fixture
def warehouse_token(app):
    return token_for("warehouse")


def _adjust(api, token, sku, body, **headers):
    return api("POST", f"/api/v1/inventory/{sku}/adjustments", token, json=body,
               headers=headers)


def test_read_levels(api, variant, warehouse_token):
    inventory.hold("cart-1", {variant.id: 3}, utcnow() + timedelta(minutes=30))
    response = api("GET", f"/api/v1/inventory/{variant.sku}", warehouse_token)
    assert response.status_code == 200
    assert response.json == {"sku": variant.sku, "on_hand": 10, "reserved": 3,
                             "committed": 0, "available": 7}


def test_adjust_returns_the_new_levels_and_records_who(api, variant):
    user = make_staff("admin")
    token = staff.issue_token(user.email)
    response = _adjust(api, token, variant.sku,
                       {"delta": 5, "reason": "received", "note": "Pallet 3"})
    assert response.status_code == 200
    assert response.json == {"sku": variant.sku, "on_hand": 15, "reserved": 0,
                             "committed": 0, "available": 15, "replayed": False}
    movement = db.session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (movement.actor, movement.note) == (f"{user.email} (API)", "Pallet 3")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sft_not-a-real-token",
                                    "Basic dXNlcjpwYXNz", "Token x"])
def test_no_valid_token_is_401(api, variant, header):
    headers = {"Authorization": header} if header else {}
    for response in (
        api("GET", f"/api/v1/inventory/{variant.sku}", headers=headers),
        api("POST", f"/api/v1/inventory/{variant.sku}/adjustments", headers=headers,
            json={"delta": 1, "reason": "received"}),
    ):
        assert response.status_code == 401
        assert response.json["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert inventory.get_levels(variant.id).on_hand == 10


def test_a_staff_session_cookie_is_not_enough(api, client, variant, login_as):
    login_as("admin")
    response = api("POST", f"/api/v1/inventory/{variant.sku}/adjustments",
                   json={"delta": 1, "reason": "received"})
    assert response.status_code == 401


def test_revoked_or_disabled_tokens_are_401(api, variant):
    user = make_staff("warehouse")
    token = staff.issue_token(user.email)
    staff.revoke_tokens(user.email)
    assert api("GET", f"/api/v1/inventory/{variant.sku}", token).status_code == 401
    other = make_staff("warehouse")
    token = staff.issue_token(other.email)
    other.active = False
    db.session.commit()
    assert api("GET", f"/api/v1/inventory/{variant.sku}", token).status_code == 401


def test_a_marketing_token_is_403(api, variant):
    token = token_for("marketing")
    response = _adjust(api, token, variant.sku, {"delta": 1, "reason": "received"})
    assert response.status_code == 403
    assert response.json["error"] == "forbidden"
    assert "Marketing account" in response.json["message"]
    assert api("GET", f"/api/v1/inventory/{variant.sku}", token).status_code == 403
    assert inventory.get_levels(variant.id).on_hand == 10


def test_unknown_sku_is_404(api, warehouse_token):
    for response in (
        api("GET", "/api/v1/inventory/NO-SUCH-SKU", warehouse_token),
        _adjust(api, warehouse_token, "NO-SUCH-SKU", {"delta": 1, "reason": "received"}),
    ):
        assert response.status_code == 404
        assert response.json["error"] == "unknown_sku"


def test_breaking_the_promise_is_409_naming_reserved_and_committed_units(api, variant,
                                                                        warehouse_token):
    inventory.hold("order-1", {variant.id: 4}, utcnow() + timedelta(minutes=30))
    inventory.confirm("order-1", {variant.id: 4})
    inventory.hold("cart-2", {variant.id: 3}, utcnow() + timedelta(minutes=30))
    response = _adjust(api, warehouse_token, variant.sku, {"delta": -4, "reason": "damaged"})
    assert response.status_code == 409
    assert response.json["error"] == "would_break_stock"
    message = response.json["message"]
    assert "4 units committed to paid orders" in message
    assert "3 units held by open checkouts" in message
    assert inventory.get_levels(variant.id).on_hand == 10


@pytest.mark.parametrize("body", [
    {"delta": "5", "reason": "received"},
    {"delta": 2.5, "reason": "received"},
    {"delta": True, "reason": "received"},
    {"delta": None, "reason": "received"},
    {"reason": "received"},
    {"delta": 0, "reason": "correction"},
    {"delta": 10**12, "reason": "received"},
    {"delta": -(10**7), "reason": "correction"},
    {"delta": 5, "reason": "found_it"},
    {"delta": 5},
    {"delta": 5, "reason": "received", "note": 7},
    {"delta": 5, "reason": "received", "note": "x" * 501},
    {"delta": 5, "reason": "received", "extra": 1},
    {"delta": -5, "reason": "received"},
    [1, 2],
    "not an object",
])
def test_bad_input_is_422_and_changes_nothing(api, variant, warehouse_token, body):
    response = _adjust(api, warehouse_token, variant.sku, body)
    assert response.status_code == 422, response.json
    assert response.json["message"]
    assert inventory.get_levels(variant.id).on_hand == 10


def test_a_body_that_is_not_json_is_422(api, variant, warehouse_token):
    response = api("POST", f"/api/v1/inventory/{variant.sku}/adjustments", warehouse_token,
                   data="delta=5", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert response.json["error"] == "invalid_input"


def test_idempotency_key_replays_without_applying_twice(api, variant, warehouse_token):
    body = {"delta": 3, "reason": "received"}
    first = _adjust(api, warehouse_token, variant.sku, body, **{"Idempotency-Key": "scan-42"})
    again = _adjust(api, warehouse_token, variant.sku, body, **{"Idempotency-Key": "scan-42"})
    assert first.status_code == again.status_code == 200
    assert first.json["on_hand"] == again.json["on_hand"] == 13
    assert (first.json["replayed"], again.json["replayed"]) == (False, True)
    assert again.headers["Idempotent-Replayed"] == "true"
    count = db.session.scalar(select(func.count()).select_from(StockMovement)
                              .where(StockMovement.reason == "received"))
    assert count == 1

    different = _adjust(api, warehouse_token, variant.sku, {"delta": 4, "reason": "received"},
                        **{"Idempotency-Key": "scan-42"})
    assert different.status_code == 422
    assert different.json["error"] == "idempotency_key_reused"
    # Another account's key space is its own.
    other = _adjust(api, token_for("warehouse"), variant.sku, body,
                    **{"Idempotency-Key": "scan-42"})
    assert other.json == {**first.json, "on_hand": 16, "available": 16}
    too_long = _adjust(api, warehouse_token, variant.sku, body, **{"Idempotency-Key": "k" * 121})
    assert too_long.status_code == 422
    assert inventory.get_levels(variant.id).on_hand == 16


def test_openapi_document_is_valid_and_describes_the_real_responses(api, variant,
                                                                   warehouse_token):
    document = api("GET", "/api/v1/openapi.json").json
    validate_spec(document)
    assert document["openapi"].startswith("3.1")

    def check(response, path, method):
        operation = document["paths"][path][method]
        described = operation["responses"][str(response.status_code)]
        schema = described["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": document["components"]}).validate(
            response.json)

    sku = variant.sku
    marketing = token_for("marketing")
    inventory.hold("order-1", {variant.id: 9}, utcnow() + timedelta(minutes=30))
    inventory.confirm("order-1", {variant.id: 9})
    get, post = "/inventory/{sku}", "/inventory/{sku}/adjustments"
    check(api("GET", f"/api/v1/inventory/{sku}", warehouse_token), get, "get")
    check(api("GET", f"/api/v1/inventory/{sku}"), get, "get")
    check(api("GET", f"/api/v1/inventory/{sku}", marketing), get, "get")
    check(api("GET", "/api/v1/inventory/NOPE", warehouse_token), get, "get")
    body = {"delta": 2, "reason": "received", "note": "ok"}
    request_schema = document["paths"][post]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    Draft202012Validator({**request_schema, "components": document["components"]}
                         ).validate(body)
    check(_adjust(api, warehouse_token, sku, body), post, "post")
    check(_adjust(api, warehouse_token, sku, body, **{"Idempotency-Key": "a"}), post, "post")
    check(_adjust(api, warehouse_token, sku, body, **{"Idempotency-Key": "a"}), post, "post")
    check(_adjust(api, warehouse_token, sku, {"delta": -9, "reason": "damaged"}), post, "post")
    check(_adjust(api, warehouse_token, sku, {"delta": 0, "reason": "x"}), post, "post")
    check(_adjust(api, None, sku, body), post, "post")
    check(_adjust(api, marketing, sku, body), post, "post")
    check(_adjust(api, warehouse_token, "NOPE", body), post, "post")


def test_get_on_the_adjustments_collection_is_a_405_not_a_stock_lookup(api, variant,
                                                                        warehouse_token):
    response = api("GET", f"/api/v1/inventory/{variant.sku}/adjustments", warehouse_token)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "GET" not in response.headers["Allow"]
    assert response.is_json


def test_a_delta_written_as_a_whole_float_is_that_integer(api, variant, warehouse_token):
    response = _adjust(api, warehouse_token, variant.sku, {"delta": 2.0, "reason": "received"})
    assert response.status_code == 200, response.json
    assert response.json["on_hand"] == 12
    for delta in (2.5, "2", 1e300, 0.0, True):
        refused = _adjust(api, warehouse_token, variant.sku, {"delta": delta,
                                                               "reason": "received"})
        assert refused.status_code == 422, delta
    assert inventory.get_levels(variant.id).on_hand == 12
