"""Back office: a staff member's author profile (name, web address, bio, photo), shown
in article bylines and on their page at /blog/authors/<slug>."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from . import service
from .auth import ANY_STAFF, add_nav_link, role_required
from .routes import bp

add_nav_link("Author profile", "staff.profile", "marketing")


class ProfileForm(FlaskForm):
    display_name = StringField("Name shown on articles", validators=[Length(max=120)])
    author_slug = StringField(
        "Web address of your author page", validators=[Length(max=80)],
        description="Lower-case words joined by hyphens, e.g. sam-lee: the page is at "
                    "/blog/authors/sam-lee once you have a published article. Left empty, "
                    "it is made from your name.")
    bio = TextAreaField("About you", validators=[Length(max=4000)],
                        description="A few sentences for readers; a blank line starts a new "
                                    "paragraph.")
    photo_url = StringField(
        "Photo address", validators=[Length(max=300)],
        description="A path on this shop (starting with /) or an https:// address of a "
                    "square photo.")


@bp.route("/profile", methods=["GET", "POST"])
@role_required(*ANY_STAFF)
def profile():
    user = current_user
    form = ProfileForm(obj=user) if request.method == "GET" else ProfileForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        if status == 422:
            flash("Your profile was not saved: please fix the fields marked below.", "error")
        return render_template("staff/profile.html", form=form, user=user), status
    try:
        saved = service.save_author_profile(user.id, service.ProfileInput(
            display_name=form.display_name.data or "", author_slug=form.author_slug.data or "",
            bio=form.bio.data or "", photo_url=form.photo_url.data or ""))
    except service.InvalidProfile as invalid:
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        flash("Your profile was not saved: please fix the fields marked below.", "error")
        return render_template("staff/profile.html", form=form, user=user), 422
    where = (f" Your author page is /blog/authors/{saved.author_slug} (shown once you have "
             "a published article)." if saved.author_slug else "")
    flash(f"Saved your author profile.{where}", "success")
    return redirect(url_for("staff.profile"), 303)
