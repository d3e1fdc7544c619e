"""Every staff route against every role, and CSRF on every staff form."""

import io

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from tests.staff.helpers import login, make_staff

VID = "{vid}"
# (method, path, data) -> role -> expected: an HTTP status, or "login" for a redirect
# to the login page. Data with a csrf_token is a real form post.
ALLOWED_WAREHOUSE = {"admin": "ok", "warehouse": "ok", "marketing": 403, None: "login"}
ANY_STAFF = {"admin": "ok", "warehouse": "ok", "marketing": "ok", None: "login"}
EVERYONE = {"admin": "ok", "warehouse": "ok", "marketing": "ok", None: "ok"}
ROUTES = [
    ("GET", "/staff/login", None, EVERYONE),
    ("GET", "/staff/", None, ANY_STAFF),
    ("GET", "/staff/inventory", None, ALLOWED_WAREHOUSE),
    ("GET", "/staff/inventory?stock=low&sort=available&dir=desc", None, ALLOWED_WAREHOUSE),
    ("GET", f"/staff/inventory/{VID}", None, ALLOWED_WAREHOUSE),
    ("POST", f"/staff/inventory/{VID}/adjust",
     {"delta": "2", "reason": "received", "note": ""}, ALLOWED_WAREHOUSE),
    ("POST", f"/staff/inventory/{VID}/count", {"counted": "4", "expected": "4"},
     ALLOWED_WAREHOUSE),
    ("GET", "/staff/inventory/receive", None, ALLOWED_WAREHOUSE),
    ("POST", "/staff/inventory/receive", {"lines": "SKU, 1", "note": ""}, ALLOWED_WAREHOUSE),
    ("GET", "/staff/inventory/export.csv", None, ALLOWED_WAREHOUSE),
    ("GET", "/staff/inventory/import", None, ALLOWED_WAREHOUSE),
    ("POST", "/staff/inventory/import", {"file": "upload"}, ALLOWED_WAREHOUSE),
    ("POST", "/staff/inventory/import/apply", {"csv_text": "sku,on_hand\n", "digest": "x"},
     ALLOWED_WAREHOUSE),
    ("POST", "/staff/logout", {}, ANY_STAFF),
]
ROLES = ["admin", "warehouse", "marketing", None]


def _fill(path, data, product):
    variant = product.variants[0]
    path = path.replace(VID, str(variant.id))
    if data is None:
        return path, None
    data = dict(data)
    if "lines" in data:
        data["lines"] = f"{variant.sku}, 1"
    if "file" in data:
        data["file"] = (io.BytesIO(f"sku,on_hand\n{variant.sku},4\n".encode()), "stock.csv")
    return path, data


def _token(client):
    return client.csrf_token("/staff/login")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(("method", "path", "data", "expected"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_route_by_role(client, make_product, role, method, path, data, expected):
    product = make_product(stock=[4])
    if role:
        user = make_staff(role)
        assert login(client, user.email).status_code == 302
    path, data = _fill(path, data, product)
    if method == "GET":
        response = client.get(path)
    else:
        # A valid CSRF token, so the role check (not the CSRF check) decides.
        data["csrf_token"] = client.csrf_token("/staff/") if role else _token(client)
        response = client.post(path, data=data, content_type="multipart/form-data")
    want = expected[role]
    if want == "login":
        assert response.status_code == 302
        assert response.location.startswith("/staff/login?next=")
    elif want == 403:
        assert response.status_code == 403
        assert "This page is for" in response.get_data(as_text=True)
    else:
        assert response.status_code in (200, 302, 303, 400), response.status_code
        assert response.status_code != 403
        if response.status_code == 302:
            assert not response.location.startswith("/staff/login?next=")


def test_the_tables_cover_every_staff_route(app):
    from tests.staff.test_accounts import PUBLIC_ROUTES
    from tests.staff.test_accounts import ROUTES as ACCOUNT_ROUTES
    from tests.staff.test_dashboard import DASHBOARD_ROUTES
    from tests.staff.test_orders import ORDER_ROUTES
    from tests.staff.test_products import PRODUCT_ROUTES
    from tests.staff.test_variants import ROUTES as BACK_OFFICE_ROUTES

    covered = {path.split("?")[0].replace(VID, "<int:variant_id>") for _, path, _, _ in ROUTES}
    covered |= {path.replace("{oid}", "<int:order_id>") for _, path, _ in ORDER_ROUTES}
    covered |= {path.replace("{pid}", "<int:product_id>") for _, path, _ in PRODUCT_ROUTES}
    covered |= {path.replace("{pid}", "<int:product_id>").replace("{vid}", "<int:variant_id>")
                for _, path, _, _ in BACK_OFFICE_ROUTES}
    covered |= {path.replace("{uid}", "<int:user_id>") for _, path, _, _ in ACCOUNT_ROUTES}
    covered |= set(PUBLIC_ROUTES) | set(DASHBOARD_ROUTES)
    # The article, comment and back-in-stock pages on the staff blueprint have their own
    # role tests.
    ours = ("storefront.staff.routes", "storefront.staff.orders", "storefront.staff.products",
            "storefront.staff.variants", "storefront.staff.account_views")
    staff_rules = {rule.rule for rule in app.url_map.iter_rules()
                   if app.view_functions[rule.endpoint].__module__ in ours}
    assert staff_rules - covered == set()


def test_marketing_gets_a_403_page_that_says_why(client, make_product, login_as):
    login_as("marketing")
    response = client.get("/staff/inventory")
    assert response.status_code == 403
    assert "This page is for Warehouse staff" in response.get_data(as_text=True)


def test_the_navigation_only_offers_pages_the_role_may_open(client, login_as):
    login_as("marketing")
    page = client.get("/staff/").get_data(as_text=True)
    assert "/staff/inventory" not in page


def test_every_navigation_link_names_a_page_that_exists(app, client, login_as):
    from storefront.staff.auth import NAV_LINKS

    # A link to a missing endpoint is skipped silently, so a typo would hide a page.
    assert [endpoint for _, endpoint, _ in NAV_LINKS if endpoint not in app.view_functions] == []
    login_as("admin")
    page = client.get("/staff/").get_data(as_text=True)
    for label, _, _ in NAV_LINKS:
        assert f">{label}</a>" in page, label


FORMS = [
    (f"/staff/inventory/{VID}/adjust", {"delta": "2", "reason": "received"}),
    (f"/staff/inventory/{VID}/count", {"counted": "9", "expected": "4"}),
    ("/staff/inventory/receive", {"lines": "SKU, 1"}),
    ("/staff/inventory/import", {"file": "upload"}),
    ("/staff/inventory/import/apply", {"csv_text": "sku,on_hand\nSKU,9\n", "digest": "x"}),
    ("/staff/logout", {}),
    ("/staff/login", {"email": "x@staff.test", "password": "whatever it is"}),
]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[p for p, _ in FORMS])
def test_every_form_refuses_a_post_without_its_csrf_token(client, make_product, login_as,
                                                          path, data):
    product = make_product(stock=[4])
    login_as("admin")
    path, data = _fill(path, data, product)
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert inventory.get_levels(product.variants[0].id).on_hand == 4
    reasons = db.session.scalars(select(StockMovement.reason)).all()
    assert reasons == ["opening"]
    assert client.get("/staff/").status_code == 200
