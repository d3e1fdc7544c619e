"""The checkout's use cases, one module per thing that changes together:

- `orders`: reading orders and moving them along the table of allowed
  transitions (the only place an order's status is set), history, staff flags,
  the shopper's e-mails.
- `placing`: starting a checkout (holding the cart's stock for a pending
  order, opening its payment page), address validation, closing unpaid orders.
- `payments`: taking a payment exactly once, the return from the payment page,
  the demo page, the shopper abandoning payment, Stripe's webhook events.
- `refunds`: refunding what a cancelled order owes, staff refunds of lines
  (before or after shipping, with restock), following each refund's status.
- `disputes`: recording cardholders' disputes, flagging and blocking shipping.
- `actions`: what staff do to an order (ship, cancel, notes, flags).
- `reports`: what the articles sold.

Views and the other packages use the names below (`from ..checkout import
service`); the modules import each other only downwards in that list (orders
is shared by all, reports stands alone).
"""

from ...cart.discounts import DiscountRefused
from ...cart.shipping import ShippingRefused
from .actions import add_order_note, cancel_paid_order, resolve_attention, ship_order
from .disputes import record_dispute
from .errors import (
    BadSignature,
    CartNotReady,
    CheckoutError,
    InvalidDetails,
    InvalidOrderState,
    InvalidOrderTransition,
    OrderNotFound,
    PaymentPageExpired,
    PaymentUnavailable,
    RefundFailed,
    StockShort,
    WebhooksNotConfigured,
)
from .orders import (
    flag_order,
    get_order,
    list_orders,
    lock_order,
    move,
    order_for_shopper,
    order_history,
    queue_order_cancelled_email,
    queue_order_paid_email,
    queue_order_refunded_email,
    queue_order_shipped_email,
)
from .payments import (
    SUBSCRIBED_EVENTS,
    PaymentResult,
    abandon_checkout,
    confirm_return,
    demo_pay,
    handle_stripe_webhook,
    record_payment,
)
from .placing import (
    ADDRESS_FIELDS,
    HOLD_GRACE,
    address_fields,
    change_shipping,
    clean_address,
    close_unpaid,
    shipping_choices,
    shipping_countries,
    start_checkout,
)
from .refunds import RefundPlan, record_gateway_refunds, refund_lines, refund_owed
from .reports import (
    ARTICLE_SORTS,
    ORDER_EXPORT_FIELDS,
    SALE_STATUSES,
    ArticleSales,
    ArticleSalesReport,
    article_sales,
    order_money_rows,
)

__all__ = [
    "ADDRESS_FIELDS", "ARTICLE_SORTS", "HOLD_GRACE", "ORDER_EXPORT_FIELDS", "SALE_STATUSES",
    "SUBSCRIBED_EVENTS", "RefundPlan", "queue_order_refunded_email", "record_dispute",
    "refund_lines",
    "ArticleSales", "ArticleSalesReport", "BadSignature", "CartNotReady", "CheckoutError",
    "DiscountRefused", "InvalidDetails", "InvalidOrderState", "InvalidOrderTransition",
    "OrderNotFound", "ShippingRefused", "address_fields", "change_shipping",
    "shipping_choices", "shipping_countries",
    "PaymentPageExpired", "PaymentResult", "PaymentUnavailable", "RefundFailed", "StockShort",
    "WebhooksNotConfigured",
    "abandon_checkout", "add_order_note", "article_sales", "cancel_paid_order", "clean_address",
    "close_unpaid", "confirm_return", "demo_pay", "flag_order", "get_order",
    "handle_stripe_webhook", "list_orders", "lock_order", "move", "order_for_shopper",
    "order_history", "order_money_rows", "queue_order_cancelled_email", "queue_order_paid_email",
    "queue_order_shipped_email", "record_gateway_refunds", "record_payment", "refund_owed",
    "resolve_attention", "ship_order", "start_checkout",
]
