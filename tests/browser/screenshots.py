"""Save screenshots of the main pages at desktop and phone widths into docs/screenshots/.

Run with `python -m tests.browser.screenshots` (or `make screenshots`): it serves a
throwaway shop with the demo data and drives Debian's chromium through Playwright.
"""

import logging
import sys
import tempfile
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, _missing
from tests.browser.steps import add_to_cart, load_demo, set_available, staff_login, start_shop

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_HEIGHT = 2500  # long pages are cut here to keep the images small

PAGES = [
    ("home", "/"),
    ("catalogue", "/products?size=9&width=W"),
    ("product", "/products/harbor-afo-walker?size=9&width=W&colour=black"),
    ("cart", None),
    ("article", "/blog/choosing-shoes-to-wear-with-an-afo"),
    ("author", "/blog/authors/mira-marketing"),
    ("sign-in", "/account/login"),
    ("warehouse", "/staff/inventory"),
    ("product-editor", "/staff/products?q=harbor+afo"),
    ("variant-grid", "/staff/products?q=harbor+afo"),
    ("discount-codes", "/staff/discounts"),  # still the admin of the variant grid
    ("shipping-rates", "/staff/shipping"),
    ("dashboard", "/staff/"),
]


def _shoot(page, path):
    height = min(page.evaluate("() => document.documentElement.scrollHeight"), MAX_HEIGHT)
    width = page.viewport_size["width"]
    page.screenshot(path=path, full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height})


def take(browser, app, url, size_name, viewport):
    """Screenshot every page in PAGES at one viewport; returns the files written."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    written = []
    try:
        for name, path in PAGES:
            if name == "cart":
                add_to_cart(page, url, "harbor-afo-walker", 9, "W", "black")
            elif name == "warehouse":
                staff_login(page, app, url, "warehouse")
                page.goto(url + path)
            elif name == "product-editor":
                page.context.clear_cookies()  # log the warehouse account out
                staff_login(page, app, url, "marketing")
                page.goto(url + path)
                page.get_by_role("link", name="Harbor AFO Walker").first.click()
                page.wait_for_url(lambda u: u.endswith("/edit"))
            elif name == "variant-grid":
                page.context.clear_cookies()
                staff_login(page, app, url, "admin")
                page.goto(url + path)
                page.get_by_role("link", name="Harbor AFO Walker").first.click()
                page.get_by_role("link", name="Variants and prices").click()
                page.wait_for_url(lambda u: u.endswith("/variants"))
            elif name == "dashboard":
                page.context.clear_cookies()
                staff_login(page, app, url, "warehouse")
                page.goto(url + path)
            else:
                page.goto(url + path)
            target = OUT / f"{name}-{size_name}.png"
            _shoot(page, target)
            written.append(target)
    finally:
        context.close()
    return written


def main():
    missing = _missing()
    if missing:
        sys.exit("Cannot take screenshots: " + "; ".join(missing))
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app, url, server = start_shop(Path(tmp) / "shop.sqlite3")
        # One access log line per image request would bury the summary.
        for name in ("werkzeug", "storefront.access"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            load_demo(app)
            # The demo stock is mixed; the pictured option should be one a shopper can buy.
            set_available(app, "HAW-9-W-BLA", 12)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                written = []
                for size_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    written += take(browser, app, url, size_name, viewport)
                browser.close()
        finally:
            server.shutdown()
    total = sum(p.stat().st_size for p in written)
    print(f"Saved {len(written)} screenshots ({total // 1024} KiB) in {OUT}.")


if __name__ == "__main__":
    main()
