"""Order fulfilment pages: the list (flagged first), an order, ship, cancel, notes.

All order logic is the checkout service's; these views only call it.
"""

import csv
import io

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..checkout import service as checkout
from ..checkout.models import ORDER_STATUSES, REFUND_STATUSES
from ..checkout.service.orders import customer_orders
from ..exceptions import DomainError
from ..inputs import page_number, parse_int
from ..models import utcnow
from ..templating import money
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("warehouse",)  # admins pass every role check too
PER_PAGE = 50
FLAGGED_LIMIT = 200

add_nav_link("Orders", "staff.orders", *ROLES)


class ShipForm(FlaskForm):
    carrier = StringField("Carrier", validators=[DataRequired("Enter the carrier."),
                                                 Length(max=60)],
                          description="For example USPS, UPS or FedEx.")
    tracking_number = StringField("Tracking number",
                                  validators=[DataRequired("Enter the tracking number."),
                                              Length(max=120)])


class CancelForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=500)],
                         description="Shown in the order history and the shopper's e-mail.")


class NoteForm(FlaskForm):
    note = TextAreaField("Internal note", validators=[DataRequired("Write a note."),
                                                      Length(max=2000)],
                         description="Only staff see notes.")


class ResolveForm(FlaskForm):
    note = TextAreaField("What was done", validators=[DataRequired("Say what was done."),
                                                      Length(max=2000)])


class RefundForm(FlaskForm):
    """Only the CSRF token: retries the refund the order still owes."""


class RefundLinesForm(FlaskForm):
    """A refund of some units of a paid or shipped order; quantities are `quantity_<line id>`."""

    reason = StringField("Reason", validators=[DataRequired("Say why it is refunded."),
                                               Length(max=500)],
                         description="Shown in the order history and the shopper's e-mail.")
    restock = BooleanField("The refunded units came back: put them back in stock",
                           description="Only for units that are physically back in the "
                                       "warehouse.")


def _refund_quantities(order, form_data):
    """{line id: units} from the form; a blank box is 0, anything else unreadable is refused."""
    quantities, errors = {}, {}
    for line in order.lines:
        raw = form_data.get(f"quantity_{line.id}", "").strip()
        value = parse_int(raw or "0", minimum=0, maximum=line.quantity)
        if value is None:
            errors[f"quantity_{line.id}"] = (
                f"Enter a whole number from 0 to {line.refundable_quantity}.")
        elif value:
            quantities[line.id] = value
    return quantities, errors


def _actor():
    return current_user.email


@bp.get("/orders")
@role_required(*ROLES)
def orders():
    status = request.args.get("status", "")
    status = status if status in ORDER_STATUSES else ""
    page = page_number(request.args.get("page"))
    flagged = (checkout.list_orders(status=status or None, needs_attention=True,
                                    limit=FLAGGED_LIMIT) if page == 1 else [])
    rest = checkout.list_orders(status=status or None, needs_attention=False,
                                limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    return render_template(
        "staff/orders.html", flagged=flagged, orders=rest[:PER_PAGE], status=status,
        statuses=ORDER_STATUSES, page=page, has_next=len(rest) > PER_PAGE,
    )


def _export_status():
    status = request.args.get("status", "")
    return status if status in ORDER_STATUSES else None


@bp.get("/orders.csv")
@role_required(*ROLES)
def orders_export_csv():
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=checkout.ORDER_EXPORT_FIELDS)
    writer.writeheader()
    for row in checkout.order_money_rows(_export_status()):
        # A cell starting with = + - @ runs as a formula in spreadsheets: quote it as text.
        writer.writerow({k: "'" + v if isinstance(v, str) and v[:1] in "=+-@" else v
                         for k, v in row.items()})
    filename = f"orders-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/orders.json")
@role_required(*ROLES)
def orders_export_json():
    return jsonify({"orders": checkout.order_money_rows(_export_status())})


def _order_page(order_id, status=200, error=None, line_errors=None, **forms):
    order = checkout.get_order(order_id)
    forms = {
        "ship_form": ShipForm(formdata=None),
        "cancel_form": CancelForm(formdata=None),
        "note_form": NoteForm(formdata=None),
        "resolve_form": ResolveForm(formdata=None),
        "refund_form": RefundForm(formdata=None),
        "refund_lines_form": RefundLinesForm(formdata=None),
    } | forms
    # Admins see the customer's other orders (by the order's e-mail address).
    others = ([o for o in customer_orders(order.email) if o.id != order.id]
              if current_user.has_role("admin") else None)
    return render_template("staff/order.html", order=order,
                           history=checkout.order_history(order_id), error=error,
                           line_errors=line_errors or {}, refund_statuses=REFUND_STATUSES,
                           values=request.form if request.method == "POST" else {},
                           customer_orders=others, **forms), status


@bp.get("/orders/<int:order_id>")
@role_required(*ROLES)
def order(order_id):
    return _order_page(order_id)


def _run(order_id, form_name, form, action, done):
    """Validate `form`, call the checkout `action`, then flash `done` or show why not."""
    if not form.validate_on_submit():
        return _order_page(order_id, 422, "Nothing was changed: check the fields below.",
                           **{form_name: form})
    try:
        result = action()
    except DomainError as refused:
        if isinstance(refused, checkout.RefundFailed) and form_name != "refund_lines_form":
            # The order was cancelled and restocked; only the refund is outstanding.
            flash(refused.message, "error")
            return redirect(url_for("staff.order", order_id=order_id), 303)
        errors = getattr(refused, "errors", {})
        for field, message in errors.items():
            if field in form:
                form[field].errors = [message]
        return _order_page(order_id, refused.status, refused.message, line_errors=errors,
                           **{form_name: form})
    flash(done(result), "success")
    return redirect(url_for("staff.order", order_id=order_id), 303)


@bp.post("/orders/<int:order_id>/ship")
@role_required(*ROLES)
def ship(order_id):
    form = ShipForm()
    return _run(order_id, "ship_form", form,
                lambda: checkout.ship_order(order_id, form.carrier.data,
                                            form.tracking_number.data, actor=_actor()),
                lambda o: f"Order {o.number} marked shipped with {o.carrier}, "
                          f"tracking {o.tracking_number}. {o.item_count} unit(s) left stock.")


@bp.post("/orders/<int:order_id>/cancel")
@role_required(*ROLES)
def cancel(order_id):
    form = CancelForm()
    return _run(order_id, "cancel_form", form,
                lambda: checkout.cancel_paid_order(order_id, actor=_actor(),
                                                   reason=form.reason.data or ""),
                lambda o: f"Order {o.number} cancelled: {o.item_count} unit(s) back in stock, "
                          f"refund recorded.")


@bp.post("/orders/<int:order_id>/note")
@role_required(*ROLES)
def note(order_id):
    form = NoteForm()
    return _run(order_id, "note_form", form,
                lambda: checkout.add_order_note(order_id, form.note.data, actor=_actor()),
                lambda o: f"Note added to order {o.number}.")


@bp.post("/orders/<int:order_id>/resolve")
@role_required(*ROLES)
def resolve(order_id):
    form = ResolveForm()
    return _run(order_id, "resolve_form", form,
                lambda: checkout.resolve_attention(order_id, form.note.data, actor=_actor()),
                lambda o: f"Order {o.number} no longer needs attention.")


@bp.post("/orders/<int:order_id>/refund")
@role_required(*ROLES)
def refund(order_id):
    form = RefundForm()
    return _run(order_id, "refund_form", form,
                lambda: checkout.refund_owed(order_id, actor=_actor()),
                lambda cents: "Refund sent." if cents else "Nothing was owed; no refund sent.")


@bp.post("/orders/<int:order_id>/refund-lines")
@role_required(*ROLES)
def refund_lines(order_id):
    form = RefundLinesForm()
    order = checkout.get_order(order_id)
    quantities, errors = _refund_quantities(order, request.form)
    if errors:
        return _order_page(order_id, 422, "Nothing was refunded: check the quantities.",
                           line_errors=errors, refund_lines_form=form)

    def done(o):
        refund = o.refunds[-1]
        restocked = " Refunded units are back in stock." if form.restock.data else ""
        return (f"Refunded {money(refund.amount_cents, refund.currency)} on order {o.number} "
                f"({refund.status}).{restocked}")

    return _run(order_id, "refund_lines_form", form,
                lambda: checkout.refund_lines(order_id, quantities, reason=form.reason.data,
                                              restock=bool(form.restock.data), actor=_actor()),
                done)
