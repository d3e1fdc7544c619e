"""Back office for marketing: writing and scheduling articles, link report, comment moderation.

The pages hang on the staff blueprint; the work is done by the articles service.
"""

from datetime import UTC, datetime

from flask import (
    abort,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..articles import service as articles
from ..articles.models import COMMENT_STATUSES
from ..checkout import service as checkout
from ..inputs import accepts_upload, page_number, parse_ids
from ..media.processing import ACCEPTED_TEXT
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("marketing",)  # admins pass every role check too

add_nav_link("Articles", "staff.articles", *ROLES)
add_nav_link("Comments", "staff.comments", *ROLES)


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the article a title."),
                                             Length(max=200)])
    slug = StringField("Web address", validators=[Optional(), Length(max=120)],
                       description="Lower-case words joined by hyphens, e.g. foot-drop-explained. "
                                   "Left empty, it is made from the title.")
    summary = TextAreaField("Summary", validators=[Length(max=300)],
                            description="One or two sentences for the blog list, search "
                                        "results and link previews.")
    body = TextAreaField(
        "Body (Markdown)", validators=[Length(max=100_000)],
        description="## for a section heading (it goes into the contents list), ### for a "
                    "sub-heading. A line with only [[product:product-web-address]] shows a "
                    "product card with price and live stock; inside a sentence it becomes a "
                    "link with the product's name. Questions and answers go between a line "
                    "```questions and a line ```, each question on a line starting Q: and "
                    "its answer on the next starting A:.")
    cover_image = StringField("Cover image", validators=[Optional(), Length(max=300)],
                              description="A path on this shop such as /static/img/... or an "
                                          "https:// address.")
    cover_upload = FileField("Or upload a cover image",
                             description=f"{ACCEPTED_TEXT}; it replaces the address above "
                                         "when you save.")
    cover_alt = StringField("Cover image description", validators=[Length(max=300)],
                            description="What the image shows, for people who cannot see it.")
    tags = StringField("Tags", validators=[Length(max=500)],
                       description="Separated by commas, e.g. Foot drop, Fit.")
    featured = StringField("Featured products", validators=[Length(max=1000)],
                           description="Product web addresses separated by commas; shown as "
                                       "cards at the end of the article.")


class ScheduleForm(FlaskForm):
    publish_at = DateTimeLocalField("Publish at (UTC)", format="%Y-%m-%dT%H:%M",
                                    validators=[DataRequired("Choose a date and time.")])


class ActionForm(FlaskForm):
    """Only the CSRF token: publish, unpublish and moderation buttons."""


def _input(form):
    return articles.ArticleInput(**{name: (getattr(form, name).data or "") for name in (
        "title", "slug", "summary", "body", "cover_image", "cover_alt", "tags", "featured")})


def _preview_html(body):
    rendered, by_slug = articles.preview(body)
    card = get_template_attribute("articles/_products.html", "preview_card")
    link = get_template_attribute("articles/_products.html", "inline_link")
    html = rendered.with_products(lambda s: card(by_slug.get(s), s),
                                  lambda s: link(by_slug.get(s), "", preview=True))
    return html, rendered


@bp.get("/articles", endpoint="articles")
@role_required(*ROLES)
def articles_list():
    report = checkout.article_sales(request.args.get("sort", "newest"))
    return render_template("staff/articles.html", report=report, rows=report.rows,
                           sorts=checkout.ARTICLE_SORTS, action_form=ActionForm())


def _editor(form, article=None, status=200):
    preview_html = rendered = None
    if form.body.data:
        preview_html, rendered = _preview_html(form.body.data)
    return render_template(
        "staff/article_edit.html", form=form, article=article, preview_html=preview_html,
        rendered=rendered, schedule_form=ScheduleForm(formdata=None),
        action_form=ActionForm(), now=datetime.now(UTC),
    ), status


def _save(form, article_id):
    """Save or preview the submitted form; returns a response."""
    article = articles.get_article(article_id) if article_id else None
    if not form.validate_on_submit():
        if request.method == "POST":
            flash("The article was not saved: please fix the fields marked below.", "error")
        return _editor(form, article, 422 if request.method == "POST" else 200)
    if request.form.get("action") == "preview":
        flash("Preview updated below. Nothing is saved until you press Save.", "info")
        return _editor(form, article)
    data = _input(form)
    upload = request.files.get(form.cover_upload.name)
    try:
        if upload and upload.filename:
            data.cover_image = articles.store_cover(upload.read())
            form.cover_image.data = data.cover_image
        saved = articles.save_article(article_id, data, author_id=current_user.id)
    except articles.InvalidArticle as invalid:
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        flash("The article was not saved: please fix the fields marked below.", "error")
        return _editor(form, article, 422)
    state = saved.state(datetime.now(UTC))
    flash(f"Saved “{saved.title}” ({state}).", "success")
    return redirect(url_for("staff.article_edit", article_id=saved.id), 303)


def _upload_limit(config):
    # The largest photo allowed, with room for a long article around it.
    return int(config["MAX_IMAGE_MB"] * 1_048_576) + config["MAX_CONTENT_LENGTH"]


@bp.route("/articles/new", methods=["GET", "POST"])
@role_required(*ROLES)
@accepts_upload(_upload_limit)
def article_new():
    return _save(ArticleForm(), None)


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
@accepts_upload(_upload_limit)
def article_edit(article_id):
    if request.method == "GET":
        article = articles.get_article(article_id)
        form = ArticleForm(data=vars(articles.form_values(article)))
        return _editor(form, article)
    return _save(ArticleForm(), article_id)


@bp.post("/articles/preview")
@role_required(*ROLES)
def article_preview():
    """The live preview: the body as shoppers will see it, as an HTML fragment."""
    body = request.form.get("body", "")
    if len(body) > 100_000:
        abort(413)
    html, rendered = _preview_html(body)
    return render_template("staff/_article_preview.html", preview_html=html,
                           rendered=rendered)


@bp.post("/articles/<int:article_id>/publish")
@role_required(*ROLES)
def article_publish(article_id):
    if ActionForm().validate_on_submit():
        article = articles.publish(article_id)
        flash(f"Published “{article.title}”: it is live on the blog now.", "success")
    else:
        flash("The form expired. Reload the page and try again.", "error")
    return redirect(url_for("staff.article_edit", article_id=article_id), 303)


@bp.post("/articles/<int:article_id>/schedule")
@role_required(*ROLES)
def article_schedule(article_id):
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash("Not scheduled: choose a date and time (UTC).", "error")
        return redirect(url_for("staff.article_edit", article_id=article_id), 303)
    try:
        article = articles.schedule(article_id, form.publish_at.data.replace(tzinfo=UTC))
    except articles.InvalidSchedule as refused:
        flash(f"Not scheduled: {refused.message}", "error")
    else:
        when = article.published_at.strftime("%d %B %Y at %H:%M UTC")
        flash(f"Scheduled “{article.title}” for {when}.", "success")
    return redirect(url_for("staff.article_edit", article_id=article_id), 303)


@bp.post("/articles/<int:article_id>/unpublish")
@role_required(*ROLES)
def article_unpublish(article_id):
    if ActionForm().validate_on_submit():
        article = articles.unpublish(article_id)
        flash(f"Unpublished “{article.title}”: it is a draft again and off the blog.",
              "success")
    else:
        flash("The form expired. Reload the page and try again.", "error")
    return redirect(url_for("staff.article_edit", article_id=article_id), 303)


@bp.get("/articles/report")
@role_required(*ROLES)
def article_report():
    return render_template("staff/article_report.html", problems=articles.link_report())


@bp.get("/comments")
@role_required(*ROLES)
def comments():
    queue = articles.moderation_queue(request.args.get("status", "pending"),
                                      page_number(request.args.get("page")))
    return render_template("staff/comments.html", queue=queue, statuses=COMMENT_STATUSES,
                           form=ActionForm())


@bp.post("/comments")
@role_required(*ROLES)
def comments_moderate():
    status = request.form.get("status", "pending")
    back = url_for("staff.comments", status=status if status in COMMENT_STATUSES else None)
    if not ActionForm().validate_on_submit():
        flash("The form expired. Reload the page and try again.", "error")
        return redirect(back, 303)
    try:
        ids = parse_ids(request.form.getlist("comment_id"))
        changed = articles.moderate(ids, request.form.get("action", ""), current_user.id)
    except ValueError:
        flash("That selection was not understood. Tick the comments again.", "error")
    except articles.InvalidModeration as refused:
        flash(refused.message, "error")
    else:
        verb = {"approve": "Approved", "reject": "Rejected",
                "spam": "Marked as spam"}[request.form["action"]]
        flash(f"{verb}: {changed} comment{'' if changed == 1 else 's'}.", "success")
    return redirect(back, 303)
