"""The variant grid of a product, for admins: generate sizes x widths x colours with an
SKU pattern (previewed first), edit each variant's price, compare-at price, SKU, bar
code and weight, retire and restore variants, and read the price history.

The catalogue's variants module does the work; stock stays with the warehouse.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..catalogue import editing, variants
from ..catalogue.prices import format_amount
from ..inputs import parse_id
from ..templating import money
from .auth import role_required
from .routes import bp

ROLES = ("admin",)


class GridForm(FlaskForm):
    """Only the CSRF token: the grid's fields are one per variant, read from the request."""


def _currency():
    return current_app.config["SHOP_CURRENCY"]


def _ids(name):
    ids = [parse_id(raw) for raw in request.form.getlist(name)]
    if any(i is None for i in ids):
        abort(400, "The form held an option that is not one. Reload the page and try again.")
    return tuple(ids)


def _revision():
    revision = parse_id(request.form.get("revision"))
    if revision is None:
        abort(400, "The form was incomplete. Open the variant grid again and make your change.")
    return revision


def _choice():
    form = request.form
    return variants.GridChoice(
        size_ids=_ids("size"), width_ids=_ids("width"), colour_ids=_ids("colour"),
        more_sizes=form.get("more_sizes", "")[:200], colour_name=form.get("colour_name", "")[:80],
        colour_hex=form.get("colour_hex", "")[:20],
        sku_pattern=form.get("sku_pattern", "")[:200], price=form.get("price", "")[:30],
        compare_at=form.get("compare_at", "")[:30])


def _edits():
    edits = []
    for raw in request.form.getlist("variant"):
        vid = parse_id(raw)
        if vid is None:
            abort(400, "The form held a variant that is not one. Reload the page.")

        def value(name, vid=vid):
            return request.form.get(f"{name}-{vid}", "")[:100]

        edits.append(variants.VariantEdit(vid, sku=value("sku"), price=value("price"),
                                          compare_at=value("compare_at"),
                                          barcode=value("barcode"), weight=value("weight")))
    return edits


def _page(product_id, status=200, *, choice=None, plan=None, generate_errors=None,
          edits=None, edit_errors=None):
    grid = variants.variant_grid(product_id)
    values = {}
    for v in grid.variants:
        values[v.id] = {"sku": v.sku, "price": format_amount(v.price_cents, _currency()),
                        "compare_at": format_amount(v.compare_at_cents, _currency()),
                        "barcode": v.barcode or "",
                        "weight": "" if v.weight_grams is None else str(v.weight_grams)}
    for edit in edits or ():
        values[edit.variant_id] = {"sku": edit.sku, "price": edit.price,
                                   "compare_at": edit.compare_at, "barcode": edit.barcode,
                                   "weight": edit.weight}
    return render_template(
        "staff/variants.html", grid=grid, form=GridForm(), values=values,
        choice=choice or variants.GridChoice(), plan=plan,
        generate_errors=generate_errors or {}, edit_errors=edit_errors or {},
        confirm_above=variants.CONFIRM_ABOVE, currency=_currency(),
    ), status


@bp.get("/products/<int:product_id>/variants")
@role_required(*ROLES)
def product_variants(product_id):
    return _page(product_id)


@bp.post("/products/<int:product_id>/variants")
@role_required(*ROLES)
def product_variants_save(product_id):
    if not GridForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and make your change again.")
    revision, edits = _revision(), _edits()
    try:
        changes = variants.save_variants(product_id, edits, _currency(), revision=revision,
                                         actor=current_user.email)
    except variants.InvalidVariants as invalid:
        flash("Nothing was saved: please fix the variants marked below.", "error")
        return _page(product_id, 422, edits=edits, edit_errors=invalid.errors)
    except editing.StaleEdit as stale:
        flash(stale.message, "error")
        return _page(product_id, 409)
    if not changes:
        flash("Nothing changed.", "info")
    for change in changes:
        words = ", ".join(change.fields)
        if change.price:
            old, new = change.price
            words = words.replace("price", f"price {money(old)} → {money(new)}", 1)
        flash(f"Saved {change.sku}: {words}.", "success")
    return redirect(url_for("staff.product_variants", product_id=product_id), 303)


@bp.post("/products/<int:product_id>/variants/generate")
@role_required(*ROLES)
def product_variants_generate(product_id):
    if not GridForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and make your change again.")
    revision, choice = _revision(), _choice()
    try:
        if request.form.get("action") != "create":
            plan = variants.preview_grid(product_id, choice, _currency())
            return _page(product_id, choice=choice, plan=plan)
        created = variants.generate_variants(
            product_id, choice, _currency(), revision=revision, actor=current_user.email,
            confirmed=request.form.get("confirm") == "yes")
    except variants.InvalidVariants as invalid:
        flash("No variants were made: please fix the choices marked below.", "error")
        return _page(product_id, 422, choice=choice, generate_errors=invalid.errors)
    except editing.StaleEdit as stale:
        flash(stale.message, "error")
        return _page(product_id, 409, choice=choice)
    if created:
        flash(f"Made {len(created)} variant(s) at {money(created[0].price_cents)}, each with "
              "zero stock: the warehouse receives their stock on the inventory pages.",
              "success")
    else:
        flash("Every chosen combination exists already: no variants were made.", "info")
    return redirect(url_for("staff.product_variants", product_id=product_id), 303)


def _retire_or_restore(product_id, variant_id, retire):
    if not GridForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    revision = _revision()
    try:
        if retire:
            variant, levels = variants.retire_variant(product_id, variant_id, revision=revision)
        else:
            variant = variants.restore_variant(product_id, variant_id, revision=revision)
    except editing.StaleEdit as stale:
        flash(stale.message, "error")
        return _page(product_id, 409)
    if retire:
        left = (f" It still has {levels.on_hand} on hand: the warehouse can count them out."
                if levels.on_hand else "")
        flash(f"Retired {variant.sku}: shoppers no longer see or buy it; its orders and stock "
              f"history are kept.{left}", "success")
    else:
        flash(f"{variant.sku} is on sale again.", "success")
    return redirect(url_for("staff.product_variants", product_id=product_id), 303)


@bp.post("/products/<int:product_id>/variants/<int:variant_id>/retire")
@role_required(*ROLES)
def variant_retire(product_id, variant_id):
    return _retire_or_restore(product_id, variant_id, retire=True)


@bp.post("/products/<int:product_id>/variants/<int:variant_id>/restore")
@role_required(*ROLES)
def variant_restore(product_id, variant_id):
    return _retire_or_restore(product_id, variant_id, retire=False)
