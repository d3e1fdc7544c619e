"""Photos in a real browser: marketing adds a phone photo to a shoe in the editor and a
shopper sees it on the product page at phone width, with no location left in the file."""

import re
import urllib.request

from tests.browser.conftest import serious_violations
from tests.browser.steps import product_id, staff_login
from tests.media.images import GPS_IFD, opened, photo

NARROW = {"width": 320, "height": 700}
ALT = "Black walking shoe from the side, heel strap open"


def _overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_marketing_adds_a_photo_and_shoppers_see_it_at_phone_width(shop, page, context,
                                                                   tmp_path):
    app, url = shop
    pid = product_id(app, "harbor-afo-walker")
    upload = tmp_path / "IMG_0412.JPG"
    upload.write_bytes(photo(2400, 1800, gps=True, orientation=1))
    found = {}
    staff_login(page, app, url, "marketing")

    page.goto(f"{url}/staff/products/{pid}/edit")
    page.click("main a[href$='/photos']")
    page.wait_for_url(re.compile(r"/photos$"))
    found["photos"] = serious_violations(page)
    # Without a description the photo is refused at the field, and nothing is kept.
    page.set_input_files("#photo", str(upload))
    page.click("text=Upload photo")
    assert "Describe what the photo shows" in page.locator("#alt-error").inner_text()
    found["photos with an error"] = serious_violations(page)

    page.set_input_files("#photo", str(upload))
    page.fill("#alt", ALT)
    page.select_option("#colour", label="Black")
    page.click("text=Upload photo")
    page.wait_for_url(re.compile(r"/photos$"))
    assert f"Added “{ALT}” as photo" in page.locator(".flash-success").inner_text()
    # Last of the product's photos; moved first, it becomes the picture on cards.
    page.locator("li.photo-item").last.locator("button", has_text="Make first").click()
    assert "to position 1" in page.locator(".flash-success").inner_text()

    page.set_viewport_size(NARROW)
    page.reload()
    found["photos at 320 px"] = serious_violations(page)
    assert _overflow(page) <= 0, "the photos page scrolls sideways at 320 px"

    shopper = context.browser.new_context(viewport=NARROW, bypass_csp=True)
    try:
        buyer = shopper.new_page()
        buyer.goto(url + "/products/harbor-afo-walker?size=9&width=W&colour=black")
        picture = buyer.locator(f".gallery img[alt='{ALT}']")
        picture.wait_for()
        buyer.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                arg=picture.element_handle())
        shown = picture.evaluate("img => ({src: img.currentSrc, width: img.naturalWidth, "
                                 "box: img.getBoundingClientRect().width})")
        # At 320 px the browser picks a narrow WebP, not the 1600 px file.
        assert re.search(r"/media/[0-9a-f]{20}-(320|640|960)w\.webp$", shown["src"]), shown
        assert shown["box"] <= NARROW["width"]
        assert picture.get_attribute("width") == "1600"
        assert picture.get_attribute("height") == "1200"
        assert buyer.locator(".gallery img").first.get_attribute("alt") == ALT
        found["product page at 320 px"] = serious_violations(buyer)
        assert _overflow(buyer) <= 0
        with urllib.request.urlopen(shown["src"]) as response:  # noqa: S310 (the local shop)
            assert "immutable" in response.headers["Cache-Control"]
            assert not opened(response.read()).getexif().get_ifd(GPS_IFD)
        buyer.goto(url + "/products?q=harbor")
        assert buyer.locator(".card img").first.evaluate("img => img.currentSrc").endswith(
            ".webp")
    finally:
        shopper.close()
    assert {name: v for name, v in found.items() if v} == {}
