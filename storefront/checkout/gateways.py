"""Payment gateways behind one small interface: Stripe Checkout, and a local demo.

A gateway opens a payment session for an order, reports a session's state,
closes an open session and refunds. It never touches the database: the
service decides what a payment means for the order and its stock.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import stripe
from flask import current_app

from .. import money
from ..exceptions import DomainError

# Shipping is to North America only; Stripe asks for the list up front.
SHIPPING_COUNTRIES = ["US", "CA"]
# Stripe Tax's code for shipping charges.
STRIPE_SHIPPING_TAX_CODE = "txcd_92010001"
# Stripe refuses a session that expires sooner than 30 minutes after creation;
# a minute of margin covers clock skew and the request's own travel time.
STRIPE_MIN_SESSION = timedelta(minutes=31)
REFUND_MARK = "storefront"


class GatewayError(DomainError):
    """The payment service refused or did not answer."""

    status = 502
    code = "payment_gateway_error"


class GatewayObjectMissing(GatewayError):
    """The payment service has no such object (it belongs to another shop on the account)."""


@dataclass(frozen=True)
class CheckoutUrls:
    success: str
    cancel: str
    demo: str


@dataclass(frozen=True)
class PaymentSession:
    id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionState:
    """What the gateway says about a payment session, in the shop's terms."""

    session_id: str
    status: str
    payment_status: str
    amount_total: int | None
    currency: str | None
    payment_reference: str | None
    order_number: str | None = None
    email: str | None = None
    shipping: dict = field(default_factory=dict)
    # The tax the gateway worked out itself (Stripe Tax): the whole amount, and each line's
    # in the order the lines were sent (None when the gateway did not say).
    amount_tax: int | None = None
    line_taxes: tuple | None = None

    @property
    def paid(self):
        return self.payment_status == "paid"

    @property
    def awaiting_payment(self):
        """Completed with a delayed method (a bank debit): the money is on its way."""
        return self.status == "complete" and self.payment_status == "unpaid"


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str
    ours: bool = True
    failure_reason: str = ""


@dataclass(frozen=True)
class DisputeState:
    """What the gateway says about a dispute of a payment."""

    id: str
    payment_reference: str | None
    charge: str | None
    amount: int
    currency: str
    reason: str
    status: str
    evidence_due_by: datetime | None


def _refund(obj):
    metadata = obj.get("metadata") or {}
    code = str(obj["currency"]).upper()
    return Refund(str(obj["id"]), money.from_stripe(int(obj["amount"]), code), code,
                  str(obj.get("status") or ""), metadata.get("issued_by") == REFUND_MARK,
                  str(obj.get("failure_reason") or ""))


def _reference(value):
    """An expandable field's id (Stripe sends either the id or the object)."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def dispute_state(obj):
    """A DisputeState from a Stripe Dispute (a dict)."""
    due = (obj.get("evidence_details") or {}).get("due_by")
    currency = str(obj.get("currency") or "").upper()
    amount = int(obj.get("amount") or 0)
    return DisputeState(
        id=str(obj["id"]), payment_reference=_reference(obj.get("payment_intent")),
        charge=_reference(obj.get("charge")),
        amount=money.from_stripe(amount, currency) if money.known(currency) else amount,
        currency=currency, reason=_text(obj.get("reason"), 60),
        status=str(obj.get("status") or ""),
        evidence_due_by=datetime.fromtimestamp(due, UTC) if isinstance(due, int) else None,
    )


def _text(value, limit):
    return str(value or "").strip()[:limit]


def session_state(obj):
    """A SessionState from a Stripe Checkout Session (a dict, as in webhook payloads)."""
    collected = obj.get("collected_information") or {}
    # API versions from 2025-03-31 put the address under collected_information, those
    # from 2022-08-01 in shipping_details, older ones in shipping; read whichever is there.
    details = (collected.get("shipping_details") or obj.get("shipping_details")
               or obj.get("shipping") or {})
    address = details.get("address") or {}
    customer = obj.get("customer_details") or {}
    shipping = {}
    if address:
        shipping = {
            "name": _text(details.get("name") or customer.get("name"), 200),
            "line1": _text(address.get("line1"), 200),
            "line2": _text(address.get("line2"), 200),
            "city": _text(address.get("city"), 120),
            "state": _text(address.get("state"), 120),
            "postal_code": _text(address.get("postal_code"), 30),
            "country": _text(address.get("country"), 2).upper(),
        }
    payment_intent = _reference(obj.get("payment_intent"))
    metadata = obj.get("metadata") or {}
    amount = obj.get("amount_total")
    currency = (obj.get("currency") or "").upper() or None
    if not isinstance(amount, int) or isinstance(amount, bool):
        amount = None
    elif currency and money.known(currency):
        amount = money.from_stripe(amount, currency)
    amount_tax, line_taxes = _gateway_tax(obj, currency)
    return SessionState(
        session_id=str(obj.get("id") or ""),
        status=str(obj.get("status") or ""),
        payment_status=str(obj.get("payment_status") or ""),
        amount_total=amount,
        currency=currency,
        payment_reference=payment_intent or None,
        order_number=metadata.get("order_number") or obj.get("client_reference_id"),
        email=_text(customer.get("email"), 254) or None,
        shipping=shipping,
        amount_tax=amount_tax,
        line_taxes=line_taxes,
    )


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _gateway_tax(obj, currency):
    """Stripe Tax's amount on a session (total_details.amount_tax) and each line item's,
    in minor units; (None, None) when the session does not say or in an unknown currency."""
    if not (obj.get("automatic_tax") or {}).get("enabled"):
        return None, None
    amount = (obj.get("total_details") or {}).get("amount_tax")
    if not _whole(amount) or not (currency and money.known(currency)):
        return None, None
    items = (obj.get("line_items") or {}).get("data")
    lines = None
    if isinstance(items, list) and all(_whole(item.get("amount_tax")) for item in items):
        lines = tuple(money.from_stripe(item["amount_tax"], currency) for item in items)
    return money.from_stripe(amount, currency), lines


# Stripe joins the account's prefix (2 to 10 characters), "* " and the suffix into at most
# 22 characters, so a suffix of 10 fits every prefix.
STATEMENT_SUFFIX_LENGTH = 10


def statement_suffix(number):
    """The card statement's part for a payment: "SA-K7Q2M9XB" reads "SAK7Q2M9XB" after
    the shop's prefix (letters and digits only, as statements take them)."""
    return "".join(c for c in number if c.isascii() and c.isalnum())[:STATEMENT_SUFFIX_LENGTH]


def _stripe_taxed(order):
    """Whether Stripe Tax works out this payment's tax. A charge that is not an order (a
    return's price difference) names no tax mode: it carries no tax of its own."""
    return getattr(order, "tax_mode", "rates") == "stripe"


def _tax_behaviour(order):
    """Stripe Tax's reading of the shop's prices: with the tax inside or to be added."""
    return "inclusive" if order.prices_include_tax else "exclusive"


def _line_item(order, line):
    """One Checkout line. A discounted line goes as one item at its discounted total, so
    the line amounts add up to the order total exactly (a saving rounded once per line
    need not divide by the quantity)."""
    description = f"{line.option_label}, SKU {line.sku}"
    quantity, unit = line.quantity, line.unit_price_cents
    if line.discount_cents:
        saving = money.format_money(line.discount_cents, order.currency)
        description = (f"{line.quantity} × {description}; code {order.discount_code} "
                       f"saves {saving}")
        quantity, unit = 1, line.charged_cents
    price = {
        "currency": order.currency.lower(),
        "unit_amount": money.to_stripe(unit, order.currency),
        "product_data": {"name": line.title, "description": description},
    }
    if _stripe_taxed(order):
        price["product_data"]["tax_code"] = current_app.config["STRIPE_TAX_CODE"]
        price["tax_behavior"] = _tax_behaviour(order)
    return {"quantity": quantity, "price_data": price}


def _tax_item(order):
    """The sales tax the shop computed (TAX_MODE=rates), as an amount of its own; none
    when the prices include it."""
    if not order.tax_cents or _stripe_taxed(order) or order.prices_include_tax:
        return []
    return [{"quantity": 1, "price_data": {
        "currency": order.currency.lower(),
        "unit_amount": money.to_stripe(order.tax_cents, order.currency),
        "product_data": {"name": order.tax_label or "Sales tax"},
    }}]


class StripeGateway:
    """Stripe Checkout Sessions through stripe.StripeClient."""

    name = "stripe"

    def __init__(self, secret_key, api_base=None, api_version=None):
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            stripe_version=api_version,
            # Retries are safe: every call that changes something carries an idempotency key.
            max_network_retries=2,
        )

    def _call(self, what, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as error:
            detail = getattr(error, "user_message", None) or str(error) or type(error).__name__
            missing = (isinstance(error, stripe.InvalidRequestError)
                       and getattr(error, "code", None) == "resource_missing")
            raise (GatewayObjectMissing if missing else GatewayError)(
                f"Stripe could not {what}: {detail}") from error

    def session_expiry(self, pay_by, now):
        return max(pay_by, now + STRIPE_MIN_SESSION)

    def create_session(self, order, urls, expires_at):
        params = {
            "mode": "payment",
            "line_items": [_line_item(order, line) for line in order.lines] + _tax_item(order),
            "client_reference_id": order.number,
            "metadata": {"order_number": order.number},
            "payment_intent_data": {
                "metadata": {"order_number": order.number},
                "statement_descriptor_suffix": statement_suffix(order.number),
            },
            "expires_at": int(expires_at.timestamp()),
            "success_url": urls.success,
            "cancel_url": urls.cancel,
            "shipping_address_collection": {"allowed_countries": SHIPPING_COUNTRIES},
        }
        if order.shipping_rate_name:
            # The rate chosen on the cart, and only it: its price is part of the order's
            # total, which is what Stripe must charge.
            params["shipping_address_collection"] = {
                "allowed_countries": [order.shipping_country]}
            rate = {
                "type": "fixed_amount", "display_name": order.shipping_rate_name,
                "fixed_amount": {"amount": money.to_stripe(order.shipping_cents, order.currency),
                                 "currency": order.currency.lower()},
            }
            if _stripe_taxed(order):
                rate |= {"tax_code": STRIPE_SHIPPING_TAX_CODE,
                         "tax_behavior": _tax_behaviour(order)}
            params["shipping_options"] = [{"shipping_rate_data": rate}]
        if _stripe_taxed(order):
            # Stripe Tax works the tax out from the address given on its page and adds it
            # (or finds it inside tax-inclusive prices); the amount comes back on the
            # session and is recorded when the order is paid.
            params["automatic_tax"] = {"enabled": True}
        if order.email:
            params["customer_email"] = order.email
        session = self._call(
            "open the payment page", self.client.v1.checkout.sessions.create, params,
            {"idempotency_key": f"checkout-session-{order.number}"},
        )
        return PaymentSession(session.id, session.url,
                              datetime.fromtimestamp(session.expires_at, UTC))

    def retrieve_session(self, session_id):
        # With its line items, whose taxes (Stripe Tax) the order's lines record.
        session = self._call("look up the payment",
                             self.client.v1.checkout.sessions.retrieve, session_id,
                             {"expand": ["line_items"]})
        return session_state(session.to_dict())

    def expire_session(self, session_id):
        """Close an open session; returns its state (already complete ones stay complete)."""
        try:
            session = self.client.v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError:
            # Only open sessions can be expired: it was paid or has expired already.
            return self.retrieve_session(session_id)
        except stripe.StripeError as error:
            raise GatewayError(f"Stripe could not close the payment page: {error}") from error
        return session_state(session.to_dict())

    def refund(self, payment_reference, amount, currency, idempotency_key, order_number):
        refund = self._call(
            "refund the payment", self.client.v1.refunds.create,
            {"payment_intent": payment_reference, "amount": money.to_stripe(amount, currency),
             "metadata": {"order_number": order_number, "issued_by": REFUND_MARK}},
            {"idempotency_key": idempotency_key},
        )
        return _refund(refund.to_dict())

    def list_refunds(self, payment_reference):
        page = self._call("list refunds", self.client.v1.refunds.list,
                          {"payment_intent": payment_reference, "limit": 100})
        return [_refund(item) for item in page.to_dict().get("data", [])]

    def payment_reference_of(self, kind, object_id):
        """The payment intent behind a Charge or Refund, read from Stripe itself."""
        resources = {"charge": self.client.v1.charges, "refund": self.client.v1.refunds}
        obj = self._call(f"look up the {kind}", resources[kind].retrieve, object_id).to_dict()
        reference = _reference(obj.get("payment_intent"))
        if reference is None and obj.get("charge"):
            return self.payment_reference_of("charge", _reference(obj["charge"]))
        return reference

    def retrieve_dispute(self, dispute_id):
        dispute = self._call("look up the dispute", self.client.v1.disputes.retrieve,
                             dispute_id)
        return dispute_state(dispute.to_dict())


class DemoGateway:
    """A local payment page with Pay and Cancel buttons; no money moves."""

    name = "demo"

    def session_expiry(self, pay_by, now):
        return pay_by

    def create_session(self, order, urls, expires_at):
        # Unguessable like the order token: a success link must never open an order by
        # its number, which is quoted in e-mail subjects and to support.
        return PaymentSession(f"demo_{secrets.token_urlsafe(24)}", urls.demo, expires_at)

    def retrieve_session(self, session_id):
        # The demo page reports payments directly to the service; there is
        # nothing further to ask.
        return None

    def expire_session(self, session_id):
        return None

    def refund(self, payment_reference, amount, currency, idempotency_key, order_number):
        return Refund(f"demo_re_{idempotency_key}", amount, currency, "succeeded")

    def list_refunds(self, payment_reference):
        return []


def active_name(config=None):
    """`stripe` when a Stripe secret key is configured, otherwise `demo`."""
    config = config or current_app.config
    return "stripe" if config.get("STRIPE_SECRET_KEY") else "demo"


def get(name=None):
    """The gateway called `name` (default: the active one); raises GatewayError."""
    config = current_app.config
    name = name or active_name(config)
    if name == "demo":
        return DemoGateway()
    if name != "stripe":
        raise GatewayError(f"Unknown payment gateway {name!r}.")
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY is empty).")
    cache = current_app.extensions.setdefault("checkout_gateways", {})
    cache_key = (key, config.get("STRIPE_API_BASE"), config.get("STRIPE_API_VERSION"))
    if cache_key not in cache:
        cache[cache_key] = StripeGateway(key, config.get("STRIPE_API_BASE"),
                                         config.get("STRIPE_API_VERSION"))
    return cache[cache_key]
