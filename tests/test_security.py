"""Secure defaults on every response, database outages, logs without personal data."""

import json
import logging

import pytest
from sqlalchemy.exc import OperationalError

from storefront.logs import JsonFormatter


@pytest.fixture
def article(app):
    """A published article to comment on."""
    from datetime import timedelta

    from storefront.articles import service
    from storefront.models import utcnow

    saved = service.save_article(None, service.ArticleInput(
        title="Lacing with one hand", slug="", summary="A summary.", body="Some words.",
        tags="", featured=""))
    service.publish(saved.id, now=utcnow() - timedelta(days=1))
    return saved



def test_security_headers_on_every_page(client):
    response = client.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_behind_an_https_proxy(app):
    from storefront import create_app
    from tests.conftest import base_config

    proxied = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"])
                         | {"TRUSTED_PROXY_COUNT": 1})
    response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    untrusted = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in untrusted.headers


def test_oversized_request_is_413(client):
    response = client.post("/cart/add", data={"variant_id": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


@pytest.mark.fresh_app
def test_database_outage_is_a_clear_503_page(app, client):
    @app.get("/needs-db")
    def needs_db():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    response = client.get("/needs-db")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "cannot reach its database" in body
    assert "Traceback" not in body and "connection refused" not in body


def test_json_log_lines_carry_request_id_and_mask_order_tokens(app):
    formatter = JsonFormatter()
    with app.test_request_context("/orders/secret-token-123?email=a@b.example"):
        from flask import g
        g.request_id = "req-12345678"
        record = logging.LogRecord("storefront.access", logging.INFO, __file__, 1,
                                   "GET %s", ("/x",), None)
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "req-12345678"
    assert "secret-token-123" not in json.dumps(line)
    assert "a@b.example" not in json.dumps(line)



def test_a_database_error_never_logs_what_the_visitor_sent(client, caplog, monkeypatch, article):
    from sqlalchemy import text

    from storefront.articles import service
    from storefront.extensions import db


    def broken_add_comment(slug, name, email, body):
        # An unforeseen database error while the comment is written.
        db.session.execute(text("INSERT INTO staff_user (email) VALUES (:email)"),
                           {"email": email})

    monkeypatch.setattr(service, "add_comment", broken_add_comment)
    page = f"/blog/{article.slug}"
    with caplog.at_level(logging.ERROR):
        response = client.submit(page, f"{page}/comments", {
            "name": "Ann", "email": "private.person@example.com", "body": "A private remark."})
    assert response.status_code == 500
    assert "INSERT INTO staff_user" in caplog.text  # the error itself is logged
    assert "private.person@example.com" not in caplog.text


def test_pages_with_personal_data_are_never_stored_by_a_cache(client, make_product, login_as):
    from tests.checkout.conftest import check_out

    variant = make_product(stock=[3]).variants[0]
    public = client.get(f"/products/{variant.product.slug}")
    assert "no-store" not in public.headers.get("Cache-Control", "")
    response = check_out(client, (variant, 1))
    token = response.headers["Location"].rsplit("/", 1)[1]
    for page in (f"/checkout/demo/{token}", f"/orders/{token}"):
        assert client.get(page).headers["Cache-Control"] == "no-store", page
    login_as("warehouse")
    for page in ("/staff/", "/staff/inventory", f"/staff/inventory/{variant.id}"):
        assert client.get(page).headers["Cache-Control"] == "no-store", page


def test_the_trusted_hosts_default_to_public_url_and_localhost_only_in_development():
    from storefront.security import trusted_hosts

    assert trusted_hosts({"PUBLIC_URL": "https://shop.example"}) == ["shop.example"]
    assert trusted_hosts({"PUBLIC_URL": "http://127.0.0.1:8000"}) == ["127.0.0.1", "localhost"]
    assert "localhost" in trusted_hosts({"PUBLIC_URL": "https://shop.example", "DEBUG": True})
    assert trusted_hosts({"PUBLIC_URL": "https://shop.example",
                          "TRUSTED_HOSTS": "shop.example, www.shop.example"}) == [
        "shop.example", "www.shop.example"]


def test_a_shop_behind_a_proxy_checks_the_forwarded_host(app):
    from storefront import create_app
    from tests.conftest import base_config

    proxied = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"])
                         | {"TRUSTED_PROXY_COUNT": 1, "TESTING": False})
    client = proxied.test_client()
    assert client.get("/healthz", headers={"X-Forwarded-Host": "shop.test"}).status_code == 200
    forged = client.get("/healthz", headers={"X-Forwarded-Host": "attacker.example"})
    assert forged.status_code == 400
