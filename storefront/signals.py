"""What changed in the shop, announced by the domain services.

Services call `send(signal, **data)` inside their transaction; subscribers
connect to the signals below in their own `init_app`. A signal sent while a
transaction is open is held in the session and delivered when that
transaction commits; a rollback drops it, so no subscriber ever hears of a
change that did not happen. A signal sent with no transaction open is
delivered at once.

Signals and their data (all ids are plain ints; receivers must not assume
the sending session is still usable for writes):
- `stock_changed(variant_ids)`: counters of these variants changed.
- `became_available(variant_ids)`: these variants went from none available to some.
- `content_changed(kind, ids)`: catalogue or article content of `kind`
  ("product", "article", ...) with these ids was edited.
- `order_status_changed(order_id, old, new)`: an order moved between statuses.
"""

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session

_namespace = Namespace()

stock_changed = _namespace.signal("stock-changed")
became_available = _namespace.signal("became-available")
content_changed = _namespace.signal("content-changed")
order_status_changed = _namespace.signal("order-status-changed")

_PENDING = "storefront.pending_signals"


def send(signal, session=None, **data):
    """Announce `signal` with `data`: at the commit of `session`'s open transaction, or now."""
    from .extensions import db

    session = session if session is not None else db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append((signal, data))
    else:
        signal.send(None, **data)


@event.listens_for(Session, "after_commit")
def _deliver(session):
    pending = session.info.pop(_PENDING, None)
    for signal, data in pending or ():
        signal.send(None, **data)


@event.listens_for(Session, "after_rollback")
def _drop(session):
    session.info.pop(_PENDING, None)
