"""Staff discount codes: admin and marketing create and change them; each save says what
it did; a bad field is named; warehouse staff cannot open the pages."""

import re

import pytest
from sqlalchemy import select

from storefront.cart.models import Discount
from storefront.extensions import db
from tests.cart.test_discounts import make_code


def text(response):
    return response.get_data(as_text=True)


def new_code(client, **fields):
    data = {"code": "spring15", "kind": "percent", "value": "15", "min_subtotal": "",
            "starts_at": "", "ends_at": "", "usage_limit": "", "active": "y"} | fields
    return client.submit("/staff/discounts/new", "/staff/discounts/new", data)


def codes():
    db.session.expire_all()
    return db.session.scalars(select(Discount).order_by(Discount.id)).all()


@pytest.mark.parametrize("role", ["admin", "marketing"])
def test_staff_create_a_code_and_see_it_listed(client, login_as, make_product, role):
    login_as(role)
    boot = make_product([5], title="Trail Boot")
    response = new_code(client, code="Boots-20", kind="fixed", value="20", min_subtotal="100",
                        product_ids=str(boot.id), usage_limit="50", once_per_email="y",
                        starts_at="2026-01-01T09:00", ends_at="2027-01-01T00:00")
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Created code BOOTS-20: $20.00 off, active." in page
    [code] = codes()
    assert (code.code, code.kind, code.value, code.min_subtotal_cents, code.usage_limit,
            code.once_per_email, code.active) == ("BOOTS-20", "fixed", 2000, 10000, 50,
                                                  True, True)
    assert [p.title for p in code.products] == ["Trail Boot"]
    assert code.starts_at.isoformat() == "2026-01-01T09:00:00+00:00"
    assert "BOOTS-20" in page and "0 of 50" in page and "Trail Boot" in page


def test_changing_a_code_keeps_its_uses_and_says_so(client, login_as):
    login_as("marketing")
    code = make_code(usage_limit=10, times_used=4)
    edit = f"/staff/discounts/{code.id}"
    assert 'value="SPRING15"' in text(client.get(edit))
    response = client.submit(edit, edit, {"code": "SPRING15", "kind": "percent",
                                          "value": "20", "usage_limit": "3"})
    assert response.status_code == 422
    assert "It has been used 4 time(s) already; the limit cannot be lower." in text(response)
    response = client.submit(edit, edit, {"code": "SPRING15", "kind": "percent",
                                          "value": "20", "usage_limit": "10"},
                             follow_redirects=True)
    # An unticked box is "inactive": the code stops at once.
    assert "Changed code SPRING15: 20% off, inactive." in text(response)
    [code] = codes()
    assert (code.value, code.times_used, code.active) == (20, 4, False)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"code": "a b"}, "code", "Use 3 to 40 letters, digits, hyphens or underscores"),
    ({"value": "120"}, "value", "A percentage is a whole number from 1 to 100."),
    ({"kind": "fixed", "value": "ten"}, "value", "Amount off: Enter a price as a number"),
    ({"kind": "fixed", "value": "0"}, "value", "Amount off must be more than zero."),
    ({"min_subtotal": "-5"}, "min_subtotal", "Minimum subtotal: A price cannot be negative."),
    ({"starts_at": "2026-05-01T00:00", "ends_at": "2026-04-01T00:00"}, "ends_at",
     "The end must come after the start."),
    ({"usage_limit": "0"}, "usage_limit", "Use a number from 1 to 1,000,000."),
])
def test_a_bad_field_is_named_and_nothing_is_saved(client, login_as, fields, field, message):
    login_as("admin")
    response = new_code(client, **fields)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', text(response))
    assert error and error.group(1).startswith(message), text(response)[-3000:]
    assert codes() == []


def test_a_code_is_unique_in_any_case(client, login_as):
    login_as("admin")
    make_code("WELCOME")
    response = new_code(client, code="welcome")
    assert response.status_code == 422 and "There is already a code WELCOME." in text(response)
    assert len(codes()) == 1


def test_warehouse_staff_cannot_open_or_change_codes(client, login_as):
    login_as("warehouse")
    assert client.get("/staff/discounts").status_code == 403
    token = client.csrf_token("/staff/")
    response = client.post("/staff/discounts/new", data={"csrf_token": token, "code": "X1Y2",
                                                          "kind": "percent", "value": "5"})
    assert response.status_code == 403 and codes() == []


def test_an_unknown_code_page_is_404(client, login_as):
    login_as("admin")
    assert client.get("/staff/discounts/999").status_code == 404
