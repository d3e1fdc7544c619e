"""The public blog: listing, tag pages, articles, comments, product clicks, feed, sitemap;
and the shop's standing pages."""

from contextlib import suppress

from flask import (
    Blueprint,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..exceptions import DomainError
from ..extensions import limiter
from ..inputs import page_number
from ..pagecache import NOW, cached_page, version_part
from . import service
from .forms import CommentForm
from .models import published_by

bp = Blueprint("articles", __name__)
# Cached pages list the articles that are out: one coming out on schedule renews them.
version_part(lambda: published_by(NOW))

# The key the checkout reads to record which article an order came from.
SOURCE_ARTICLE_KEY = "source_article_id"
# Per client address: people comment a few times a day, robots hundreds of times.
COMMENT_LIMIT = "5 per minute; 20 per hour"


@bp.app_template_global("articles_mentioning")
def articles_mentioning(product_id):
    """For product pages: the published articles that mention the product."""
    return service.articles_mentioning(product_id)


@bp.get("/blog")
@cached_page
def index():
    page = service.list_published(page=page_number(request.args.get("page")))
    return render_template("articles/index.html", blog=page)


@bp.get("/blog/tagged/<tag>")
@cached_page
def tagged(tag):
    page = service.list_published(page=page_number(request.args.get("page")), tag=tag[:60])
    return render_template("articles/index.html", blog=page)


@bp.get("/blog/feed.atom")
@cached_page
def feed():
    link = get_template_attribute("articles/_products.html", "feed_link")
    entries = service.feed(lambda card, slug: link(card))
    body = render_template("articles/feed.xml", entries=entries)
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.app_context_processor
def shop_pages_for_the_footer():
    # Lazily: pages that never reach the footer (JSON, feeds) cost no query.
    return {"footer_pages": service.footer_pages}


@bp.get("/pages/<slug>")
@cached_page
def shop_page(slug):
    shown = service.shop_page(slug[:80])
    return render_template("articles/page.html", page=shown.page, body=shown.html,
                           questions=shown.questions)


@bp.get("/blog/authors/<slug>")
@cached_page
def author(slug):
    return render_template("articles/author.html", page=service.author_page(slug[:80]))


@bp.get("/sitemap.xml")
@cached_page
def sitemap():
    body = render_template("articles/sitemap.xml", entries=service.sitemap())
    return current_app.response_class(body, mimetype="application/xml")


def _render_article(slug, form, status=200):
    card = get_template_attribute("articles/_products.html", "card")
    link = get_template_attribute("articles/_products.html", "inline_link")
    page = service.article_page(
        slug,
        card=lambda found, product_slug: card(found, slug),
        link=lambda found, product_slug: link(found, slug),
    )
    return render_template("articles/article.html", page=page, article=page.article,
                           form=form), status


@bp.get("/blog/<slug>")
@cached_page
def article(slug):
    return _render_article(slug, CommentForm())


@bp.post("/blog/<slug>/comments")
@limiter.limit(COMMENT_LIMIT)
def comment(slug):
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_article(slug, form, status=422)
    if not form.is_robot:
        service.add_comment(slug, form.name.data, form.email.data, form.body.data)
    else:
        # Tell a robot the same as a person, so it learns nothing; store nothing.
        service.published_article(slug)
    flash("Thank you. Your comment will appear here once our team has approved it.",
          "success")
    return redirect(url_for("articles.article", slug=slug, _anchor="comments"), 303)


# `?from=<article>` on a product page: the click came from that article's link.
FROM_ARTICLE = "from"


@bp.before_app_request
def attribute_article_link():
    """A product link from an article carries `?from=<article>`: count the click,
    remember the article for the order, and send the shopper (and search engines) to
    the product's own address, so the page is cached and indexed once."""
    if request.endpoint != "catalogue.product" or FROM_ARTICLE not in request.args:
        return None
    product_slug = request.view_args["slug"]
    # An unknown article or product has no click to count; the product page decides.
    with suppress(DomainError):
        session[SOURCE_ARTICLE_KEY] = service.record_click(
            request.args[FROM_ARTICLE][:120], product_slug)
    kept = {k: v for k, v in request.args.items(multi=True) if k != FROM_ARTICLE}
    return redirect(url_for("catalogue.product", slug=product_slug, **kept), 302)


@bp.get("/blog/<slug>/go/<product_slug>")
def go(slug, product_slug):
    """Follow a product link from an article: count the click, remember the article
    for the order, and go to the product."""
    session[SOURCE_ARTICLE_KEY] = service.record_click(slug, product_slug)
    return redirect(url_for("catalogue.product", slug=product_slug), 302)
