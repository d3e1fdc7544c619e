"""Static files: hashed names cached for good, gzip and brotli made once by the build,
plain names with a short cache when there is no build or it went stale."""

import gzip
import json
import shutil

import brotli
import pytest

from storefront import assets, create_app
from storefront.config import ROOT
from storefront.extensions import db
from tests.conftest import base_config

SOURCE = ROOT / "static"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    target = tmp_path_factory.mktemp("assets") / "static"
    return target, assets.build(SOURCE, target)


@pytest.fixture
def built_app(built, database_url):
    """An app serving the build (a second app: it commits for real)."""
    app = create_app({**base_config(database_url), "STATIC_BUILD_DIR": str(built[0])})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_build_writes_hashed_copies_with_gzip_and_brotli(built):
    target, manifest = built
    hashed = manifest["css/shop.css"]
    assert assets.HASHED.search(hashed) and hashed.startswith("css/shop.")
    original = (SOURCE / "css/shop.css").read_bytes()
    assert (target / hashed).read_bytes() == original
    assert gzip.decompress((target / (hashed + ".gz")).read_bytes()) == original
    assert brotli.decompress((target / (hashed + ".br")).read_bytes()) == original
    assert json.loads((target / assets.MANIFEST).read_text()) == manifest
    assert set(manifest) == {p.relative_to(SOURCE).as_posix()
                             for p in SOURCE.rglob("*") if p.is_file()}


@pytest.mark.real_commits  # a second app
def test_pages_link_hashed_names_served_for_a_year_and_compressed(built, built_app):
    _, manifest = built
    client = built_app.test_client()
    page = client.get("/").get_data(as_text=True)
    hashed = "/static/" + manifest["css/shop.css"]
    assert f'href="{hashed}"' in page and 'href="/static/css/shop.css"' not in page
    plain = client.get(hashed)
    assert plain.status_code == 200
    assert plain.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.data == (SOURCE / "css/shop.css").read_bytes()
    br = client.get(hashed, headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["Content-Encoding"] == "br" and "Accept-Encoding" in br.headers["Vary"]
    assert brotli.decompress(br.data) == plain.data and len(br.data) < len(plain.data) / 3
    gz = client.get(hashed, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data
    again = client.get(hashed, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.real_commits  # a second app
def test_a_plain_name_is_cached_for_a_minute_only(built_app):
    plain = built_app.test_client().get("/static/css/shop.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "max-age=60, public"


def test_without_a_build_static_files_keep_their_names(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/static/css/shop.css"' in page
    css = client.get("/static/css/shop.css")
    assert css.status_code == 200 and "immutable" not in css.headers["Cache-Control"]
    assert client.get("/static/css/nothing-here.css").status_code == 404


def test_a_build_older_than_an_edit_of_static_is_left_aside(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source)
    assets.build(source, tmp_path / "out")
    assert assets.current_manifest(source, tmp_path / "out")
    with (source / "css/shop.css").open("a") as css:
        css.write("\n.new-rule { color: inherit; }\n")
    assert assets.current_manifest(source, tmp_path / "out") is None
    (source / "img/new.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assets.build(source, tmp_path / "out")  # building again brings it back
    manifest = assets.current_manifest(source, tmp_path / "out")
    assert "img/new.svg" in manifest


def test_a_new_build_keeps_the_hashed_files_earlier_pages_and_mails_name(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source)
    first = assets.build(source, tmp_path / "out")["css/shop.css"]
    (source / "css/shop.css").write_text("body { color: black; }\n")
    second = assets.build(source, tmp_path / "out")["css/shop.css"]
    assert first != second
    assert (tmp_path / "out" / first).read_bytes() == (SOURCE / "css/shop.css").read_bytes()
    assert (tmp_path / "out" / (first + ".br")).is_file()
    assert (tmp_path / "out" / second).read_text() == "body { color: black; }\n"
    assert assets.current_manifest(source, tmp_path / "out")["css/shop.css"] == second


def test_the_build_command_writes_where_the_setting_says(app, runner, tmp_path):
    app.config["STATIC_BUILD_DIR"] = str(tmp_path / "static")
    result = runner.invoke(args=["assets", "build"])
    assert result.exit_code == 0, result.output
    assert "hashed, with gzip and brotli copies" in result.output
    manifest = json.loads((tmp_path / "static" / assets.MANIFEST).read_text())
    assert (tmp_path / "static" / (manifest["js/filters.js"] + ".br")).is_file()
    app.config["STATIC_BUILD_DIR"] = ""
    result = runner.invoke(args=["assets", "build"])
    assert result.exit_code != 0 and "STATIC_BUILD_DIR is empty" in result.output
