"""Demo shipping rates and a demo discount code for `flask demo load` (added only when the
shop has none, so staff changes are kept)."""

from sqlalchemy import func, select

from ..database import transactional
from ..extensions import db
from .models import Discount, ShippingRate

DEMO_RATES = [
    {"name": "Standard", "price_cents": 800, "free_at_cents": 15000, "countries": "CA US",
     "estimate": "3 to 5 working days"},
    {"name": "Express", "price_cents": 2500, "free_at_cents": None, "countries": "US",
     "estimate": "Next working day"},
]
DEMO_CODE = {"code": "WELCOME10", "kind": "percent", "value": 10, "once_per_email": True,
             "usage_limit": 500}


@transactional
def load():
    """Add the demo rates and code where there are none; returns (rates, codes) added."""
    rates = codes = 0
    if not db.session.scalar(select(func.count()).select_from(ShippingRate)):
        db.session.add_all(ShippingRate(**rate) for rate in DEMO_RATES)
        rates = len(DEMO_RATES)
    if not db.session.scalar(select(func.count()).select_from(Discount)):
        db.session.add(Discount(**DEMO_CODE))
        codes = 1
    return rates, codes
