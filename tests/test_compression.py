"""Compressed answers: cached pages leave the cache as gzip without a compressor run,
everything else a view answers with is compressed by Flask-Compress."""

import gzip
import re
import zlib

import brotli
import pytest
from flask import g
from flask_compress import flask_compress

from storefront import compression
from tests.test_pagecache import listening, ready, watcher_current  # noqa: F401 (fixture)

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def compressions(monkeypatch):
    """Every run of a compressor while the test runs: zlib's, and Flask-Compress's."""
    runs = []
    real_compressobj, real_compress_data = zlib.compressobj, flask_compress._compress_data

    def compressobj(*args, **kwargs):
        runs.append("zlib")
        return real_compressobj(*args, **kwargs)

    def compress_data(*args, **kwargs):
        runs.append("flask-compress")
        return real_compress_data(*args, **kwargs)

    monkeypatch.setattr(zlib, "compressobj", compressobj)
    monkeypatch.setattr(flask_compress, "_compress_data", compress_data)
    return runs


def text_of(response):
    assert response.headers["Content-Encoding"] == "gzip"
    return gzip.decompress(response.data).decode()


def test_a_cached_page_is_sent_as_gzip_that_reads_as_the_plain_page(client, make_product):
    product = make_product([5], title="Gzip Runner")
    plain = client.get("/products")
    packed = client.get("/products", headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 2
    assert text_of(packed) == plain.get_data(as_text=True)
    assert product.title in text_of(packed)


def test_a_cache_hit_runs_no_compressor(app, make_product, compressions):
    product = make_product([5])
    url = f"/products/{product.slug}"
    first = app.test_client().get(url, headers=GZIP)
    assert compressions  # stored: its text deflated once
    compressions.clear()
    again = app.test_client().get(url, headers=GZIP)
    assert compressions == []
    assert text_of(again) == text_of(first)


def test_a_cached_page_with_a_form_carries_the_visitors_token_and_cart(app, make_product):
    product = make_product([5])
    url = f"/products/{product.slug}?size=6&width=M&colour=navy"
    app.test_client().get(url, headers=GZIP)  # cached now
    g.pop("csrf_token", None)  # tests share one app context; two browsers would not
    with app.test_client() as visitor:
        page = text_of(visitor.get(url, headers=GZIP))
        added = visitor.post("/cart/add", data={
            "csrf_token": TOKEN.search(page).group(1), "variant_id": product.variants[0].id,
            "quantity": 2})
        assert added.status_code == 303
        page = text_of(visitor.get(url, headers=GZIP))
    assert '<span class="cart-count">2</span>' in page


def test_an_unchanged_cached_page_answers_304_to_its_gzip_etag(app, make_product):
    product = make_product([5])
    url = f"/products/{product.slug}.json"
    packed = app.test_client(use_cookies=False).get(url, headers=GZIP)
    plain = app.test_client(use_cookies=False).get(url)
    assert packed.headers["ETag"] != plain.headers["ETag"]  # two representations
    again = app.test_client(use_cookies=False).get(
        url, headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_pages_outside_the_cache_are_compressed_by_the_middleware(client, login_as):
    login_as("warehouse")
    page = client.get("/staff/inventory", headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "Inventory" in brotli.decompress(page.data).decode()
    assert page.headers["Cache-Control"] == "no-store"  # still a personal page
    gzipped = client.get("/staff/inventory", headers={"Accept-Encoding": "gzip"})
    assert "Inventory" in gzip.decompress(gzipped.data).decode()


def test_a_client_that_asks_for_no_compression_gets_none(client, make_product):
    make_product([5])
    for headers in ({}, {"Accept-Encoding": "identity"}):
        page = client.get("/products", headers=headers)
        assert "Content-Encoding" not in page.headers, headers
        assert "<html" in page.get_data(as_text=True)


@pytest.mark.real_commits  # the watcher reads what is committed
def test_ready_pages_leave_gzip_and_run_no_compressor(app, make_product, listening,  # noqa: F811
                                                      compressions):
    product = make_product([9, 4])
    url = f"/products/{product.slug}?size=6&width=M&colour=navy"  # a page with a form
    first = ready(app, url, **GZIP)
    assert watcher_current(listening)
    compressions.clear()
    tokens = []
    for _ in range(2):
        g.pop("csrf_token", None)  # tests share one app context; two browsers would not
        page = ready(app, url, **GZIP)
        assert page.headers["Content-Encoding"] == "gzip"
        assert page.headers["Vary"] == first.headers["Vary"]
        tokens.append(TOKEN.search(text_of(page)).group(1))
    assert compressions == []
    assert tokens[0] != tokens[1]
    assert TOKEN.sub("", text_of(first)) == TOKEN.sub("", text_of(page))


def test_gzip_parts_join_into_one_valid_stream():
    texts = [b"<p>" * 30000, b"", b"tail" * 5]
    fills = [b"x" * 70000, b"token"]  # longer than one stored block, and short
    packed = compression.GzipParts(texts).body(fills)
    reader = zlib.decompressobj(31)
    assert reader.decompress(packed) == texts[0] + fills[0] + texts[1] + fills[1] + texts[2]
    assert reader.eof and reader.unused_data == b""
