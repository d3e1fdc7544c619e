"""Holds of kind "exchange": their own ledger words, and news when one runs out."""

from datetime import timedelta

import pytest

from storefront import signals
from storefront.inventory import service as inventory
from storefront.models import utcnow


@pytest.fixture
def heard():
    """The holds_expired signals delivered after commit, as [(kind, variant, reference)]."""
    found = []

    def listen(_sender, kind, variant_id, reference):
        found.append((kind, variant_id, reference))

    signals.holds_expired.connect(listen)
    yield found
    signals.holds_expired.disconnect(listen)


def test_an_exchange_hold_is_named_in_the_ledger_and_announced_when_it_runs_out(
        app, make_product, heard):
    variant = make_product(stock=[2]).variants[0]
    soon = utcnow() + timedelta(seconds=1)
    inventory.hold("return:R-1", {variant.id: 1}, soon, actor="shopper", kind="exchange")
    inventory.hold("order:SA-1", {variant.id: 1}, soon)
    assert [m.reason for m in inventory.history(variant.id)[:2]] == ["hold", "exchange_hold"]
    released = inventory.release_expired(now=soon + timedelta(seconds=1))
    assert released == [inventory.Released(variant.id, 2)]
    reasons = {m.reference: m.reason for m in inventory.history(variant.id)[:2]}
    assert reasons == {"return:R-1": "exchange_expired", "order:SA-1": "hold_expired"}
    # Only the long hold's owner is told; checkout holds expire quietly as before.
    assert heard == [("exchange", variant.id, "return:R-1")]
    assert inventory.reconcile() == []


def test_an_unknown_kind_of_hold_is_refused(app, make_product):
    variant = make_product(stock=[2]).variants[0]
    with pytest.raises(inventory.InvalidQuantity):
        inventory.hold("x", {variant.id: 1}, utcnow() + timedelta(hours=1), kind="layaway")
    assert inventory.get_levels(variant.id).reserved == 0


def test_committed_replacement_units_go_back_with_their_own_words(app, make_product):
    variant = make_product(stock=[2]).variants[0]
    inventory.hold("return:R-2", {variant.id: 1}, utcnow() + timedelta(days=30),
                   kind="exchange")
    inventory.confirm("return:R-2", {variant.id: 1}, reason="exchange_committed")
    inventory.cancel_committed("return:R-2", {variant.id: 1}, reason="exchange_cancelled")
    assert [m.reason for m in inventory.history(variant.id)[:3]] == [
        "exchange_cancelled", "exchange_committed", "exchange_hold"]
    assert inventory.get_levels(variant.id).available == 2
    with pytest.raises(inventory.InvalidQuantity):
        inventory.cancel_committed("return:R-2", {variant.id: 1}, reason="theft_or_loss")
