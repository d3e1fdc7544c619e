"""Staff tax rates: admins create and change them, saves say what they did, bad fields are
named, one rate per country and region; other roles cannot open the pages."""

import re

import pytest
from sqlalchemy import select

from storefront.cart.models import TaxRate
from storefront.extensions import db


def text(response):
    return response.get_data(as_text=True)


def rates():
    db.session.expire_all()
    return db.session.scalars(select(TaxRate).order_by(TaxRate.id)).all()


def save(client, path="/staff/taxes/new", **fields):
    data = {"country": "us", "region": "ca", "percent": "7.25", "name": "Sales tax"} | fields
    return client.submit(path, path, data)


def test_an_admin_creates_and_changes_a_rate(client, login_as):
    login_as("admin")
    response = save(client, taxes_shipping="y")
    page = text(client.get(response.headers["Location"]))
    assert ("Created tax rate: Sales tax 7.25% for CA, United States, shipping taxed."
            in page)
    [rate] = rates()
    assert (rate.country, rate.region, rate.basis_points, rate.taxes_shipping) == (
        "US", "CA", 725, True)
    edit = f"/staff/taxes/{rate.id}"
    assert 'value="7.25"' in text(client.get(edit))
    response = save(client, edit, region="", percent="6", name="State tax")
    assert "Changed tax rate: State tax 6% for United States." in text(
        client.get(response.headers["Location"]))


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"country": "USA"}, "country", "Use a two-letter ISO country code"),
    ({"percent": "101"}, "percent", "Give the rate as a percentage from 0 to 100"),
    ({"percent": "7.255"}, "percent", "Give the rate as a percentage from 0 to 100"),
    ({"percent": ""}, "percent", "Give the rate as a percentage from 0 to 100"),
])
def test_a_bad_field_is_named_and_nothing_is_saved(client, login_as, fields, field, message):
    login_as("admin")
    response = save(client, **fields)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', text(response))
    assert error and error.group(1).startswith(message)
    assert rates() == []


def test_one_rate_per_country_and_region(client, login_as):
    login_as("admin")
    save(client)
    response = save(client, region="CA ", percent="9")
    assert response.status_code == 422
    assert "There is already a rate for CA, United States." in text(response)
    assert len(rates()) == 1


@pytest.mark.parametrize("role", ["marketing", "warehouse"])
def test_only_admins_manage_tax_rates(client, login_as, role):
    login_as(role)
    assert client.get("/staff/taxes").status_code == 403
    token = client.csrf_token("/staff/")
    response = client.post("/staff/taxes/new", data={"csrf_token": token, "country": "US",
                                                     "percent": "5"})
    assert response.status_code == 403 and rates() == []
