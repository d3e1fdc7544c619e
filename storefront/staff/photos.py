"""Photos of a product in the back office, for marketing and admins: upload (per product
or per colour), alt text or a decorative mark, order, removal.

The catalogue's photos module does the work; these views read the form and say what
happened.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..catalogue import editing, photos
from ..inputs import accepts_upload, parse_id, parse_int
from ..media.processing import ACCEPTED_TEXT
from .auth import role_required
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too
# Room for the form's other fields around the largest photo allowed.
FORM_ROOM = 256 * 1024

ALT_HINT = ("What the photo shows, for shoppers who use a screen reader or whose pictures "
            "do not load, e.g. “Navy walking shoe from the side, with the heel strap open”.")
DECORATIVE_HINT = ("Only for a photo that adds nothing a description could say (a texture, "
                   "a mood picture): screen readers skip it.")


def _upload_limit(config):
    return int(config["MAX_IMAGE_MB"] * 1_048_576) + FORM_ROOM


class PhotoDetailsForm(FlaskForm):
    alt = TextAreaField("Description (alt text)", description=ALT_HINT)
    decorative = BooleanField("Decorative photo", description=DECORATIVE_HINT)
    colour = SelectField("Shows", validate_choice=False,
                         description="A colour's photos are shown when shoppers pick it.")


class PhotoUploadForm(PhotoDetailsForm):
    photo = FileField("Photo")


def _colour_choices(form, colours):
    form.colour.choices = [SelectChoice("", "The product in general")] + [
        SelectChoice(str(c.id), c.name) for c in colours]
    return form


def _colour_id(raw):
    raw = (raw or "").strip()
    if not raw:
        return None
    colour_id = parse_id(raw)
    return -1 if colour_id is None else colour_id  # no colour of any product: refused


def _details(form):
    return photos.PhotoDetails(alt=(form.alt.data or "")[:2000],
                               decorative=bool(form.decorative.data),
                               colour_id=_colour_id(form.colour.data))


def _edit_forms(product, colours, failed=None):
    """One details form per photo; the one that failed (photo id, form) keeps its input."""
    forms = {}
    for image in product.images:
        if failed and failed[0] == image.id:
            forms[image.id] = failed[1]
            continue
        form = PhotoDetailsForm(formdata=None, prefix=f"photo-{image.id}",
                                data={"alt": image.alt, "decorative": image.decorative,
                                      "colour": str(image.colour_id or "")})
        forms[image.id] = _colour_choices(form, colours)
    return forms


def _page(product_id, upload=None, failed=None, status=200):
    product = editing.get_product(product_id)
    colours = photos.product_colours(product_id)
    upload = upload or _colour_choices(PhotoUploadForm(formdata=None), colours)
    return render_template(
        "staff/photos.html", product=product, upload=upload, colours=colours,
        edit_forms=_edit_forms(product, colours, failed), max_mb=current_app.config["MAX_IMAGE_MB"],
        accepted=ACCEPTED_TEXT), status


def _field_errors(form, invalid):
    for name, message in invalid.errors.items():
        form[name].errors = [*form[name].errors, message]
    flash("Nothing was saved: please fix the fields marked below.", "error")


def _back(product_id):
    return redirect(url_for("staff.product_photos", product_id=product_id), 303)


def _photo_words(image):
    return f"“{image.alt}”" if image.alt else "the decorative photo"


@bp.get("/products/<int:product_id>/photos")
@role_required(*ROLES)
def product_photos(product_id):
    return _page(product_id)


@bp.post("/products/<int:product_id>/photos")
@role_required(*ROLES)
@accepts_upload(_upload_limit)
def photo_add(product_id):
    form = _colour_choices(PhotoUploadForm(), photos.product_colours(product_id))
    if not form.validate_on_submit():
        flash("Nothing was saved: the form expired. Please try again.", "error")
        return _page(product_id, form, status=400)
    upload = request.files.get(form.photo.name)
    data = upload.read() if upload else b""
    try:
        image = photos.add_photo(product_id, data, _details(form))
    except photos.InvalidPhoto as invalid:
        _field_errors(form, invalid)
        return _page(product_id, form, status=422)
    flash(f"Added {_photo_words(image)} as photo {image.position + 1}, "
          f"{image.width} × {image.height} pixels.", "success")
    return _back(product_id)


def _known_photo(product_id, action):
    try:
        return action()
    except photos.UnknownPhoto as unknown:
        flash(unknown.message, "error")
        return _page(product_id, status=404)


@bp.post("/products/<int:product_id>/photos/<int:photo_id>")
@role_required(*ROLES)
def photo_update(product_id, photo_id):
    colours = photos.product_colours(product_id)
    form = _colour_choices(PhotoDetailsForm(prefix=f"photo-{photo_id}"), colours)
    if not form.validate_on_submit():
        flash("Nothing was saved: the form expired. Please try again.", "error")
        return _page(product_id, status=400)

    def save():
        try:
            image, changed = photos.update_photo(product_id, photo_id, _details(form))
        except photos.InvalidPhoto as invalid:
            _field_errors(form, invalid)
            return _page(product_id, failed=(photo_id, form), status=422)
        if changed:
            flash(f"Saved photo {image.position + 1}: {', '.join(changed)}.", "success")
        else:
            flash("Nothing changed.", "info")
        return _back(product_id)

    return _known_photo(product_id, save)


@bp.post("/products/<int:product_id>/photos/<int:photo_id>/move")
@role_required(*ROLES)
def photo_move(product_id, photo_id):
    to = parse_int(request.form.get("to"), minimum=1, maximum=10_000)
    if to is None:
        flash("Choose where to move the photo.", "error")
        return _page(product_id, status=400)

    def move():
        image, position = photos.move_photo(product_id, photo_id, to - 1)
        flash(f"Moved {_photo_words(image)} to position {position + 1}.", "success")
        return _back(product_id)

    return _known_photo(product_id, move)


@bp.post("/products/<int:product_id>/photos/<int:photo_id>/delete")
@role_required(*ROLES)
def photo_delete(product_id, photo_id):
    def delete():
        alt = photos.delete_photo(product_id, photo_id)
        flash(f"Deleted the photo {f'“{alt}”' if alt else '(decorative)'}.", "success")
        return _back(product_id)

    return _known_photo(product_id, delete)
