"""Back office for marketing: the shop's standing pages (shipping, returns, privacy...).

The pages hang on the staff blueprint; the work is done by the articles service.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..articles import service as articles
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too

add_nav_link("Shop pages", "staff.pages", *ROLES)


class PageForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the page a title."),
                                             Length(max=120)])
    slug = StringField("Web address", validators=[Optional(), Length(max=80)],
                       description="Lower-case words joined by hyphens, e.g. shipping; the page "
                                   "is at /pages/shipping. Left empty, it is made from the title.")
    summary = TextAreaField("Summary", validators=[Length(max=300)],
                            description="One sentence for search results and link previews.")
    body = TextAreaField("Body (Markdown)", validators=[Length(max=100_000)],
                         description="## for a section heading, ### for a sub-heading, "
                                     "- at the start of a line for a list. Questions and "
                                     "answers go between a line ```questions and a line "
                                     "```, each question starting Q: and its answer A:.")
    position = IntegerField("Place in the footer", default=0,
                            validators=[NumberRange(-1000, 1000, "Use a number from -1000 "
                                                                 "to 1000.")],
                            description="Smaller numbers come first.")


def _input(form):
    return articles.PageInput(title=form.title.data or "", slug=form.slug.data or "",
                              summary=form.summary.data or "", body=form.body.data or "",
                              position=form.position.data or 0)


def _editor(form, page=None, status=200):
    return render_template("staff/page_edit.html", form=form, page=page), status


def _save(form, page_id):
    page = articles.get_page(page_id) if page_id else None
    if not form.validate_on_submit():
        if request.method == "POST":
            flash("The page was not saved: please fix the fields marked below.", "error")
        return _editor(form, page, 422 if request.method == "POST" else 200)
    try:
        saved = articles.save_page(page_id, _input(form))
    except articles.InvalidPage as invalid:
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        flash("The page was not saved: please fix the fields marked below.", "error")
        return _editor(form, page, 422)
    flash(f"Saved “{saved.title}”: it is live at /pages/{saved.slug}.", "success")
    return redirect(url_for("staff.page_edit", page_id=saved.id), 303)


@bp.get("/pages")
@role_required(*ROLES)
def pages():
    return render_template("staff/pages.html", pages=articles.staff_pages())


@bp.route("/pages/new", methods=["GET", "POST"])
@role_required(*ROLES)
def page_new():
    return _save(PageForm(), None)


@bp.route("/pages/<int:page_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def page_edit(page_id):
    if request.method == "GET":
        page = articles.get_page(page_id)
        form = PageForm(data={"title": page.title, "slug": page.slug, "summary": page.summary,
                              "body": page.body, "position": page.position})
        return _editor(form, page)
    return _save(PageForm(), page_id)
