"""Back office for admins: the shipping rates shoppers choose from at checkout.

The pages hang on the staff blueprint; the work is done by the cart's shipping service.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from .. import money
from ..cart import shipping
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("admin",)

add_nav_link("Shipping rates", "staff.shipping", *ROLES)


def _currency():
    return current_app.config["SHOP_CURRENCY"]


class RateForm(FlaskForm):
    name = StringField("Name", description="What shoppers see, e.g. Standard or Express.")
    price = StringField("Price", description="In the shop's currency, e.g. 8.00; 0 for free.")
    free_at = StringField("Free at or above (optional)",
                          description="Goods costing at least this (after any discount) "
                                      "ship free this way.")
    countries = StringField("Countries",
                            description="Two-letter ISO codes separated by spaces or commas, "
                                        "e.g. US CA.")
    estimate = StringField("Delivery estimate (optional)",
                           description="e.g. 3 to 5 working days.")
    active = BooleanField("Active", default=True,
                          description="Untick to stop offering it; orders keep its name.")


def _editor(form, rate, status=200):
    return render_template("staff/shipping_edit.html", form=form, rate=rate,
                           currency=_currency()), status


def _save(rate_id):
    rate = shipping.get_rate(rate_id) if rate_id else None
    if rate_id and rate is None:
        abort(404)
    if request.method == "GET":
        data = {} if rate is None else {
            "name": rate.name, "price": money.plain(rate.price_cents, _currency()),
            "free_at": money.plain(rate.free_at_cents, _currency()),
            "countries": rate.countries, "estimate": rate.estimate, "active": rate.active}
        return _editor(RateForm(data=data) if rate else RateForm(), rate)
    form = RateForm()
    if not form.validate_on_submit():
        flash("The rate was not saved: please fix the fields marked below.", "error")
        return _editor(form, rate, 422)
    try:
        saved = shipping.save_rate(
            rate_id, name=form.name.data, price=form.price.data, free_at=form.free_at.data,
            countries_text=form.countries.data, estimate=form.estimate.data,
            active=form.active.data, currency=_currency())
    except shipping.InvalidRate as invalid:
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        flash(invalid.message, "error")
        return _editor(form, rate, 422)
    verb = "Changed" if rate_id else "Created"
    state = "active" if saved.active else "inactive"
    flash(f"{verb} shipping rate {shipping.describe(saved, _currency())}, {state}.", "success")
    return redirect(url_for("staff.shipping"), 303)


@bp.get("/shipping", endpoint="shipping")
@role_required(*ROLES)
def shipping_page():
    return render_template("staff/shipping.html", rates=shipping.all_rates(),
                           currency=_currency(), country_name=shipping.country_name)


@bp.route("/shipping/new", methods=["GET", "POST"])
@role_required(*ROLES)
def shipping_new():
    return _save(None)


@bp.route("/shipping/<int:rate_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def shipping_edit(rate_id):
    return _save(rate_id)
