"""Hostile input on every public form and JSON endpoint: no 500s, and the stock counters
stay true afterwards (the ledger replays to them and nothing goes negative).

On both backends: NUL characters are refused by PostgreSQL only, so a fuzzer on SQLite
alone would miss them. The strategies include NUL, digits that are not ASCII, deeply
nested JSON and repeated query parameters.
"""

import re
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storefront.extensions import db, limiter
from storefront.inventory import service as inventory
from storefront.inventory.models import StockLevel
from tests.staff.helpers import login, make_staff, token_for

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# What a careless or malicious client might type into any field.
hostile_text = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", " ", "0", "-0", "-1", "1.5", "1e9", "NaN", "inf", "-inf", "0x1F",
                     " 7 ", "٣", "１２", "2147483648", "-2147483649", "9" * 40, "null",
                     "true", "[]", "{}", "<script>alert(1)</script>", "' OR 1=1 --",
                     "../../etc/passwd", "%00", "\u202e", "😀" * 3, "\x00", "7\x00",
                     "ab\x00cd", "²", "³", "--1", "+-1", "-", "١٢", "⁴", "1_000", "½"]),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("0123456789-\x00²³٣१"), max_size=8),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "😀", "9"]),
              st.integers(min_value=1_000, max_value=20_000)),
)
# A form field is either missing (None) or hostile text.
form_field = st.one_of(st.none(), hostile_text)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
              st.floats(allow_nan=False), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def form(**fields):
    """Only the fields that are present, as a browser would send them."""
    return {name: value for name, value in fields.items() if value is not None}


# Deeper than any honest client nests, and deep enough to break a recursive parser.
DEEP_JSON = st.integers(min_value=40, max_value=6_000).map(
    lambda depth: "[" * depth + "]" * depth)


@pytest.fixture
def shop(app, runner, monkeypatch):
    """The demo shop, rate limits off (the fuzzers post far faster than people)."""
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(limiter, "enabled", False)
    return app


@pytest.fixture
def stock_stays_true(shop):
    """After the test: the ledger replays to the counters and no counter is negative."""
    yield
    db.session.rollback()
    assert inventory.reconcile() == []
    negative = db.session.scalars(select(StockLevel).where(
        (StockLevel.on_hand < 0) | (StockLevel.reserved < 0) | (StockLevel.committed < 0)
        | (StockLevel.on_hand - StockLevel.reserved - StockLevel.committed < 0))).all()
    assert negative == []


def token_on(client, page):
    match = TOKEN.search(client.get(page).get_data(as_text=True))
    assert match, f"no form on {page}"
    return match.group(1)


def assert_no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code,
                                        response.get_data(as_text=True)[:500])


@pytest.fixture
def product_page(shop):
    from storefront.catalogue.models import Product

    product = db.session.scalars(select(Product).order_by(Product.id)).first()
    return f"/products/{product.slug}", [v.id for v in product.variants]


@pytest.fixture
def article_slug(shop):
    from storefront.articles.models import Article

    slug = db.session.scalars(select(Article.slug).order_by(Article.id)).first()
    assert slug, "the demo has articles"
    return slug


def test_cart_forms_and_json_refuse_hostile_values(shop, stock_stays_true, product_page):
    page, variant_ids = product_page
    client = shop.test_client()
    token = token_on(client, page)
    real_ids = st.sampled_from([str(v) for v in variant_ids])

    @FUZZ
    @given(action=st.sampled_from(["/cart/add", "/cart/update"]),
           variant_id=st.one_of(real_ids, form_field), quantity=form_field,
           as_json=st.booleans(), body=json_value, deep=st.one_of(st.none(), DEEP_JSON))
    def post(action, variant_id, quantity, as_json, body, deep):
        if deep is not None:
            response = client.post(action, data=deep, headers={
                "X-CSRFToken": token, "Accept": "application/json",
                "Content-Type": "application/json"})
            assert 400 <= response.status_code < 500, response.status_code
        elif as_json:
            payload = body if isinstance(body, dict) and body else {
                "variant_id": variant_id, "quantity": body}
            response = client.post(action, json=payload,
                                   headers={"X-CSRFToken": token, "Accept": "application/json"})
        else:
            response = client.post(action, data=form(variant_id=variant_id, quantity=quantity,
                                                     csrf_token=token))
        assert_no_server_error(response, (action, variant_id, quantity, body))
        cart = client.get("/cart.json")
        assert cart.status_code == 200

    post()


def test_checkout_after_hostile_cart_posts(shop, stock_stays_true, product_page):
    page, variant_ids = product_page
    client = shop.test_client()
    token = token_on(client, page)

    @FUZZ
    @given(lines=st.lists(st.tuples(st.sampled_from(variant_ids), hostile_text), max_size=4),
           as_json=st.booleans(), body=json_value)
    def checkout(lines, as_json, body):
        for variant_id, quantity in lines:
            client.post("/cart/add", data={"variant_id": variant_id, "quantity": quantity,
                                           "csrf_token": token})
        if as_json:
            response = client.post("/checkout", json=body, headers={
                "X-CSRFToken": token, "Accept": "application/json"})
        else:
            response = client.post("/checkout", data={"csrf_token": token})
        assert_no_server_error(response, (lines, body))

    checkout()


def test_comment_form_refuses_hostile_values(shop, stock_stays_true, article_slug):
    client = shop.test_client()
    page = f"/blog/{article_slug}"
    token = token_on(client, page)

    @FUZZ
    @given(name=form_field, email=form_field, body=form_field, website=form_field)
    def comment(name, email, body, website):
        response = client.post(f"{page}/comments", data=form(
            name=name, email=email, body=body, website=website, csrf_token=token))
        assert_no_server_error(response, (name, email, body, website))

    comment()


LISTING_ARGS = ["q", "size", "width", "colour", "category", "gender", "in_stock", "sort",
                "page", "feature"]


def test_product_listing_and_pages_take_any_query_string(shop, stock_stays_true,
                                                         product_page):
    page, _ = product_page
    client = shop.test_client()

    @FUZZ
    @given(args=st.lists(st.tuples(st.sampled_from(LISTING_ARGS + ["x"]), hostile_text),
                         max_size=6),
           where=st.sampled_from(["/products", page, f"{page}.json", "/blog", "/"]),
           segment=st.one_of(st.none(), hostile_text))
    def browse(args, where, segment):
        # A list of pairs: the same key may come several times, as browsers send it.
        if segment is not None:
            where = f"{where.rstrip('/')}/{quote(segment, safe='')}"
        response = client.get(where, query_string=args)
        assert_no_server_error(response, (where, args))

    browse()


def test_staff_login_refuses_hostile_values(shop, stock_stays_true):
    make_staff("warehouse", email="fuzz@staff.test")
    client = shop.test_client()
    token = token_on(client, "/staff/login")

    @FUZZ
    @given(email=st.one_of(st.just("fuzz@staff.test"), form_field), password=form_field,
           next_url=form_field)
    def log_in(email, password, next_url):
        response = client.post("/staff/login", data=form(
            email=email, password=password, next=next_url, csrf_token=token))
        assert_no_server_error(response, (email, password, next_url))
        assert response.status_code != 302, "no hostile password logs in"

    log_in()


def test_warehouse_adjust_and_count_forms_refuse_hostile_values(shop, stock_stays_true,
                                                                product_page):
    _, variant_ids = product_page
    user = make_staff("warehouse")
    client = shop.test_client()
    from tests.conftest import ShopClient

    assert login(ShopClient(client), user.email).status_code == 302
    variant_id = variant_ids[0]
    page = f"/staff/inventory/{variant_id}"
    token = token_on(client, page)

    @FUZZ
    @given(action=st.sampled_from(["adjust", "count"]),
           delta=form_field, reason=st.one_of(st.sampled_from(list(inventory.STAFF_REASONS)),
                                              form_field),
           counted=form_field, expected=form_field, note=form_field,
           target=st.one_of(st.just(variant_id), st.integers(min_value=0, max_value=2**63)))
    def post(action, delta, reason, counted, expected, note, target):
        fields = (form(delta=delta, reason=reason, note=note) if action == "adjust"
                  else form(counted=counted, expected=expected, note=note))
        response = client.post(f"/staff/inventory/{target}/{action}",
                               data=fields | {"csrf_token": token})
        assert_no_server_error(response, (action, target, fields))

    post()


def test_api_adjustments_refuse_hostile_json(shop, stock_stays_true, product_page):
    _, variant_ids = product_page
    from storefront.catalogue.models import Variant

    sku = db.session.get(Variant, variant_ids[0]).sku
    token = token_for("warehouse")
    client = shop.test_client()

    @FUZZ
    @given(body=json_value, delta=json_value, reason=json_value, note=json_value,
           key=st.one_of(st.none(), st.text(max_size=300).filter(
               lambda k: "\n" not in k and "\r" not in k)),
           shaped=st.booleans())
    def adjust(body, delta, reason, note, key, shaped):
        payload = {"delta": delta, "reason": reason, "note": note} if shaped else body
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None and key.isascii():
            headers["Idempotency-Key"] = key
        response = client.post(f"/api/v1/inventory/{sku}/adjustments", json=payload,
                               headers=headers)
        assert_no_server_error(response, payload)
        assert response.is_json

    adjust()
    deep = client.post(f"/api/v1/inventory/{sku}/adjustments", data="[" * 5000 + "]" * 5000,
                       headers={"Authorization": f"Bearer {token}"})
    assert deep.status_code == 400 and deep.is_json


def test_api_follows_its_openapi_document(shop, stock_stays_true):
    """Schemathesis drives each operation in the document with generated requests.

    (Its pytest plugin does not run under this pytest, so the cases are drawn here.)
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", shop)
    all_checks = schemathesis.checks.CHECKS.get_all()  # registered once OpenAPI is loaded
    assert len(all_checks) > 10
    token = token_for("warehouse")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2

    for operation in operations:
        @FUZZ
        @given(case=operation.as_strategy())
        def call(case):
            # Every check schemathesis has: status codes, headers, bodies and content
            # types as documented, bad input refused, Allow on a 405.
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                              checks=all_checks)
            content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            assert "application/json" in str(content_type), content_type

        call()
