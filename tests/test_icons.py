"""Icons: every page names the favicon, the touch icon and the manifest, and each of
them is there, of the size it claims."""

import re
import struct

import pytest

LINKS = re.compile(r'<link rel="(icon|apple-touch-icon|manifest)" href="([^"]+)"')


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("url", ["/", "/products", "/cart", "/blog", "/staff/login",
                                 "/account/login", "/no-such-page"])
def test_every_page_head_names_the_icons_and_they_answer(client, url):
    page = client.get(url)
    head = page.get_data(as_text=True).split("</head>")[0]
    links = LINKS.findall(head)
    assert [rel for rel, _ in links] == ["icon", "icon", "apple-touch-icon", "manifest"], url
    assert '<meta name="theme-color"' in head
    types = {}
    for _rel, href in links:
        answer = client.get(href)
        assert answer.status_code == 200, href
        types[href] = answer.mimetype
    assert sorted(types.values()) == sorted([
        "image/vnd.microsoft.icon", "image/svg+xml", "image/png", "application/manifest+json"])


def test_the_touch_icon_is_180_pixels_square(client):
    href = dict((rel, h) for rel, h in LINKS.findall(client.get("/").get_data(as_text=True)))
    assert png_size(client.get(href["apple-touch-icon"]).data) == (180, 180)


def test_the_manifest_names_the_shop_and_icons_of_the_sizes_it_states(app, client):
    manifest = client.get("/site.webmanifest")
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    data = manifest.get_json(force=True)
    assert data["name"] == app.config["SHOP_NAME"] and data["start_url"] == "/"
    assert data["theme_color"] == "#1f3a64"
    purposes = set()
    for icon in data["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = png_size(image.data)
            assert icon["sizes"] == f"{width}x{height}"
        purposes.add(icon["purpose"])
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in data["icons"]}
    assert purposes == {"any", "maskable"}


def test_favicon_ico_holds_the_small_sizes(client):
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
    count = struct.unpack("<H", ico.data[4:6])[0]
    sizes = {(ico.data[6 + 16 * i] or 256) for i in range(count)}
    assert {16, 32} <= sizes
