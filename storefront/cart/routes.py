"""Cart pages: show the cart, add a variant, change or remove a line."""

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..errors import wants_json
from ..extensions import limiter
from ..money import format_money
from . import service

bp = Blueprint("cart", __name__)
SESSION_KEY = "cart"
# Each line's unit price as the shopper was shown it, so a change is announced.
PRICES_KEY = "cart_prices"
# The discount code the shopper entered; re-checked every time the cart is priced.
DISCOUNT_KEY = "discount_code"
# The delivery country and shipping rate chosen on the cart; re-checked at checkout.
COUNTRY_KEY = "ship_country"
RATE_KEY = "ship_rate"
REGION_KEY = "ship_region"
# Adding and changing lines share one budget per address (CART_RATE_LIMIT).
cart_limit = limiter.shared_limit(lambda: current_app.config["CART_RATE_LIMIT"], scope="cart")


def current_cart():
    """The cart in this browser's session."""
    return service.load(session.get(SESSION_KEY))


def save_cart(cart):
    session[SESSION_KEY] = service.dump(cart)


def clear_cart():
    session.pop(SESSION_KEY, None)
    session.pop(PRICES_KEY, None)
    session.pop(DISCOUNT_KEY, None)


def seen_prices():
    return service.load_seen_prices(session.get(PRICES_KEY))


def note_prices(cart_view, *, now_seen=False):
    session[PRICES_KEY] = service.remember_prices(cart_view, seen_prices(), now_seen=now_seen)


def _change_text(change):
    line = change.line
    currency = current_app.config["SHOP_CURRENCY"]
    return (f"{line.title} ({line.label}) now costs {format_money(change.now, currency)}, "
            f"not {format_money(change.was, currency)} as when you added it.")


def confirm_prices(form):
    """Before paying: raise PricesChanged when a line's price is not the one the shopper
    was shown (the prices the cart page sent, else those when each line was added);
    otherwise today's prices count as seen."""
    cart_view = service.view(current_cart())
    told = (service.parse_shown_prices(form["prices"]) if "prices" in form
            else seen_prices())
    changes = service.price_changes(cart_view, told)
    if changes:
        raise service.PricesChanged(changes, _change_text)
    note_prices(cart_view, now_seen=True)


def current_code():
    """The discount code this browser entered, or None."""
    code = session.get(DISCOUNT_KEY)
    return code if isinstance(code, str) and code else None


def current_shipping():
    """(country, rate id, region) this browser chose, each None when not chosen."""
    country, rate_id, region = (session.get(COUNTRY_KEY), session.get(RATE_KEY),
                                session.get(REGION_KEY))
    return (country if isinstance(country, str) else None,
            rate_id if isinstance(rate_id, int) else None,
            region if isinstance(region, str) else None)


def current_view(cart=None):
    return service.view(current_cart() if cart is None else cart, current_code(),
                        *current_shipping())


@bp.app_context_processor
def cart_count():
    # The header shows the count on every page; it comes from the cookie alone,
    # so rendering a page costs no extra query.
    if not has_request_context():
        return {"cart_item_count": 0}
    return {"cart_item_count": service.item_count(current_cart())}


def _input():
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    return request.form


def _page(status=200, code_error="", code_value="", shipping_errors=None):
    cart_view = current_view()
    changes = {change.line.form_id: change
               for change in service.price_changes(cart_view, seen_prices())}
    return render_template("cart/cart.html", cart=cart_view, line_cap=service.line_cap(),
                           price_changes=changes,
                           shown_prices=service.shown_prices_text(cart_view),
                           code_error=code_error, code_value=code_value,
                           shipping_errors=shipping_errors or {},
                           country_name=service.shipping_rates.country_name,
                           address_labels=service.shipping_rates.address_labels), status


@bp.get("/cart")
def show():
    return _page()


@bp.get("/cart.json")
def show_json():
    return jsonify(current_view().as_dict())


@bp.post("/cart/discount")
@cart_limit
def apply_discount():
    typed = str(_input().get("code") or "")
    try:
        code, message = service.apply_code(current_cart(), typed)
    except service.discounts.DiscountRefused as refused:
        if wants_json():
            raise
        # Said at the field, the cart and any code already applied as they were.
        return _page(422, code_error=refused.message, code_value=typed.strip()[:40])
    session[DISCOUNT_KEY] = code
    if wants_json():
        return jsonify({"message": message, "cart": current_view().as_dict()})
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/shipping")
@cart_limit
def choose_shipping():
    data = _input()
    try:
        country, rate_id, message = service.choose_shipping(
            current_cart(), current_code(), data.get("country"), data.get("shipping_rate"),
            current_shipping()[0] or current_view().shipping_country)
    except service.shipping_rates.ShippingRefused as refused:
        if wants_json():
            raise
        return _page(422, shipping_errors={refused.field: refused.message})
    session[COUNTRY_KEY], session[RATE_KEY] = country, rate_id
    session[REGION_KEY] = service.taxes.normalise_region(data.get("region"))
    if wants_json():
        return jsonify({"message": message, "cart": current_view().as_dict()})
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/discount/remove")
def remove_discount():
    code = session.pop(DISCOUNT_KEY, None)
    message = f"Code {code} removed." if code else "No code was applied."
    if wants_json():
        return jsonify({"message": message, "cart": current_view().as_dict()})
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


def _changed(cart, message):
    save_cart(cart)
    cart_view = current_view(cart)
    note_prices(cart_view)  # a new line's price is the one the shopper just saw
    if wants_json():
        return jsonify({"message": message, "cart": cart_view.as_dict()})
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


def _refused(error, back_to):
    if wants_json():
        raise error
    flash(error.message, "error")
    return redirect(back_to, 303)


@bp.post("/cart/add")
@cart_limit
def add():
    data = _input()
    back_to = url_for("cart.show")
    try:
        variant_id = service.parse_variant_id(data.get("variant_id"))
        link = service.product_link_args(variant_id)
        if link:
            back_to = url_for("catalogue.product", **link)
        quantity = service.parse_quantity(data.get("quantity", 1))
        right_variant_id = service.parse_right_variant_id(data.get("right_variant_id"))
        if right_variant_id is None:
            cart, message = service.add(current_cart(), variant_id, quantity)
        else:
            cart, message = service.add_pair(current_cart(), variant_id, right_variant_id,
                                             quantity)
    except service.CartError as error:
        return _refused(error, back_to)
    return _changed(cart, message)


@bp.post("/cart/update")
@cart_limit
def update():
    data = _input()
    try:
        variant_id = service.parse_variant_id(data.get("variant_id"))
        quantity = service.parse_quantity(data.get("quantity"), allow_zero=True)
        right_variant_id = service.parse_right_variant_id(data.get("right_variant_id"))
        cart, message = service.update(current_cart(), variant_id, quantity, right_variant_id)
    except service.CartError as error:
        return _refused(error, url_for("cart.show"))
    return _changed(cart, message)
