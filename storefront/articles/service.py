"""Article use cases: reading the blog, comments, product clicks, editing and moderation."""

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from markupsafe import Markup
from sqlalchemy import and_, column, func, or_, select, table, update
from sqlalchemy.orm import selectinload

from ..catalogue import photos as catalogue_photos
from ..catalogue import service as catalogue
from ..catalogue.models import Product
from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..inputs import MAX_ID
from ..links import absolute_url, slugify
from ..mail import service as mail
from ..media import storage
from ..media.processing import ImageRefused, process
from ..models import utcnow
from . import markdown
from .models import (
    COMMENT_STATUSES,
    Article,
    ArticleClick,
    ArticleMention,
    ArticleProduct,
    ArticleTag,
    Comment,
    ShopPage,
)

PER_PAGE = 10
FEED_SIZE = 20
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MODERATION_ACTIONS = {"approve": "approved", "reject": "rejected", "spam": "spam"}


class ArticleNotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, what="That article"):
        super().__init__(f"{what} does not exist or is not published.")


class TagNotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, tag):
        super().__init__(f"No published article is tagged {tag!r}.")


class CommentNotAllowed(DomainError):
    status = 404
    code = "not_found"

    def __init__(self):
        super().__init__("Comments are open on published articles only.")


class InvalidArticle(InvalidFields):
    """The article form has a problem; `errors` maps field names to messages."""

    code = "invalid_article"
    errors_key = "fields"


class InvalidSchedule(DomainError):
    status = 422
    code = "invalid_schedule"


class InvalidModeration(DomainError):
    status = 422
    code = "invalid_moderation"


def _is_published(now):
    return and_(Article.publish_at.is_not(None), Article.publish_at <= now)


def _published(now):
    return select(Article).where(_is_published(now))


# -- the public blog ----------------------------------------------------------------

@dataclass
class BlogPage:
    articles: list
    page: int
    pages: int
    total: int
    tag: ArticleTag | None = None


def list_published(page=1, tag=None, now=None, per_page=PER_PAGE):
    """One page of published articles, newest first, optionally only those with `tag`.

    Raises TagNotFound when no published article carries the tag.
    """
    now = now or utcnow()
    query = _published(now)
    tag_row = None
    if tag is not None:
        tag_row = db.session.scalars(
            select(ArticleTag).join(ArticleTag.article)
            .where(ArticleTag.slug == tag, _is_published(now)).limit(1)
        ).first()
        if tag_row is None:
            raise TagNotFound(tag)
        query = query.where(Article.tags.any(ArticleTag.slug == tag))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(math.ceil(total / per_page), 1)
    page = min(max(page, 1), pages)
    articles = db.session.scalars(
        query.options(selectinload(Article.tags))
        .order_by(Article.publish_at.desc(), Article.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    for article in articles:
        article.reading_minutes = markdown.render(article.body).reading_minutes
    return BlogPage(articles, page, pages, total, tag_row)


# -- author pages -----------------------------------------------------------------------

# Staff accounts belong to the staff package, above this one: known here by table name.
_staff = table("staff_user", column("id"), column("author_slug"))


class AuthorNotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, slug):
        super().__init__(f"No author has published under the address {slug!r}.")


@dataclass
class AuthorPage:
    author: object  # the staff account, as an article's `author`
    articles: list  # their published articles, newest first


def author_page(slug, now=None):
    """An author with a public address and their published articles, newest first.

    Raises AuthorNotFound for an unknown address and for an author with nothing
    published: staff who do not write are not listed anywhere.
    """
    now = now or utcnow()
    articles = db.session.scalars(
        _published(now).join(_staff, _staff.c.id == Article.author_id)
        .where(_staff.c.author_slug == slug)
        .options(selectinload(Article.tags))
        .order_by(Article.publish_at.desc(), Article.id.desc())
    ).unique().all()
    if not articles:
        raise AuthorNotFound(slug)
    for article in articles:
        article.reading_minutes = markdown.render(article.body).reading_minutes
    return AuthorPage(articles[0].author, articles)


def store_cover(data):
    """An uploaded cover image, processed as product photos are (its type read from the
    content, the size and pixel limits, metadata stripped, turned upright) and stored;
    returns its path on this shop. Raises InvalidArticle (field `cover_upload`)."""
    max_bytes, max_pixels = catalogue_photos.limits()
    try:
        processed = process(data, max_bytes=max_bytes, max_pixels=max_pixels)
    except ImageRefused as refused:
        raise InvalidArticle(errors={"cover_upload": refused.message}) from refused
    storage.store(processed.renditions)
    # The widest copy in the format every browser and feed reader shows.
    return url_for("media.file", name=processed.renditions[-1].name)


def photo_url_problem(url):
    """What is wrong with an author photo or cover image address, or None."""
    if url and not (url.startswith("/") and not url.startswith("//")
                    or url.startswith("https://")):
        return "Use a path on this shop (starting with /) or an https:// address."
    return None


@dataclass
class ArticlePage:
    article: Article
    body_html: str
    headings: list
    reading_minutes: int
    featured_cards: list
    older: Article | None
    newer: Article | None
    comments: list = field(default_factory=list)
    questions: list = field(default_factory=list)  # markdown.Question, for FAQPage data


@dataclass
class ShownComment:
    name: str
    created_at: datetime
    html: str


def _cards_by_slug_and_id(slugs, ids, include_unpublished=False):
    cards = catalogue.cards_for(slugs=slugs, ids=ids, include_unpublished=include_unpublished)
    return {c.product.slug: c for c in cards}, {c.product.id: c for c in cards}


def _neighbours(article, now):
    key = (article.publish_at, article.id)
    older = db.session.scalars(
        _published(now).where(or_(
            Article.publish_at < key[0],
            and_(Article.publish_at == key[0], Article.id < key[1]),
        )).order_by(Article.publish_at.desc(), Article.id.desc()).limit(1)
    ).first()
    newer = db.session.scalars(
        _published(now).where(or_(
            Article.publish_at > key[0],
            and_(Article.publish_at == key[0], Article.id > key[1]),
        )).order_by(Article.publish_at, Article.id).limit(1)
    ).first()
    return older, newer


def article_page(slug, card, link, now=None):
    """A published article with its body rendered, product cards live, neighbours and
    approved comments. `card(card_or_none, slug)` and `link(...)` render the products.

    Raises ArticleNotFound.
    """
    now = now or utcnow()
    article = db.session.scalars(
        _published(now).where(Article.slug == slug)
        .options(selectinload(Article.tags), selectinload(Article.featured))
    ).first()
    if article is None:
        raise ArticleNotFound()
    rendered = markdown.render(article.body)
    featured_ids = [f.product_id for f in article.featured]
    by_slug, by_id = _cards_by_slug_and_id(rendered.product_slugs, featured_ids)
    body_html = rendered.with_products(
        lambda s: card(by_slug.get(s), s), lambda s: link(by_slug.get(s), s))
    older, newer = _neighbours(article, now)
    comments = db.session.scalars(
        select(Comment).where(Comment.article_id == article.id, Comment.status == "approved")
        .order_by(Comment.created_at, Comment.id)
    ).all()
    shown = [ShownComment(c.name, c.created_at, markdown.render_comment(c.body))
             for c in comments]
    return ArticlePage(
        article=article,
        body_html=body_html,
        headings=rendered.headings,
        reading_minutes=rendered.reading_minutes,
        featured_cards=[by_id[i] for i in featured_ids if i in by_id],
        older=older,
        newer=newer,
        comments=shown,
        questions=rendered.questions,
    )


def published_article(slug, now=None):
    """The published article called `slug`; raises ArticleNotFound."""
    article = db.session.scalars(_published(now or utcnow()).where(Article.slug == slug)).first()
    if article is None:
        raise ArticleNotFound()
    return article


@transactional
def record_click(article_slug, product_slug, now=None):
    """Record that a shopper followed a product link from an article; returns the
    article's id (to remember for the order).

    Raises ArticleNotFound, or catalogue.ProductNotFound for a product that is not on sale.
    """
    article = published_article(article_slug, now)
    cards = catalogue.cards_for(slugs=[product_slug])
    if not cards:
        raise catalogue.ProductNotFound(product_slug)
    db.session.add(ArticleClick(article_id=article.id, product_id=cards[0].product.id))
    return article.id


@transactional
def add_comment(slug, name, email, body, now=None):
    """Store a reader's comment on a published article, pending moderation.

    Raises CommentNotAllowed when the article is not published.
    """
    try:
        article = published_article(slug, now)
    except ArticleNotFound:
        raise CommentNotAllowed() from None
    comment = Comment(article_id=article.id, name=name.strip(), email=email.strip().lower(),
                      body=body.strip(), status="pending")
    db.session.add(comment)
    db.session.flush()
    moderators = _moderator_addresses()
    if moderators:
        mail.queue_comment_awaiting_moderation(
            to=moderators, article_title=article.title, author_name=comment.name,
            excerpt=comment.body, moderation_url=absolute_url("staff.comments"),
            comment_id=comment.id)
    return comment


# Staff accounts by table name: articles sits below the staff package and never imports it.
_staff_user = table("staff_user", column("email"), column("role"), column("active"))


def _moderator_addresses():
    """Active marketing staff, or the admins when the shop has no marketing staff."""
    for role in ("marketing", "admin"):
        emails = db.session.scalars(
            select(_staff_user.c.email).where(_staff_user.c.role == role,
                                              _staff_user.c.active.is_(True))
            .order_by(_staff_user.c.email)).all()
        if emails:
            return list(emails)
    return []


def articles_mentioning(product_id, now=None, limit=5):
    """Published articles that feature the product or name it with a shortcode."""
    now = now or utcnow()
    slug = select(Product.slug).where(Product.id == product_id).scalar_subquery()
    return db.session.scalars(
        _published(now).where(or_(
            Article.featured.any(ArticleProduct.product_id == product_id),
            Article.mentions.any(ArticleMention.product_slug == slug),
        )).order_by(Article.publish_at.desc(), Article.id.desc()).limit(limit)
    ).all()


@dataclass
class FeedEntry:
    article: Article
    published: datetime
    updated: datetime
    html: str


def feed(link, now=None, limit=FEED_SIZE):
    """The newest published articles for the Atom feed; `link(card, slug)` renders
    each product shortcode (feeds get links, not cards)."""
    now = now or utcnow()
    articles = db.session.scalars(
        _published(now).order_by(Article.publish_at.desc(), Article.id.desc()).limit(limit)
    ).all()
    rendered = {a.id: markdown.render(a.body) for a in articles}
    slugs = {s for r in rendered.values() for s in r.product_slugs}
    by_slug, _ = _cards_by_slug_and_id(slugs, [])
    return [
        FeedEntry(
            article=a,
            published=a.publish_at,
            updated=max(a.updated_at, a.publish_at),
            html=rendered[a.id].with_products(lambda s: link(by_slug.get(s), s),
                                              lambda s: link(by_slug.get(s), s)),
        )
        for a in articles
    ]


def sitemap(now=None):
    """What the sitemap lists: published products and published articles, with dates."""
    now = now or utcnow()
    articles = db.session.execute(
        select(Article.slug, Article.updated_at, Article.publish_at)
        .where(_is_published(now)).order_by(Article.publish_at.desc(), Article.id.desc())
    ).all()
    pages = db.session.execute(
        select(ShopPage.slug, ShopPage.updated_at).order_by(ShopPage.position, ShopPage.id)
    ).all()
    authors = db.session.execute(
        select(_staff.c.author_slug, func.max(Article.updated_at), func.max(Article.publish_at))
        .join(_staff, _staff.c.id == Article.author_id)
        .where(_is_published(now), _staff.c.author_slug.is_not(None))
        .group_by(_staff.c.author_slug).order_by(_staff.c.author_slug)
    ).all()
    return {
        "authors": [(slug, max(updated, published)) for slug, updated, published in authors],
        "products": [(slug, created) for slug, created in catalogue.sitemap_products()],
        "articles": [(slug, max(updated, published))
                     for slug, updated, published in articles],
        "pages": pages,
    }


# -- editing (staff) ------------------------------------------------------------------

@dataclass
class ArticleInput:
    """What the editing form sends; `tags` and `featured` are comma-separated."""

    title: str
    slug: str = ""
    summary: str = ""
    body: str = ""
    cover_image: str = ""
    cover_alt: str = ""
    tags: str = ""
    featured: str = ""


def _split(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def get_article(article_id):
    """Any article, whatever its state, for editing; raises ArticleNotFound."""
    article = db.session.get(Article, article_id)
    if article is None:
        raise ArticleNotFound(f"Article {article_id}")
    return article


def form_values(article):
    """The editing form's values for an existing article."""
    return ArticleInput(
        title=article.title, slug=article.slug, summary=article.summary, body=article.body,
        cover_image=article.cover_image, cover_alt=article.cover_alt,
        tags=", ".join(t.name for t in article.tags),
        featured=", ".join(_product_slugs([f.product_id for f in article.featured])),
    )


def _product_slugs(ids):
    if not ids:
        return []
    slugs = dict(db.session.execute(
        select(Product.id, Product.slug).where(Product.id.in_(ids))).all())
    return [slugs[i] for i in ids if i in slugs]


def _featured_product_ids(slugs):
    found = {}
    if slugs:
        found = dict(db.session.execute(
            select(Product.slug, Product.id).where(Product.slug.in_(slugs))).all())
    missing = [s for s in slugs if s not in found]
    return [found[s] for s in slugs if s in found], missing


@transactional
def save_article(article_id, data, author_id=None):
    """Create (article_id None) or update an article from the form; its state is left
    as it was. Raises InvalidArticle naming each field that is wrong."""
    article = Article() if article_id is None else get_article(article_id)
    errors = {}
    title = data.title.strip()
    if not title:
        errors["title"] = "Give the article a title."
    slug = (data.slug.strip().lower() or slugify(title, 120))
    if not SLUG.match(slug or ""):
        errors["slug"] = ("The web address may use lower-case letters, digits and single "
                          "hyphens only.")
    elif db.session.scalar(select(Article.id).where(Article.slug == slug,
                                                    Article.id != (article.id or 0))):
        errors["slug"] = f"Another article already uses the web address {slug!r}."
    tag_names = list(dict.fromkeys(_split(data.tags)))
    if any(not slugify(name) for name in tag_names):
        errors["tags"] = "Each tag needs at least one letter or digit."
    elif any(len(name) > 60 for name in tag_names):
        errors["tags"] = "Tags are at most 60 characters each."
    featured_slugs = list(dict.fromkeys(s.lower() for s in _split(data.featured)))
    featured_ids, missing = _featured_product_ids(featured_slugs)
    if missing:
        errors["featured"] = "No product has the web address " + ", ".join(
            repr(s) for s in missing) + "."
    cover = data.cover_image.strip()
    if photo_url_problem(cover):
        errors["cover_image"] = ("The cover image must be a path on this shop or an "
                                 "https:// address.")
    elif cover and not data.cover_alt.strip():
        errors["cover_alt"] = ("Describe what the cover image shows, for readers who cannot "
                               "see it.")
    if errors:
        raise InvalidArticle(errors=errors)

    article.title = title
    article.slug = slug
    article.summary = data.summary.strip()
    article.body = data.body.replace("\r\n", "\n")
    article.cover_image = cover
    article.cover_alt = data.cover_alt.strip()
    if article_id is None:
        article.author_id = author_id
        db.session.add(article)
    by_slug = {}
    for tag in article.tags:
        by_slug[tag.slug] = tag
    wanted = {}
    for name in tag_names:
        wanted.setdefault(slugify(name), name)
    article.tags = [by_slug.get(s) or ArticleTag(slug=s, name=n) for s, n in wanted.items()]
    for tag in article.tags:
        tag.name = wanted[tag.slug]
    current = {f.product_id: f for f in article.featured}
    article.featured = [current.get(pid) or ArticleProduct(product_id=pid)
                        for pid in featured_ids]
    for position, item in enumerate(article.featured):
        item.position = position
    mentioned = markdown.render(article.body).product_slugs
    existing = {m.product_slug: m for m in article.mentions}
    article.mentions = [existing.get(s) or ArticleMention(product_slug=s) for s in mentioned]
    db.session.flush()
    return article


@transactional
def publish(article_id, now=None):
    """Publish an article now (also brings a scheduled one forward)."""
    article = get_article(article_id)
    article.publish_at = now or utcnow()
    return article


@transactional
def schedule(article_id, when, now=None):
    """Set an article to publish at `when` (aware, in the future).

    Raises InvalidSchedule for a time that has already passed.
    """
    now = now or utcnow()
    if when <= now:
        raise InvalidSchedule("Choose a time in the future; to publish now, use Publish.")
    article = get_article(article_id)
    article.publish_at = when
    return article


@transactional
def unpublish(article_id):
    """Take an article back to draft; it disappears from the blog, feed and sitemap."""
    article = get_article(article_id)
    article.publish_at = None
    return article


def preview(body):
    """The body as shoppers would see it, with a note where a product card is left out."""
    rendered = markdown.render(body)
    by_slug, _ = _cards_by_slug_and_id(rendered.product_slugs, [], include_unpublished=True)
    return rendered, by_slug


@dataclass
class StaffRow:
    article: Article
    state: str
    clicks: int


def staff_list(now=None):
    """Every article, newest first, with its state and product clicks."""
    now = now or utcnow()
    articles = db.session.scalars(
        select(Article).order_by(Article.publish_at.desc().nulls_first(), Article.id.desc())
    ).all()
    clicks = dict(db.session.execute(
        select(ArticleClick.article_id, func.count()).group_by(ArticleClick.article_id)).all())
    return [StaffRow(a, a.state(now), clicks.get(a.id, 0)) for a in articles]


@dataclass
class LinkProblem:
    article: Article
    product_slug: str
    problem: str  # missing | unpublished | sold_out
    where: str  # body | featured
    product: Product | None = None


def link_report():
    """Links from articles (body shortcodes and featured blocks) to products that are
    missing, unpublished or sold out, article by article."""
    articles = db.session.scalars(
        select(Article).options(selectinload(Article.mentions), selectinload(Article.featured))
        .order_by(Article.title, Article.id)
    ).all()
    slugs = {m.product_slug for a in articles for m in a.mentions}
    ids = {f.product_id for a in articles for f in a.featured}
    products = db.session.scalars(
        select(Product).where(or_(Product.slug.in_(slugs), Product.id.in_(ids)))
    ).all() if slugs or ids else []
    by_slug, _ = _cards_by_slug_and_id(slugs, ids, include_unpublished=True)
    known = {p.slug: p for p in products}
    slug_of = {p.id: p.slug for p in products}
    problems = []
    for article in articles:
        links = [(m.product_slug, "body") for m in article.mentions]
        links += [(slug_of[f.product_id], "featured") for f in article.featured]
        for slug, where in links:
            product = known.get(slug)
            card = by_slug.get(slug)
            if product is None:
                problems.append(LinkProblem(article, slug, "missing", where))
            elif not product.published:
                problems.append(LinkProblem(article, slug, "unpublished", where, product))
            elif card is None or card.available <= 0:
                # No variants at all is as unbuyable as sold out.
                problems.append(LinkProblem(article, slug, "sold_out", where, product))
    return problems


# -- moderation (staff) ---------------------------------------------------------------

@dataclass
class Queue:
    comments: list
    status: str
    counts: dict
    page: int
    pages: int


def moderation_queue(status="pending", page=1, per_page=50):
    """Comments in one status, oldest pending first (newest first otherwise), with
    how many comments each status holds."""
    if status not in COMMENT_STATUSES:
        status = "pending"
    counts = dict.fromkeys(COMMENT_STATUSES, 0) | dict(db.session.execute(
        select(Comment.status, func.count()).group_by(Comment.status)).all())
    order = (Comment.created_at, Comment.id) if status == "pending" else (
        Comment.created_at.desc(), Comment.id.desc())
    pages = max(math.ceil(counts[status] / per_page), 1)
    page = min(max(page, 1), pages)
    comments = db.session.scalars(
        select(Comment).where(Comment.status == status)
        .options(selectinload(Comment.article))
        .order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    for comment in comments:
        comment.html = markdown.render_comment(comment.body)
    return Queue(comments, status, counts, page, pages)


@transactional
def moderate(comment_ids, action, staff_id, now=None):
    """Approve, reject or mark as spam the given comments; returns how many changed.

    Raises InvalidModeration for an unknown action or an empty selection.
    """
    if action not in MODERATION_ACTIONS:
        raise InvalidModeration("Choose approve, reject or spam.")
    # An id no comment can have (a forged form) matches nothing, like an unknown one.
    ids = sorted({i for i in map(int, comment_ids) if 0 < i <= MAX_ID})
    if not ids:
        raise InvalidModeration("Tick at least one comment first.")
    status = MODERATION_ACTIONS[action]
    result = db.session.execute(
        update(Comment).where(Comment.id.in_(ids), Comment.status != status)
        .values(status=status, moderated_at=now or utcnow(), moderated_by_id=staff_id)
    )
    return result.rowcount


# -- shop pages (shipping, returns, privacy...) --------------------------------------

class PageNotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, what="That page"):
        super().__init__(f"{what} does not exist.")


class InvalidPage(InvalidArticle):
    """The page form has a problem; `errors` maps field names to messages."""

    code = "invalid_page"


@dataclass
class ShownPage:
    page: ShopPage
    html: str
    questions: list = field(default_factory=list)  # markdown.Question, for FAQPage data


def shop_page(slug):
    """A shop page with its body as clean HTML; raises PageNotFound."""
    page = db.session.scalar(select(ShopPage).where(ShopPage.slug == slug))
    if page is None:
        raise PageNotFound()
    rendered = markdown.render(page.body)
    html = Markup(rendered.html)  # noqa: S704 (nh3-cleaned HTML)  # nosec B704
    return ShownPage(page, html, rendered.questions)


def footer_pages():
    """(slug, title) of every shop page, in footer order."""
    return db.session.execute(
        select(ShopPage.slug, ShopPage.title).order_by(ShopPage.position, ShopPage.id)
    ).all()


def staff_pages():
    """Every shop page for the back office, in footer order."""
    return db.session.scalars(select(ShopPage).order_by(ShopPage.position, ShopPage.id)).all()


def get_page(page_id):
    """A shop page for editing; raises PageNotFound."""
    page = db.session.get(ShopPage, page_id) if 0 < page_id <= MAX_ID else None
    if page is None:
        raise PageNotFound(f"Page {page_id}")
    return page


@dataclass
class PageInput:
    """What the page form sends."""

    title: str
    slug: str
    summary: str
    body: str
    position: int = 0


@transactional
def save_page(page_id, data):
    """Create (page_id None) or update a shop page from the form. Raises InvalidPage
    naming each field that is wrong."""
    page = ShopPage() if page_id is None else get_page(page_id)
    errors = {}
    title = data.title.strip()
    if not title:
        errors["title"] = "Give the page a title."
    slug = data.slug.strip().lower() or slugify(title, 80)
    if not SLUG.match(slug or "") or len(slug) > 80:
        errors["slug"] = ("The web address may use lower-case letters, digits and single "
                          "hyphens only, at most 80 characters.")
    elif db.session.scalar(select(ShopPage.id).where(ShopPage.slug == slug,
                                                     ShopPage.id != (page.id or 0))):
        errors["slug"] = f"Another page already uses the web address {slug!r}."
    if not -1000 <= data.position <= 1000:
        errors["position"] = "The footer position is a number from -1000 to 1000."
    if errors:
        raise InvalidPage(errors=errors)
    page.title = title
    page.slug = slug
    page.summary = data.summary.strip()
    page.body = data.body.replace("\r\n", "\n")
    page.position = data.position
    if page_id is None:
        db.session.add(page)
    db.session.flush()
    return page
