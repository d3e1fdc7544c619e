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
from . import service

bp = Blueprint("cart", __name__)
SESSION_KEY = "cart"
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
    session.pop(DISCOUNT_KEY, None)


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
    return render_template("cart/cart.html", cart=current_view(), line_cap=service.line_cap(),
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
    if wants_json():
        return jsonify({"message": message, "cart": current_view(cart).as_dict()})
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
