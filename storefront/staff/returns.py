"""Returns for the warehouse: the list by status, oldest first, receiving a parcel line by
line, then refunding it or shipping the exchange; and the report of returns per product.

All return logic is the returns service's; these views only call it.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..exceptions import DomainError
from ..returns import service as returns
from ..returns.models import CONDITIONS, RETURN_STATUSES
from ..templating import money
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("warehouse",)  # admins pass every role check too

add_nav_link("Returns", "staff.returns_list", *ROLES)


class ShipExchangeForm(FlaskForm):
    carrier = StringField("Carrier", validators=[DataRequired("Enter the carrier."),
                                                 Length(max=60)],
                          description="For example USPS, UPS or FedEx.")
    tracking_number = StringField("Tracking number",
                                  validators=[DataRequired("Enter the tracking number."),
                                              Length(max=120)])


class CloseForm(FlaskForm):
    note = TextAreaField("Why close it", validators=[DataRequired("Say why."), Length(max=1000)],
                         description="For example: arrived worn, no refund agreed with the "
                                     "shopper. Shown in the order history.")


class ActionForm(FlaskForm):
    """Only the CSRF token: receive (conditions come per line), refund, waive."""


def _actor():
    return current_user.email


@bp.get("/returns")
@role_required(*ROLES)
def returns_list():
    status = request.args.get("status", "")
    status = status if status in RETURN_STATUSES else ""
    rows = returns.list_returns(status or None)
    groups = [(key, label, [r for r in rows if r.status == key])
              for key, label in RETURN_STATUSES.items()]
    return render_template("staff/returns.html", groups=[g for g in groups if g[2]],
                           status=status, statuses=RETURN_STATUSES)


def _return_page(return_id, status=200, error=None, errors=None, **forms):
    shop_return = returns.get_return(return_id)
    forms = {"ship_form": ShipExchangeForm(formdata=None), "action_form": ActionForm(),
             "close_form": CloseForm(formdata=None)} | forms
    return render_template("staff/return.html", r=shop_return, order=shop_return.order,
                           conditions=CONDITIONS, refund_due=returns.refund_due(shop_return),
                           error=error, errors=errors or {}, values=request.form, **forms), status


@bp.get("/returns/<int:return_id>")
@role_required(*ROLES)
def return_detail(return_id):
    return _return_page(return_id)


def _run(return_id, form, action, done, form_name="action_form"):
    if not form.validate_on_submit():
        return _return_page(return_id, 422, "Nothing was changed: check the fields below.",
                            **{form_name: form})
    try:
        result = action()
    except returns.ReturnRefundFailed as refused:
        flash(refused.message, "error")
        return redirect(url_for("staff.return_detail", return_id=return_id), 303)
    except DomainError as refused:
        errors = getattr(refused, "errors", {})
        for field, message in errors.items():
            if field in form:
                form[field].errors = [message]
        return _return_page(return_id, refused.status, refused.message, errors,
                            **{form_name: form})
    flash(done(result), "success")
    return redirect(url_for("staff.return_detail", return_id=return_id), 303)


@bp.post("/returns/<int:return_id>/receive")
@role_required(*ROLES)
def receive_return(return_id):
    conditions = {key.removeprefix("condition-"): value for key, value in request.form.items()
                  if key.startswith("condition-")}

    def done(r):
        restocked = sum(line.quantity for line in r.lines if line.condition == "restock")
        damaged = sum(line.quantity for line in r.lines if line.condition == "damaged")
        text = (f"Return {r.number} received: {restocked} pair(s) restocked, "
                f"{damaged} damaged.")
        if r.hold_status == "committed":
            text += " The replacement is set aside: ship it next."
        return text

    return _run(return_id, ActionForm(),
                lambda: returns.receive_return(return_id, conditions, actor=_actor()), done)


@bp.post("/returns/<int:return_id>/refund")
@role_required(*ROLES)
def refund_return(return_id):
    def done(cents):
        r = returns.get_return(return_id)
        if not cents:
            return f"Return {r.number} owed nothing more; no refund sent. It is closed as refunded."
        return f"Refunded {money(cents, r.order.currency)} for return {r.number}."

    return _run(return_id, ActionForm(),
                lambda: returns.refund_return(return_id, actor=_actor()), done)


@bp.post("/returns/<int:return_id>/ship")
@role_required(*ROLES)
def ship_exchange(return_id):
    form = ShipExchangeForm()
    return _run(return_id, form,
                lambda: returns.ship_exchange(return_id, form.carrier.data,
                                              form.tracking_number.data, actor=_actor()),
                lambda r: f"Replacement for return {r.number} shipped with {r.carrier}, "
                          f"tracking {r.tracking_number}; the shopper was e-mailed.",
                form_name="ship_form")


@bp.post("/returns/<int:return_id>/close")
@role_required(*ROLES)
def close_return(return_id):
    form = CloseForm()
    return _run(return_id, form,
                lambda: returns.close_return(return_id, form.note.data, actor=_actor()),
                lambda r: f"Return {r.number} closed with nothing more to do.",
                form_name="close_form")


@bp.post("/returns/<int:return_id>/waive")
@role_required(*ROLES)
def waive_difference(return_id):
    return _run(return_id, ActionForm(),
                lambda: returns.waive_difference(return_id, actor=_actor()),
                lambda r: f"Price difference for return {r.number} waived: the replacement "
                          "can ship.")


# One colour per reason in the plot, told apart by the legend's order too.
REASON_COLOURS = ["#1d4e89", "#6a8fc7", "#2f7d5b", "#8cc3a6", "#b5542e", "#e0a36f",
                  "#7a4c8f", "#8a8f96"]


@bp.get("/returns/report")
@role_required("warehouse", "marketing")
def returns_report():
    from ..returns.models import REASONS

    rows = returns.report()
    colours = dict(zip(REASONS, REASON_COLOURS, strict=True))
    return render_template("staff/returns_report.html", rows=rows, reasons=REASONS,
                           colours=colours, most=max((r.total for r in rows), default=0))
