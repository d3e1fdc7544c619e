"""The shopper's side of returns: ask from the order page, cancel before it is received."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ..checkout import gateways
from ..errors import wants_json
from ..links import absolute_url
from . import service
from .models import REASONS, RESOLUTIONS

bp = Blueprint("returns", __name__)


def _order_page(token):
    return redirect(url_for("checkout.order_page", token=token), 303)


def _form_page(form, values, errors, status=200, message=None, unavailable=()):
    return render_template("returns/new.html", form=form, values=values, errors=errors,
                           message=message, unavailable=set(unavailable), reasons=REASONS,
                           resolutions=RESOLUTIONS), status


@bp.get("/orders/<token>/returns/new")
def new_return(token):
    try:
        form = service.new_return(token)
    except service.NotReturnable as refused:
        flash(refused.message, "error")
        return _order_page(token)
    return _form_page(form, {}, {})


@bp.post("/orders/<token>/returns")
def create(token):
    try:
        shop_return = service.request_return(token, request.form)
    except service.AlreadyRequested as replayed:
        if wants_json():
            raise
        flash(replayed.message, "success")
        return _order_page(token)
    except service.NotReturnable as refused:
        if wants_json():
            raise
        flash(refused.message, "error")
        return _order_page(token)
    except (service.InvalidReturn, service.ReplacementUnavailable) as refused:
        if wants_json():
            raise
        form = service.new_return(token)
        form = form.__class__(form.order, form.lines, form.window_ends,
                              str(request.form.get("form_key") or form.form_key)[:64])
        return _form_page(form, request.form, getattr(refused, "errors", {}), refused.status,
                          refused.message, getattr(refused, "line_ids", ()))
    if wants_json():
        return jsonify({"number": shop_return.number, "status": shop_return.status,
                        "hold": shop_return.hold_status}), 201
    note = (" Your replacement is held for you until "
            f"{shop_return.hold_expires_at:%d %b %Y}." if shop_return.hold_status == "held"
            else "")
    flash(f"Return {shop_return.number} is requested. We have e-mailed you how to send the "
          f"parcel: write {shop_return.number} on it.{note}", "success")
    return _order_page(token)


@bp.post("/orders/<token>/returns/<number>/cancel")
def cancel(token, number):
    shop_return = service.cancel_return(token, number)
    if wants_json():
        return jsonify({"number": shop_return.number, "status": shop_return.status})
    flash(f"Return {shop_return.number} is cancelled."
          + (" The replacement we held went back on sale." if shop_return.hold_status ==
             "released" else ""), "success")
    return _order_page(token)


def _difference_urls(shop_return):
    token, number = shop_return.order.token, shop_return.number
    # Stripe fills in {CHECKOUT_SESSION_ID} itself; url_for would escape the braces.
    return gateways.CheckoutUrls(
        success=absolute_url("returns.difference_paid", token=token, number=number)
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel=absolute_url("checkout.order_page", token=token),
        demo=url_for("returns.difference_demo", token=token, number=number))


@bp.post("/orders/<token>/returns/<number>/difference")
def pay_difference(token, number):
    return redirect(service.start_difference_payment(token, number, _difference_urls), 303)


@bp.get("/orders/<token>/returns/<number>/difference/paid")
def difference_paid(token, number):
    shop_return = service.confirm_difference(token, number, request.args.get("session_id"))
    if shop_return.difference_status == "paid":
        flash(f"Thank you: the difference for return {shop_return.number} is paid. Your "
              "replacement ships once your parcel reaches us.", "success")
    else:
        flash("We are waiting for the payment to be confirmed; this page shows it once "
              "it is.", "success")
    return _order_page(token)


@bp.get("/orders/<token>/returns/<number>/difference/demo")
def difference_demo(token, number):
    shop_return = service.shopper_return(token, number)
    return render_template("returns/demo_pay.html", r=shop_return, order=shop_return.order)


@bp.post("/orders/<token>/returns/<number>/difference/demo")
def difference_demo_pay(token, number):
    shop_return = service.demo_pay_difference(token, number)
    flash(f"Demo payment accepted: the difference for return {shop_return.number} is paid.",
          "success")
    return _order_page(token)
