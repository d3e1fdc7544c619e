"""The shopper's side of returns: ask from the order page, cancel before it is received."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ..errors import wants_json
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
