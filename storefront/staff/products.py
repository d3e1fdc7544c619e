"""Product copy for marketing: the product list and an editor for titles, descriptions,
fit notes, SEO text and the featured and mismatched-pair switches.

The pages hang on the staff blueprint; the catalogue's editing module does the work.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..catalogue import editing
from ..catalogue.editing import MAX_LENGTHS, clean_text
from ..inputs import page_number
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too

add_nav_link("Product copy", "staff.products", *ROLES)


def _length(name):
    limit = MAX_LENGTHS[name]
    return Length(max=limit, message=f"Keep it to {limit:,} characters or fewer "
                                     "(this has %(length)d).")


class ProductCopyForm(FlaskForm):
    title = StringField("Title", filters=[clean_text],
                        validators=[DataRequired("Give the product a title."), _length("title")])
    summary = TextAreaField("Summary", filters=[clean_text], validators=[_length("summary")],
                            description="One or two sentences under the title, on the product "
                                        "page and in search results.")
    description = TextAreaField(
        "Description", filters=[clean_text], validators=[_length("description")],
        description="Plain text; a blank line starts a new paragraph. A description with "
                    "HTML tags in it (as the Shopify import brings them) is shown as HTML, "
                    "with scripts and other unsafe markup removed.")
    fit_notes = TextAreaField("Fit notes", filters=[clean_text],
                              validators=[_length("fit_notes")],
                              description="Shown as plain text at the top of the fit guide, "
                                          "e.g. how the shoe runs and what to do with a brace.")
    seo_title = StringField("SEO title", filters=[clean_text], validators=[_length("seo_title")],
                            description="The browser tab and search-engine title. Left empty, "
                                        "the title is used.")
    seo_description = TextAreaField(
        "SEO description", filters=[clean_text], validators=[_length("seo_description")],
        description="The text search engines and link previews show. Left empty, the summary "
                    "is used.")
    featured = BooleanField("Featured",
                            description="Shown on the home page and first in the shop's "
                                        "default order.")
    allows_mismatched = BooleanField(
        "Sell as mismatched pairs: a different size or width for each foot",
        description="Shoppers choose the left and right shoe separately, in one colour; the "
                    "pair costs the higher of the two shoes' prices.")


def _copy(form):
    return editing.ProductCopy(**{name: form[name].data for name in (
        *editing.TEXT_FIELDS, "featured", "allows_mismatched")})


@bp.get("/products")
@role_required(*ROLES)
def products():
    q = request.args.get("q", "").strip()[:100]
    return render_template("staff/products.html", listing=editing.product_list(
        q, page_number(request.args.get("page"))))


def _editor(form, product, status=200):
    return render_template("staff/product_edit.html", form=form, product=product), status


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def product_edit(product_id):
    product = editing.get_product(product_id)
    if request.method == "GET":
        return _editor(ProductCopyForm(data=vars(editing.ProductCopy.of(product))), product)
    form = ProductCopyForm()
    if not form.validate_on_submit():
        flash("Nothing was saved: please fix the fields marked below.", "error")
        return _editor(form, product, 422)
    try:
        product, changed = editing.save_copy(product_id, _copy(form))
    except editing.InvalidProductCopy as invalid:
        for name, message in invalid.errors.items():
            form[name].errors = [*form[name].errors, message]
        flash("Nothing was saved: please fix the fields marked below.", "error")
        return _editor(form, editing.get_product(product_id), 422)
    if changed:
        flash(f"Saved {product.title}: {', '.join(changed)}.", "success")
    else:
        flash("Nothing changed.", "info")
    return redirect(url_for("staff.product_edit", product_id=product_id), 303)
