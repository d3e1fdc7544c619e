"""Builders for articles and staff authors."""

from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from storefront.articles import service
from storefront.extensions import db
from storefront.models import utcnow
from storefront.staff.models import StaffUser


@pytest.fixture
def make_author(app):
    def build(email="writer@example.com", role="marketing", name="Rosa Lindqvist",
              bio="Rosa writes about walking."):
        user = StaffUser(email=email, role=role, display_name=name, bio=bio,
                         password_hash=generate_password_hash("a long enough password"))
        db.session.add(user)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_article(app):
    """make_article(title, body, state="published"|"draft"|"scheduled", ...)."""

    def build(title="Walking with a brace", body="Some words.", *, state="published",
              slug="", summary="A summary.", tags="", featured="", author=None,
              published_ago=timedelta(days=1)):
        article = service.save_article(
            None,
            service.ArticleInput(title=title, slug=slug, summary=summary, body=body,
                                 tags=tags, featured=featured),
            author_id=author.id if author else None,
        )
        if state == "published":
            service.publish(article.id, now=utcnow() - published_ago)
        elif state == "scheduled":
            service.schedule(article.id, utcnow() + timedelta(hours=2))
        return article

    return build
