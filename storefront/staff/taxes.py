"""Back office for admins: the sales tax rates the shop adds at checkout (TAX_MODE=rates).

The pages hang on the staff blueprint; the work is done by the cart's tax service.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ..cart import taxes
from ..cart.shipping import country_name
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("admin",)

add_nav_link("Tax rates", "staff.taxes", *ROLES)


class TaxRateForm(FlaskForm):
    country = StringField("Country", description="Two-letter ISO code, e.g. US.")
    region = StringField("Region (optional)",
                         description="As addresses write it, e.g. CA for California. Empty: "
                                     "the whole country, for regions without a rate of their "
                                     "own.")
    percent = StringField("Rate (%)", description="e.g. 8.25")
    name = StringField("Name on receipts", default="Sales tax",
                       description="e.g. Sales tax, GST, VAT.")
    taxes_shipping = BooleanField("Shipping is taxed too")


def _editor(form, rate, status=200):
    return render_template("staff/tax_edit.html", form=form, rate=rate), status


def _save(rate_id):
    rate = taxes.get_rate(rate_id) if rate_id else None
    if rate_id and rate is None:
        abort(404)
    if request.method == "GET":
        data = {} if rate is None else {
            "country": rate.country, "region": rate.region, "percent": rate.percent,
            "name": rate.name, "taxes_shipping": rate.taxes_shipping}
        return _editor(TaxRateForm(data=data) if rate else TaxRateForm(), rate)
    form = TaxRateForm()
    if not form.validate_on_submit():
        flash("The rate was not saved: please fix the fields marked below.", "error")
        return _editor(form, rate, 422)
    try:
        saved = taxes.save_rate(rate_id, country=form.country.data, region=form.region.data,
                                percent=form.percent.data, name=form.name.data,
                                taxes_shipping=form.taxes_shipping.data)
    except taxes.InvalidTaxRate as invalid:
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        flash(invalid.message, "error")
        return _editor(form, rate, 422)
    verb = "Changed" if rate_id else "Created"
    flash(f"{verb} tax rate: {taxes.describe(saved)}.", "success")
    return redirect(url_for("staff.taxes"), 303)


@bp.get("/taxes", endpoint="taxes")
@role_required(*ROLES)
def taxes_page():
    return render_template("staff/taxes.html", rates=taxes.all_rates(),
                           country_name=country_name)


@bp.route("/taxes/new", methods=["GET", "POST"])
@role_required(*ROLES)
def tax_new():
    return _save(None)


@bp.route("/taxes/<int:rate_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def tax_edit(rate_id):
    return _save(rate_id)
