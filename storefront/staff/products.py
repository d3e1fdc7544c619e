"""Products in the back office: the product list, a new-product form and the editor for
copy, classification, size chart, status and the featured and mismatched-pair switches.

Marketing and admins use these pages; variants and prices are on the variant grid
(staff/variants.py), for admins. The catalogue's editing module does the work.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..catalogue import editing
from ..catalogue.editing import MAX_LENGTHS, clean_text
from ..catalogue.models import CATEGORIES, GENDERS, STATUSES
from ..inputs import page_number, parse_id
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too

add_nav_link("Products", "staff.products", *ROLES)


def _length(name):
    limit = MAX_LENGTHS[name]
    return Length(max=limit, message=f"Keep it to {limit:,} characters or fewer "
                                     "(this has %(length)d).")


def _choices(labels):
    return [SelectChoice(value, label) for value, label in labels.items()]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes; unknown values are the service's to refuse."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass


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
    status = RadioField("Status", choices=_choices(STATUSES), validate_choice=False,
                        default="draft",
                        description="Published products are on the shop; drafts are not yet; "
                                    "archived ones are withdrawn but kept for their orders.")
    category = SelectField("Category", choices=_choices(CATEGORIES), validate_choice=False)
    gender = SelectField("Made for", choices=_choices(GENDERS), validate_choice=False)
    tags = StringField("Tags", filters=[clean_text],
                       description="Separated by commas, e.g. “Easy closure, Wide opening”. "
                                   "Shoppers' searches match them.")
    features = CheckboxesField("Adaptive features", choices=[],
                               description="The shop's filters: shoppers narrow the catalogue "
                                           "by these.")
    fit_notes = TextAreaField("Fit notes", filters=[clean_text],
                              validators=[_length("fit_notes")],
                              description="Shown as plain text at the top of the fit guide, "
                                          "e.g. how the shoe runs and what to do with a brace.")
    size_chart = TextAreaField(
        "Size chart", filters=[clean_text], validators=[_length("size_chart")],
        description="One line per size: the size, a colon and the foot length in centimetres, "
                    "e.g. “7.5: 24.1”. Left empty, the fit guide uses the standard US scale "
                    "for the sizes on sale.")
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
    revision = HiddenField()


class NewProductForm(ProductCopyForm):
    slug = StringField("Web address", filters=[clean_text],
                       validators=[Length(max=editing.MAX_SLUG_LENGTH)],
                       description="The end of the product page's address: lowercase letters, "
                                   "digits and hyphens. Left empty, it is made from the title. "
                                   "It cannot be changed later.")


def _with_features(form):
    form.features.choices = [SelectChoice(f.slug, f.name) for f in editing.all_features()]
    return form


def _copy(form):
    return editing.ProductCopy(
        **{name: form[name].data for name in (*editing.TEXT_FIELDS, "featured",
                                              "allows_mismatched", "category", "gender",
                                              "status")},
        tags=editing.split_tags(form.tags.data), features=tuple(form.features.data or ()))


def _form_data(product):
    copy = editing.ProductCopy.of(product)
    return vars(copy) | {"tags": ", ".join(copy.tags), "features": list(copy.features),
                         "revision": product.revision}


def _field_errors(form, invalid):
    for name, message in invalid.errors.items():
        form[name].errors = [*form[name].errors, message]
    flash("Nothing was saved: please fix the fields marked below.", "error")


@bp.get("/products")
@role_required(*ROLES)
def products():
    q = request.args.get("q", "").strip()[:100]
    return render_template("staff/products.html", listing=editing.product_list(
        q, page_number(request.args.get("page"))))


@bp.route("/products/new", methods=["GET", "POST"])
@role_required(*ROLES)
def product_new():
    form = _with_features(NewProductForm())
    if request.method == "GET":
        return render_template("staff/product_edit.html", form=form, product=None)
    if form.validate_on_submit():
        try:
            product = editing.create_product(_copy(form), form.slug.data)
        except editing.InvalidProductCopy as invalid:
            _field_errors(form, invalid)
        else:
            flash(f"Created {product.title} as a {product.status_label.lower()} at "
                  f"/products/{product.slug}. Next, add its sizes, widths and colours.",
                  "success")
            return redirect(url_for("staff.product_edit", product_id=product.id), 303)
    else:
        flash("Nothing was saved: please fix the fields marked below.", "error")
    return render_template("staff/product_edit.html", form=form, product=None), 422


def _editor(form, product, status=200):
    return render_template("staff/product_edit.html", form=form, product=product), status


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def product_edit(product_id):
    product = editing.get_product(product_id)
    if request.method == "GET":
        return _editor(_with_features(ProductCopyForm(data=_form_data(product))), product)
    form = _with_features(ProductCopyForm())
    if not form.validate_on_submit():
        flash("Nothing was saved: please fix the fields marked below.", "error")
        return _editor(form, product, 422)
    revision = parse_id(form.revision.data)
    if revision is None:
        abort(400, "The form was incomplete. Open the product again and make your change.")
    try:
        product, changed = editing.save_copy(product_id, _copy(form), revision)
    except editing.InvalidProductCopy as invalid:
        _field_errors(form, invalid)
        return _editor(form, editing.get_product(product_id), 422)
    except editing.StaleEdit as stale:
        flash(stale.message, "error")
        current = editing.get_product(product_id)
        return _editor(_with_features(ProductCopyForm(formdata=None, data=_form_data(current))),
                       current, 409)
    if changed:
        flash(f"Saved {product.title}: {', '.join(changed)}.", "success")
    else:
        flash("Nothing changed.", "info")
    return redirect(url_for("staff.product_edit", product_id=product_id), 303)
