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
from ..templating import money
from . import service

bp = Blueprint("cart", __name__)
SESSION_KEY = "cart"
# Each line's unit price as the shopper was shown it, so a change is announced.
PRICES_KEY = "cart_prices"
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


def seen_prices():
    return service.load_seen_prices(session.get(PRICES_KEY))


def note_prices(cart_view, *, now_seen=False):
    session[PRICES_KEY] = service.remember_prices(cart_view, seen_prices(), now_seen=now_seen)


def _change_text(change):
    line = change.line
    return (f"{line.title} ({line.label}) now costs {money(change.now)}, not "
            f"{money(change.was)} as when you added it.")


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


@bp.get("/cart")
def show():
    cart_view = service.view(current_cart())
    changes = {change.line.form_id: change
               for change in service.price_changes(cart_view, seen_prices())}
    return render_template("cart/cart.html", cart=cart_view, line_cap=service.line_cap(),
                           price_changes=changes,
                           shown_prices=service.shown_prices_text(cart_view))


@bp.get("/cart.json")
def show_json():
    return jsonify(service.view(current_cart()).as_dict())


def _changed(cart, message):
    save_cart(cart)
    cart_view = service.view(cart)
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
