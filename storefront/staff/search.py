"""Back office: the search synonyms, so a search in the shopper's words finds the shoes
described in the shop's words ("velcro" finds hook-and-loop straps)."""

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from ..catalogue import service as catalogue
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too

add_nav_link("Search words", "staff.search_words", *ROLES)


class SynonymForm(FlaskForm):
    synonyms = TextAreaField(
        "Words that mean the same", validators=[Length(max=100_000)],
        description="One group per line, words or phrases separated by commas, e.g. "
                    "velcro, hook-and-loop, strap. A search for any word of a line also "
                    "finds shoes described with the others.")


@bp.route("/search", methods=["GET", "POST"])
@role_required(*ROLES)
def search_words():
    form = SynonymForm()
    if form.validate_on_submit():
        try:
            saved = catalogue.save_synonyms(form.synonyms.data)
        except catalogue.InvalidSynonyms as invalid:
            form.synonyms.errors = [*form.synonyms.errors, invalid.message]
            flash("The search words were not saved: please fix the problems below.", "error")
            return render_template("staff/search.html", form=form), 422
        flash(f"Saved {saved} group{'' if saved == 1 else 's'} of search words; "
              "searches use them at once.", "success")
        return redirect(url_for("staff.search_words"), 303)
    if form.errors:
        flash("The search words were not saved: please fix the problems below.", "error")
        return render_template("staff/search.html", form=form), 422
    form.synonyms.data = "\n".join(", ".join(g) for g in catalogue.synonym_groups())
    return render_template("staff/search.html", form=form)
