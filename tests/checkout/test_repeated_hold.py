"""A checkout whose order number already holds stock is refused readably, leaving nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from storefront.checkout.models import Order
from storefront.checkout.service import placing
from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockMovement
from storefront.models import utcnow
from tests.checkout.conftest import check_out


def test_a_repeated_order_reference_answers_a_clear_refusal(client, make_product, monkeypatch):
    variant = make_product([5], title="Easy Zip Boot").variants[0]
    inventory.hold("order:SA-TAKEN000", {variant.id: 1}, utcnow() + timedelta(minutes=30))
    monkeypatch.setattr(placing, "_new_number", lambda: "SA-TAKEN000")
    ledger_rows = db.session.scalar(select(func.count(StockMovement.id)))

    response = check_out(client, (variant, 2))

    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert f"Variant {variant.id} was already held for order:SA-TAKEN000" in body
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert inventory.get_levels(variant.id).reserved == 1
    assert db.session.scalar(select(func.count(StockMovement.id))) == ledger_rows
