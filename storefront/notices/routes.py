"""Back-in-stock pages: sign up from a product page, confirm and unsubscribe by e-mailed link."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ..errors import wants_json
from ..extensions import csrf, limiter
from . import service

bp = Blueprint("notices", __name__)

# Each sign-up sends an e-mail, so one address cannot be used to flood inboxes.
SIGNUP_LIMIT = "5 per minute; 30 per hour"


def _product_link(slug, variant):
    if variant is None:
        return url_for("catalogue.product", slug=slug)
    return url_for("catalogue.product", slug=slug, size=variant.size.label,
                   width=variant.width.code, colour=variant.colour.slug)


@bp.post("/products/<slug>/notify")
@limiter.limit(SIGNUP_LIMIT)
def subscribe(slug):
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if isinstance(data, dict) or hasattr(data, "get") else {}
    try:
        variant_id = service.parse_variant_id(data.get("variant_id"))
        result = service.sign_up(slug, variant_id, data.get("email"))
    except service.InvalidEmail as error:
        if wants_json():
            raise
        return _refused_address(slug, variant_id, data.get("email"), error)
    except service.NoticeError as error:
        if wants_json():
            raise
        flash(error.message, "error")
        # Back in stock: straight to that option, with its add-to-cart button.
        return redirect(_product_link(slug, getattr(error, "variant", None)), 303)
    if wants_json():
        return jsonify({"outcome": result.outcome, "message": result.message})
    flash(result.message, "success")
    return redirect(_product_link(slug, result.variant), 303)


def _refused_address(slug, variant_id, email, error):
    # The same option again with the error at the address field and the address kept,
    # so the shopper corrects it where they typed it.
    try:
        page = service.product_page(slug, variant_id)
    except service.NoticeError:
        flash(error.message, "error")
        return redirect(url_for("catalogue.product", slug=slug), 303)
    return render_template("catalogue/product.html", page=page, product=page.product,
                           notify_error=error.message, notify_email=email or ""), 422


@bp.get("/notices/confirm/<token>")
def confirm(token):
    result = service.confirm(token)
    return render_template("notices/confirmed.html", result=result)


@bp.get("/notices/unsubscribe/<token>")
def unsubscribe_page(token):
    return render_template("notices/unsubscribe.html", result=service.lookup(token),
                           done=False)


# Exempt from CSRF: mail clients send RFC 8058 one-click unsubscribes as a bare POST,
# and the secret token in the link already proves the request came from the e-mail.
@bp.post("/notices/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token):
    result = service.unsubscribe(token)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("notices/unsubscribe.html", result=result, done=True)
