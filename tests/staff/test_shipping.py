"""Staff shipping rates: admins create and change them, each save says what it did, bad
fields are named; other roles cannot open the pages."""

import re

import pytest
from sqlalchemy import select

from storefront.cart.models import ShippingRate
from storefront.extensions import db


def text(response):
    return response.get_data(as_text=True)


def rates():
    db.session.expire_all()
    return db.session.scalars(select(ShippingRate).order_by(ShippingRate.id)).all()


def save(client, path="/staff/shipping/new", **fields):
    data = {"name": "Standard", "price": "8", "free_at": "150", "countries": "us, ca gb",
            "estimate": "3 to 5 working days", "active": "y"} | fields
    return client.submit(path, path, data)


def test_an_admin_creates_and_changes_a_rate(client, login_as):
    login_as("admin")
    response = save(client)
    assert response.status_code == 303
    page = text(client.get("/staff/shipping"))
    assert ("Created shipping rate Standard, $8.00 (free from $150.00), to CA GB US, "
            "active.") in page
    assert "Canada, United Kingdom, United States" in page
    [rate] = rates()
    assert (rate.price_cents, rate.free_at_cents, rate.countries) == (800, 15000, "CA GB US")
    edit = f"/staff/shipping/{rate.id}"
    assert 'value="8.00"' in text(client.get(edit))
    response = save(client, edit, name="Standard post", free_at="", active="",
                    countries="US")
    assert "Changed shipping rate Standard post, $8.00, to US, inactive." in text(
        client.get(response.headers["Location"]))
    [rate] = rates()
    assert (rate.name, rate.free_at_cents, rate.active) == ("Standard post", None, False)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"name": ""}, "name", "Give the rate a name"),
    ({"price": ""}, "price", "Price is required (0 for free)."),
    ({"price": "-3"}, "price", "Price: A price cannot be negative."),
    ({"free_at": "lots"}, "free_at", "Free at or above: Enter a price as a number"),
    ({"countries": ""}, "countries", "List at least one country code"),
    ({"countries": "US XX USA"}, "countries", "Not country codes: USA, XX."),
])
def test_a_bad_field_is_named_and_nothing_is_saved(client, login_as, fields, field, message):
    login_as("admin")
    response = save(client, **fields)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', text(response))
    assert error and error.group(1).startswith(message)
    assert rates() == []


@pytest.mark.parametrize("role", ["marketing", "warehouse"])
def test_only_admins_manage_rates(client, login_as, role):
    login_as(role)
    assert client.get("/staff/shipping").status_code == 403
    token = client.csrf_token("/staff/")
    response = client.post("/staff/shipping/new", data={"csrf_token": token, "name": "X",
                                                        "price": "1", "countries": "US"})
    assert response.status_code == 403 and rates() == []
