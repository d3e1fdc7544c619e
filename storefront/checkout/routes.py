"""Checkout pages: start paying, come back from the payment page, the demo payment
page, the Stripe webhook and the shopper's order page."""

from contextlib import suppress

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..articles.routes import SOURCE_ARTICLE_KEY
from ..cart.routes import clear_cart, confirm_prices, current_cart, current_code, current_shipping
from ..cart.service import PricesChanged
from ..cart.shipping import country_name
from ..errors import wants_json
from ..extensions import csrf, limiter
from ..links import absolute_url
from ..templating import money
from . import gateways, service

bp = Blueprint("checkout", __name__)
# The browser's open checkout, so starting again first releases what it held.
PENDING_KEY = "checkout_order"


def _urls_for(order):
    # Stripe replaces {CHECKOUT_SESSION_ID} itself; url_for would escape the braces.
    return gateways.CheckoutUrls(
        success=absolute_url("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel=absolute_url("checkout.cancelled", token=order.token),
        demo=url_for("checkout.demo_page", token=order.token),
    )


def _forget_pending(order):
    if session.get(PENDING_KEY) == order.token and not order.is_open:
        session.pop(PENDING_KEY, None)
        if order.is_paid or order.is_awaiting_payment:
            clear_cart()
            # The article earned this sale; a later order needs a new visit to count.
            session.pop(SOURCE_ARTICLE_KEY, None)


@bp.post("/checkout")
@limiter.limit(lambda: current_app.config["CHECKOUT_RATE_LIMIT"])
def start():
    previous = session.get(PENDING_KEY)
    if previous:
        # If the gateway cannot be reached, the old hold still expires on its own.
        with suppress(service.OrderNotFound, service.PaymentUnavailable):
            service.abandon_checkout(previous, actor="shopper (checked out again)")
        session.pop(PENDING_KEY, None)
    try:
        confirm_prices(request.form)
        country, rate_id, region = current_shipping()
        # A signed-in shopper's address (set by the account package) is the order's.
        order = service.start_checkout(current_cart(), _urls_for,
                                       session.get(SOURCE_ARTICLE_KEY), code=current_code(),
                                       email=g.get("shopper_email") or request.form.get("email"),
                                       country=country, rate_id=rate_id, region=region)
    except (service.CheckoutError, service.PaymentUnavailable, service.DiscountRefused,
            service.ShippingRefused, service.InvalidDetails, PricesChanged) as error:
        if wants_json():
            raise
        flash(error.message, "error")
        return redirect(url_for("cart.show"), 303)
    session[PENDING_KEY] = order.token
    if wants_json():
        return jsonify({"order": order.number, "payment_url": order.payment_url,
                        "order_url": url_for("checkout.order_page", token=order.token)})
    return redirect(order.payment_url, 303)


@bp.get("/checkout/success")
def success():
    order = service.confirm_return(request.args.get("session_id", ""))
    _forget_pending(order)
    if order.is_paid:
        flash(f"Thank you! Order {order.number} is paid.", "success")
    elif order.is_awaiting_payment:
        flash(f"Thank you! Order {order.number} is placed. Your bank takes a few days to send "
              "the payment; we keep your shoes for you and e-mail you when it arrives.",
              "success")
    elif order.is_open:
        flash("Thank you! We are waiting for the payment to be confirmed; this page "
              "updates when it is.", "success")
    return redirect(url_for("checkout.order_page", token=order.token), 303)


@bp.get("/checkout/<token>/cancelled")
def cancelled(token):
    order = service.order_for_shopper(token)
    return render_template("checkout/cancelled.html", order=order)


@bp.post("/checkout/<token>/cancel")
def cancel(token):
    order = service.abandon_checkout(token)
    _forget_pending(order)
    if order.is_paid:
        flash(f"Your payment had already gone through: order {order.number} is paid.",
              "success")
        return redirect(url_for("checkout.order_page", token=order.token), 303)
    flash("Checkout cancelled. Nothing was charged, and your cart is as you left it.",
          "success")
    return redirect(url_for("cart.show"), 303)


def _prefill(order):
    """The demo page's fields as far as the shop knows them: the order's e-mail address
    and the signed-in shopper's default address (set on `g` by the account package)."""
    values = {"email": order.email or ""}
    address = getattr(g.get("shopper"), "default_address", None)
    if address is not None and address.country in service.shipping_countries(order):
        values |= address.as_dict()
    return values


@bp.get("/checkout/demo/<token>")
def demo_page(token):
    order = service.order_for_shopper(token)
    if order.gateway != "demo":
        return redirect(url_for("checkout.order_page", token=order.token), 303)
    return _demo_page(order, _prefill(order), {})


def _demo_page(order, values, errors, status=200):
    countries = service.shipping_countries(order)
    return render_template(
        "checkout/demo_pay.html", order=order, values=values, errors=errors,
        fields=service.address_fields(values.get("country") or order.shipping_country
                                      or countries[0]),
        countries=countries, country_name=country_name,
        rates=service.shipping_choices(order) if order.shipping_rate_name else [],
        rate_error=errors.get("shipping_rate", "")), status


@bp.post("/checkout/demo/<token>/shipping")
def demo_shipping(token):
    try:
        order = service.change_shipping(token, request.form.get("shipping_rate"))
    except service.ShippingRefused as refused:
        if wants_json():
            raise
        order = service.order_for_shopper(token)
        return _demo_page(order, {}, {"shipping_rate": refused.message}, 422)
    except service.InvalidOrderState as error:
        flash(error.message, "error")
        return redirect(url_for("checkout.order_page", token=token), 303)
    flash(f"Delivery: {order.shipping_rate_name}. The total is now "
          f"{money(order.total_cents, order.currency)}.", "success")
    return redirect(url_for("checkout.demo_page", token=order.token), 303)


@bp.post("/checkout/demo/<token>/pay")
def demo_pay(token):
    try:
        order = service.demo_pay(token, request.form)
    except service.InvalidDetails as error:
        if wants_json():
            raise
        order = service.order_for_shopper(token)
        flash(error.message, "error")
        return _demo_page(order, request.form, error.errors, 422)
    except service.PaymentPageExpired as error:
        session.pop(PENDING_KEY, None)
        flash(error.message, "error")
        return redirect(url_for("cart.show"), 303)
    _forget_pending(order)
    if order.is_paid:
        flash(f"Demo payment accepted. Order {order.number} is paid.", "success")
    return redirect(url_for("checkout.order_page", token=order.token), 303)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    # Exempt from CSRF only because the signature on the raw body proves the sender.
    outcome = service.handle_stripe_webhook(request.get_data(),
                                            request.headers.get("Stripe-Signature"))
    return jsonify({"received": True, "outcome": outcome})


@bp.get("/orders/<token>")
def order_page(token):
    order = service.order_for_shopper(token)
    _forget_pending(order)
    return render_template("checkout/order.html", order=order)
