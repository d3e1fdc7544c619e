"""Back office for admin and marketing: discount codes shoppers type on the cart.

The pages hang on the staff blueprint; the work is done by the cart's discount service.
"""

from datetime import UTC

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from .. import money
from ..cart import discounts
from ..cart.models import DISCOUNT_KINDS
from .auth import add_nav_link, role_required
from .products import CheckboxesField
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too

add_nav_link("Discount codes", "staff.discounts", *ROLES)


def _currency():
    return current_app.config["SHOP_CURRENCY"]


class DiscountForm(FlaskForm):
    code = StringField("Code", validators=[Length(max=40)],
                       description="What shoppers type, in any case, e.g. SPRING15.")
    kind = RadioField("Takes off", default="percent", validate_choice=False,
                      choices=[SelectChoice(value, label) for value, label in
                               DISCOUNT_KINDS.items()])
    value = StringField("Percentage or amount", validators=[Length(max=20)],
                        description="A whole percentage from 1 to 100, or an amount in the "
                                    "shop's currency, e.g. 20.00.")
    min_subtotal = StringField("Minimum subtotal (optional)", validators=[Length(max=20)],
                               description="The cart must reach this before the code applies.")
    product_ids = CheckboxesField("Applies to (none ticked: every product)", coerce=int)
    starts_at = DateTimeLocalField("Starts (UTC, optional)", format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    ends_at = DateTimeLocalField("Ends (UTC, optional)", format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    usage_limit = IntegerField("Total uses (optional)",
                               validators=[Optional(), NumberRange(1, 1_000_000,
                                                                   "Use a number from 1 to "
                                                                   "1,000,000.")],
                               description="Left empty, the code can be used any number of "
                                           "times.")
    once_per_email = BooleanField("One use per e-mail address",
                                  description="Shoppers then give their e-mail address at "
                                              "checkout.")
    active = BooleanField("Active", default=True,
                          description="Untick to stop the code at once; its history stays.")


def _utc(moment):
    return moment.replace(tzinfo=UTC) if moment else None


def _form_for(discount=None):
    if discount is None or request.method == "POST":
        form = DiscountForm()
    else:
        currency = _currency()
        form = DiscountForm(data={
            "code": discount.code, "kind": discount.kind,
            "value": str(discount.value) if discount.kind == "percent"
            else money.plain(discount.value, currency),
            "min_subtotal": money.plain(discount.min_subtotal_cents, currency),
            "product_ids": [p.id for p in discount.products],
            "starts_at": discount.starts_at, "ends_at": discount.ends_at,
            "usage_limit": discount.usage_limit, "once_per_email": discount.once_per_email,
            "active": discount.active})
    form.product_ids.choices = [SelectChoice(pid, title)
                                for pid, title in discounts.product_choices()]
    return form


def _editor(form, discount, status=200):
    return render_template("staff/discount_edit.html", form=form, discount=discount,
                           currency=_currency()), status


def _save(discount_id):
    discount = discounts.get_discount(discount_id) if discount_id else None
    form = _form_for(discount)
    if request.method == "GET":
        return _editor(form, discount)
    if not form.validate_on_submit():
        flash("The code was not saved: please fix the fields marked below.", "error")
        return _editor(form, discount, 422)
    data = discounts.DiscountInput(
        code=form.code.data or "", kind=form.kind.data or "", value=form.value.data or "",
        min_subtotal=form.min_subtotal.data or "", product_ids=form.product_ids.data or [],
        starts_at=_utc(form.starts_at.data), ends_at=_utc(form.ends_at.data),
        usage_limit=form.usage_limit.data, once_per_email=form.once_per_email.data,
        active=form.active.data)
    try:
        saved = discounts.save_discount(discount_id, data, _currency())
    except discounts.InvalidDiscount as invalid:
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        flash(invalid.message, "error")
        return _editor(form, discount, 422)
    state = "active" if saved.active else "inactive"
    verb = "Changed" if discount_id else "Created"
    flash(f"{verb} code {saved.code}: {discounts.describe(saved, _currency())}, {state}.",
          "success")
    return redirect(url_for("staff.discounts"), 303)


@bp.get("/discounts", endpoint="discounts")
@role_required(*ROLES)
def discounts_page():
    return render_template("staff/discounts.html", discounts=discounts.all_discounts(),
                           describe=discounts.describe, currency=_currency())


@bp.route("/discounts/new", methods=["GET", "POST"])
@role_required(*ROLES)
def discount_new():
    return _save(None)


@bp.route("/discounts/<int:discount_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def discount_edit(discount_id):
    if discounts.get_discount(discount_id) is None:
        abort(404)
    return _save(discount_id)
