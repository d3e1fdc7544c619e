"""What changed in the shop, announced by the domain services.

Services call `send(signal, **data)` inside their transaction; subscribers
connect in their own `init_app`. This is the one way a change travels from
the package that makes it to the packages that react to it.

Delivery follows the transaction the signal was sent in:

- A signal sent while a transaction is open is held in the session. It is
  dropped if that transaction rolls back, and also if a savepoint it was sent
  under (`session.begin_nested()`) rolls back, even though the enclosing
  transaction goes on to commit. Releasing a savepoint delivers nothing: only
  the commit of the outermost transaction does. Nested `@transactional` calls
  join their caller's transaction, so their signals wait for its one commit.
- Subscribers that must write in the same transaction as the change connect
  with `before_commit(signal, receiver)`. They run inside the outermost
  commit, before anything is written to the database for good, after the
  session is flushed, and may read, write and send more signals (delivered in
  the same commit). If one raises, the commit fails and the whole transaction
  rolls back. Back-in-stock notices queue their e-mails in the outbox this way,
  so a notice commits with the stock that made it due, or not at all.
- Every other subscriber connects with `signal.connect(receiver)` and hears of
  the change after the COMMIT succeeded. It must not use the sending session
  (it has no transaction then): it updates memory (the page cache) or starts
  work of its own.
- A signal sent with no transaction open is delivered at once to both kinds.

`stock_read` is the exception: it reports a read, not a change, and is
delivered at once (the page cache records what a page showed with it).

Signals and their data (all ids are plain ints):
- `stock_changed(variant_ids)`: counters of these variants changed.
- `became_available(variant_ids)`: these variants went from none available to some.
- `content_changed(kind, ids)`: rows of table `kind` ("product", "article", ...)
  with these ids were added, edited or deleted; `ids` is None for a bulk
  UPDATE or DELETE whose rows are not known.
- `order_status_changed(order_id, old, new)`: an order moved between statuses.
- `holds_expired(kind, variant_id, reference)`: a hold other than a checkout's (an
  exchange's, `kind`) on this variant passed its expiry and was released.
- `refund_failed(order_id, reference)`: a refund of this order (the gateway's
  `reference`) failed or was cancelled at the bank: it gave nothing back.
- `stock_read(versions)`: stock of variants was read, `{variant_id: changes}`
  with the count of changes each variant's counters had; `versions` is None
  for a read that depends on the stock of every variant (an in-stock filter).
"""

from itertools import chain

from blinker import Namespace, Signal
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

_namespace = Namespace()

stock_changed = _namespace.signal("stock-changed")
became_available = _namespace.signal("became-available")
content_changed = _namespace.signal("content-changed")
order_status_changed = _namespace.signal("order-status-changed")
stock_read = _namespace.signal("stock-read")
holds_expired = _namespace.signal("holds-expired")
refund_failed = _namespace.signal("refund-failed")

# The subscribers that write in the sending transaction, one Signal per named signal.
_in_transaction = {}
_PENDING = "storefront.pending_signals"  # [(SessionTransaction sent in, signal, data)]
_COMMITTING = "storefront.delivering_in_transaction"


def before_commit(signal, receiver):
    """Call `receiver(sender, **data)` inside the commit of the transaction that sent
    `signal`, so what it writes commits with the change (or rolls back with it)."""
    _in_transaction.setdefault(signal, Signal()).connect(receiver, weak=False)
    return receiver


def send(signal, session=None, **data):
    """Announce `signal` with `data`: at the commit of `session`'s open transaction, or now."""
    from .extensions import db

    session = session if session is not None else db.session()
    if session.in_transaction():
        innermost = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(_PENDING, []).append((innermost, signal, data))
    else:
        _deliver_in_transaction(signal, data)
        signal.send(None, **data)


def committing(session):
    """Whether `session` is running the in-transaction subscribers of its commit."""
    return bool(session.info.get(_COMMITTING))


def _deliver_in_transaction(signal, data):
    receivers = _in_transaction.get(signal)
    if receivers is not None:
        receivers.send(None, **data)


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: its signals wait for the outermost commit
    if session.new or session.dirty or session.deleted:
        session.flush()  # edits still in memory send their content_changed now
    if not session.info.get(_PENDING):
        return
    session.info[_COMMITTING] = True
    try:
        delivered = 0
        while delivered < len(pending := session.info.get(_PENDING, [])):
            _, signal, data = pending[delivered]
            delivered += 1
            _deliver_in_transaction(signal, data)
            session.flush()
    finally:
        session.info.pop(_COMMITTING, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(_PENDING, None)
    for _, signal, data in pending or ():
        signal.send(None, **data)


@event.listens_for(Session, "after_soft_rollback")
def _drop(session, rolled_back):
    """Forget the signals sent within the transaction or savepoint that rolled back."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if rolled_back.parent is None:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [entry for entry in pending
                              if not _within(entry[0], rolled_back)]


def _within(transaction, outer):
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


# -- edits of content rows -------------------------------------------------------------

_announced = {}  # mapped class -> table name sent as `kind`
_areas = {}  # kind -> the area of the shop it belongs to ("catalogue", "articles")


def announce_edits(area, *models):
    """Adding, editing or deleting rows of these models (content of `area`) sends
    `content_changed` with the model's table name as `kind`."""
    for model in models:
        _announced[model] = model.__table__.name
        _areas[model.__table__.name] = area


def area_of(kind):
    """The area of the shop content of `kind` belongs to (`kind` itself if unknown)."""
    return _areas.get(kind, kind)


@event.listens_for(Session, "before_flush")
def _edits_in_flush(session, _context, _instances):
    if not _announced:
        return
    edited = {}
    for obj in chain(session.new, session.deleted, session.dirty):
        kind = _announced.get(type(obj))
        if kind is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        # A new row has no id before the flush; None stands for "some row of this kind".
        edited.setdefault(kind, set()).add(inspect(obj).identity[0]
                                           if inspect(obj).identity else None)
    for kind, ids in sorted(edited.items()):
        send(content_changed, session, kind=kind,
             ids=None if None in ids else sorted(ids))


@event.listens_for(Session, "do_orm_execute")
def _bulk_edits(state):
    # update(Model) and delete(Model) statements skip the flush, so they are caught here.
    if _announced and (state.is_update or state.is_delete):
        for kind in sorted({_announced[m.class_] for m in state.all_mappers
                            if m.class_ in _announced}):
            send(content_changed, state.session, kind=kind, ids=None)
