"""Shopper account pages: sign in by e-mail link, sign out, the account overview, saved
addresses and buying a past line again."""

from flask import (
    Blueprint,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..cart.routes import current_cart, save_cart
from ..cart.service import CartError
from ..checkout import gateways
from ..checkout.service import InvalidDetails
from ..extensions import limiter
from . import auth, service
from .forms import LoginForm

bp = Blueprint("account", __name__, url_prefix="/account")

# Requests for a link per client address; with Redis storage every worker shares counts.
LOGIN_LIMIT = "5 per minute; 30 per hour"
# Requests naming one address, from any number of clients (each sends at most one mail
# a minute anyway; this stops a flood from filling the outbox table).
ADDRESS_LOGIN_LIMIT = "10 per hour"


def _login_address():
    return "shopper-login:" + service.normalise_email(request.form.get("email") or "")[:254]


def _link_page(template, status=200, **context):
    response = make_response(render_template(template, **context), status)
    # The token is in the address: it must not travel to other sites as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
@limiter.limit(ADDRESS_LOGIN_LIMIT, methods=["POST"], key_func=_login_address,
               error_message="Many sign-in links were asked for this address in a short "
                             "time. Use the newest one in your inbox, or try again in an "
                             "hour.")
def login():
    if g.shopper is not None and request.method == "GET":
        return redirect(url_for("account.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            service.request_sign_in(form.email.data, auth.browser_nonce(create=True))
        except service.InvalidEmail as refused:
            error = refused.message
        else:
            return render_template("account/link_sent.html", email=service.normalise_email(
                form.email.data), minutes=service.minutes_valid())
    elif request.method == "POST":
        error = "; ".join(e for errors in form.errors.values() for e in errors) or (
            "Enter your e-mail address.")
    return render_template("account/login.html", form=form, error=error), 422 if error else 200


@bp.get("/login/<token>")
def sign_in(token):
    try:
        shopper = service.sign_in(token, auth.browser_nonce())
    except (service.InvalidLink, service.OtherBrowser, service.OrdersInProgress) as refused:
        return _link_page("account/login.html", refused.status, form=LoginForm(formdata=None),
                          error=None, link_problem=refused.message)
    auth.start_session(shopper)
    flash(f"You are signed in as {shopper.email}.", "success")
    return redirect(url_for("account.home"), 303)


@bp.post("/logout")
@auth.shopper_required
def logout():
    # CSRFProtect checks every POST's token before a view runs.
    service.end_sessions(g.shopper.id)
    auth.end_session()
    flash("You are signed out, on this device and every other one. Your cart is as "
          "you left it.", "success")
    return redirect(url_for("catalogue.home"), 303)


@bp.get("")
@auth.shopper_required
def home():
    return render_template("account/home.html", orders=service.orders_for(g.shopper),
                           addresses=g.shopper.addresses)


@bp.post("/buy-again")
@auth.shopper_required
def buy_again():
    try:
        cart, message = service.buy_again(g.shopper, request.form.get("line_id"),
                                          current_cart())
    except CartError as refused:
        flash(refused.message, "error")
        return redirect(url_for("account.home"), 303)
    save_cart(cart)
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


# -- saved addresses ------------------------------------------------------------------


def _address_form(address=None, values=None, errors=None, status=200):
    if values is None:
        values = address.as_dict() if address is not None else {"country": "US"}
    return render_template("account/address.html", address=address, values=values,
                           errors=errors or {}, fields=service.address_fields(),
                           countries=gateways.SHIPPING_COUNTRIES), status


def _save_address(address_id=None):
    address = (service.own_address(g.shopper, address_id) if address_id is not None
               else None)
    try:
        saved = service.save_address(g.shopper.id, request.form, address_id,
                                     make_default=request.form.get("default") == "1")
    except InvalidDetails as refused:
        flash(refused.message, "error")
        return _address_form(address, request.form, refused.errors, 422)
    except service.AccountError as refused:
        flash(refused.message, "error")
        return redirect(url_for("account.home"), 303)
    flash(f"Address saved: {', '.join(saved.lines)}.", "success")
    return redirect(url_for("account.home", _anchor="addresses"), 303)


@bp.route("/addresses/new", methods=["GET", "POST"])
@auth.shopper_required
def new_address():
    if request.method == "POST":
        return _save_address()
    return _address_form()


@bp.route("/addresses/<int:address_id>", methods=["GET", "POST"])
@auth.shopper_required
def edit_address(address_id):
    if request.method == "POST":
        return _save_address(address_id)
    return _address_form(service.own_address(g.shopper, address_id))


@bp.post("/addresses/<int:address_id>/delete")
@auth.shopper_required
def delete_address(address_id):
    line1 = service.delete_address(g.shopper.id, address_id)  # another's id: a 404
    flash(f"Address deleted: {line1}.", "success")
    return redirect(url_for("account.home", _anchor="addresses"), 303)


@bp.post("/addresses/<int:address_id>/default")
@auth.shopper_required
def default_address(address_id):
    address = service.make_default(g.shopper.id, address_id)
    flash(f"Orders now go to {address.line1} unless you choose another address.",
          "success")
    return redirect(url_for("account.home", _anchor="addresses"), 303)


# -- the fit profile --------------------------------------------------------------------


@bp.route("/fit", methods=["GET", "POST"])
@auth.shopper_required
def fit():
    values, errors, status = service.fit_values(g.shopper), {}, 200
    if request.method == "POST":
        try:
            shopper = service.save_fit(g.shopper.id, request.form)
        except service.InvalidFit as refused:
            flash(refused.message, "error")
            values = {key: request.form.get(key, "") for key in values} | {
                "closures": request.form.getlist("closures")}
            errors, status = refused.errors, 422
        else:
            brace = ("no brace" if shopper.brace == "none"
                     else "a brace " + shopper.brace_label.lower())
            flash(f"Fit profile saved: left {shopper.left_size.label} "
                  f"{shopper.left_width.label}, right {shopper.right_size.label} "
                  f"{shopper.right_width.label}; {brace}. Shoes now say whether they come "
                  "in your size.", "success")
            return redirect(url_for("account.fit"), 303)
    return render_template("account/fit.html", values=values, errors=errors,
                           choices=service.fit_choices()), status


# -- privacy ---------------------------------------------------------------------------


@bp.get("/privacy")
@auth.shopper_required
def privacy():
    return render_template("account/privacy.html", minutes=service.minutes_valid())


@bp.get("/privacy/export")
@auth.shopper_required
def privacy_export():
    response = jsonify(service.export(g.shopper))
    response.headers["Content-Disposition"] = 'attachment; filename="my-shop-data.json"'
    return response


@bp.post("/privacy/delete")
@auth.shopper_required
def request_deletion():
    try:
        service.request_deletion(g.shopper.id, auth.browser_nonce(create=True))
    except service.OrdersInProgress as refused:
        flash(refused.message, "error")
        return redirect(url_for("account.privacy"), 303)
    flash(f"We sent a link to {g.shopper.email}. Open it in this browser within "
          f"{service.minutes_valid()} minutes to confirm deleting your account; until "
          "then nothing is deleted.", "success")
    return redirect(url_for("account.privacy"), 303)


@bp.route("/privacy/delete/<token>", methods=["GET", "POST"])
def confirm_delete(token):
    try:
        email = service.deletion_link(token)
        if request.method == "POST":
            kept = service.delete_account(token, auth.browser_nonce())
        elif auth.browser_nonce() is None:
            raise service.OtherBrowser()
    except (service.InvalidLink, service.OtherBrowser, service.OrdersInProgress) as refused:
        return _link_page("account/confirm_delete.html", refused.status, problem=refused.message,
                          token=None, email=None)
    if request.method == "GET":
        return _link_page("account/confirm_delete.html", token=token, email=email,
                          problem=None)
    auth.end_session()
    flash(f"Your account is deleted. {kept} order(s) are kept for the accounts, without "
          "your name, e-mail address or shipping address.", "success")
    return redirect(url_for("catalogue.home"), 303)


def init_app(app):
    auth.init_app(app)
    app.register_blueprint(bp)
