"""Two shoppers ask to exchange for the last unit of a size at the same moment."""

import re
import threading

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.inventory import service as inventory
from storefront.inventory.models import StockHold
from storefront.returns.models import ShopReturn
from tests.checkout.test_race import run_all
from tests.conftest import ShopClient
from tests.returns.helpers import shipped_order

pytestmark = pytest.mark.real_commits


def test_two_exchanges_for_the_last_unit_hold_exactly_one(app, backend, make_product):
    if backend != "postgresql":
        pytest.skip("race tests run on PostgreSQL with real concurrent connections")
    product = make_product(stock=[4, 1], sizes=["8", "9"])
    bought, last = product.variants
    last_id = last.id
    orders = [shipped_order(app, bought) for _ in range(2)]
    forms = [(o.token, o.lines[0].id) for o in orders]
    db.session.commit()
    at_once = threading.Barrier(2, timeout=60)
    results = [None, None]

    def shopper(n):
        def go():
            token, line_id = forms[n]
            client = ShopClient(app.test_client())
            page = client.get(f"/orders/{token}/returns/new").get_data(as_text=True)
            key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            at_once.wait()
            response = client.post(f"/orders/{token}/returns", data={
                "csrf_token": csrf, "form_key": key, "resolution": "exchange",
                "reason": "too_small", f"quantity-{line_id}": "1",
                f"variant-{line_id}": str(last_id)})
            results[n] = (response.status_code, response.get_data(as_text=True))
        return go

    run_all([shopper(0), shopper(1)])

    codes = sorted(code for code, _ in results)
    assert codes == [303, 409], codes
    refused = next(body for code, body in results if code == 409)
    assert "just sold out" in refused and "choose a refund" in refused
    db.session.expire_all()
    holds = db.session.scalars(select(StockHold).where(StockHold.variant_id == last_id)).all()
    assert len(holds) == 1 and holds[0].kind == "exchange"
    assert len(db.session.scalars(select(ShopReturn)).all()) == 1
    levels = inventory.get_levels(last_id)
    assert (levels.reserved, levels.available) == (1, 0)
    assert inventory.reconcile() == []
