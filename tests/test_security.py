"""Secure defaults on every response, database outages, logs without personal data."""

import json
import logging

import pytest
from sqlalchemy.exc import OperationalError

from storefront.logs import JsonFormatter


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
