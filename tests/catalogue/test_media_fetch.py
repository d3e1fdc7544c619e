"""`flask media fetch`: imported photo addresses downloaded into storage, with a summary;
the ones that fail keep showing from their address."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from storefront.catalogue.models import ProductImage
from storefront.extensions import db
from tests.media.images import GPS_IFD, opened, photo

pytestmark = pytest.mark.real_commits  # the command's transactions commit for real

FILES = {"/shoe.jpg": ("image/jpeg", photo(1200, 800, gps=True)),
         "/notes.txt": ("text/plain", b"Not a picture at all")}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        if self.path not in FILES:
            self.send_error(404)
            return
        kind, body = FILES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def add_imported(product, address, alt, position):
    image = ProductImage(product_id=product.id, path=address, alt=alt, position=position)
    db.session.add(image)
    db.session.commit()
    return image.id


def test_fetch_stores_imported_photos_and_reports_the_ones_that_failed(
        app, runner, client, make_product, image_server, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    product = make_product(title="Imported Walker")
    good = add_imported(product, f"{image_server}/shoe.jpg", "Walker from the side", 1)
    missing = add_imported(product, f"{image_server}/gone.jpg", "Walker, back", 2)
    text_file = add_imported(product, f"{image_server}/notes.txt", "Walker, top", 3)

    result = runner.invoke(args=["media", "fetch"])
    assert result.exit_code == 1, result.output
    assert "Fetching 3 imported photos into storage." in result.output
    assert "Photos" in result.output  # the progress bar's label
    assert "Stored 1 photo; 2 failed; 0 changed meanwhile" in result.output
    assert f"{image_server}/gone.jpg: the server answered 404" in result.output
    assert f"{image_server}/notes.txt: This file is not a photo" in result.output
    assert "2 photos could not be fetched" in result.output

    db.session.expire_all()
    stored = db.session.get(ProductImage, good)
    assert stored.is_stored and stored.source_url == f"{image_server}/shoe.jpg"
    assert (stored.width, stored.height, stored.alt) == (1200, 800, "Walker from the side")
    files = list((tmp_path / "media").iterdir())
    assert {f.name for f in files} == {r["name"] for r in stored.renditions}
    assert all(not opened(f.read_bytes()).getexif().get_ifd(GPS_IFD) for f in files)
    for failed in (missing, text_file):
        assert db.session.get(ProductImage, failed).path.startswith(image_server)

    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert f'src="/media/{stored.path}"' in page and 'width="1200" height="800"' in page
    assert f'src="{image_server}/gone.jpg"' in page

    # Run again: only the two that failed are tried.
    again = runner.invoke(args=["media", "fetch"])
    assert "Fetching 2 imported photos" in again.output
    assert "Stored 0 photos; 2 failed" in again.output


def test_fetch_with_nothing_imported_says_so(app, runner, make_product, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    make_product()  # its photo is a static file of the shop, nothing to fetch
    result = runner.invoke(args=["media", "fetch"])
    assert result.exit_code == 0
    assert "Every photo is stored already: nothing to fetch." in result.output
