"""The checkout's domain errors; `errors.py` turns them into pages or JSON."""

from ...exceptions import DomainError, InvalidFields
from ..models import ORDER_EVENT_RULES


class CheckoutError(DomainError):
    status = 409
    code = "checkout_refused"


class CartNotReady(CheckoutError):
    code = "cart_not_ready"


class StockShort(CheckoutError):
    """Some lines could not be held; nothing was held. `shortages` says what is left."""

    code = "out_of_stock"

    def __init__(self, message, shortages):
        super().__init__(message)
        self.shortages = shortages

    def to_dict(self):
        return super().to_dict() | {"shortages": self.shortages}


class OrderNotFound(DomainError):
    status = 404
    code = "order_not_found"

    def __init__(self, message="We could not find that order."):
        super().__init__(message)


class InvalidOrderState(CheckoutError):
    code = "invalid_order_state"


class InvalidOrderTransition(InvalidOrderState):
    """The order's status does not allow this event (ORDER_TRANSITIONS); nothing changed."""

    code = "invalid_order_transition"

    def __init__(self, order, event):
        rule = ORDER_EVENT_RULES.get(event, f"{event!r} is not allowed now")
        super().__init__(f"Order {order.number} is {order.status_label.lower()}: {rule}.")
        # Not `status`: that is the HTTP status every DomainError carries.
        self.order_status, self.event = order.status, event

    def to_dict(self):
        return super().to_dict() | {"order_status": self.order_status, "event": self.event}


class InvalidDetails(InvalidFields):
    code = "invalid_details"


class PaymentUnavailable(DomainError):
    status = 503
    code = "payment_unavailable"


class PaymentPageExpired(CheckoutError):
    code = "payment_page_expired"


class RefundFailed(DomainError):
    status = 502
    code = "refund_failed"


class BadSignature(DomainError):
    status = 400
    code = "bad_signature"


class WebhooksNotConfigured(DomainError):
    status = 503
    code = "webhooks_not_configured"
