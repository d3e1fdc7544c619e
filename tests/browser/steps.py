"""Steps shared by the browser tests and the screenshot script: serving the shop,
staff login, stock set-up and the shopper's path to a paid order."""

import threading

from flask_migrate import stamp
from sqlalchemy import select
from werkzeug.serving import make_server

from storefront import create_app
from storefront.catalogue.models import Product, Variant
from storefront.extensions import db, limiter
from storefront.inventory import service as inventory
from storefront.staff import demo as staff_demo
from tests.conftest import base_config

ADDRESS = {"#addr-name": "Rosa Marsh", "#addr-line1": "12 Elm Street",
           "#addr-city": "Portland", "#addr-state": "OR", "#addr-postal_code": "97201",
           "#addr-email": "rosa@example.com"}


def start_shop(path):
    """Serve a new shop on a free localhost port on a thread; returns (app, url, server)."""
    # The browser asks for 127.0.0.1; links in the pages still name PUBLIC_URL.
    app = create_app(base_config(f"sqlite:///{path}")
                     | {"TESTING": False, "TRUSTED_HOSTS": "127.0.0.1",
                        "MEDIA_ROOT": str(path.parent / "media")})
    with app.app_context():
        db.create_all()
        stamp()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, f"http://127.0.0.1:{server.server_port}", server


def load_demo(app):
    """Empty the shop's database and load the demo data into it."""
    # A rebuilt database starts its ledger ids again, so cached pages from the last
    # test could carry the same stock versions: start with an empty page cache.
    app.extensions["page_cache"].clear()
    # Rate limits count per client address, and every test comes from 127.0.0.1.
    limiter.reset()
    with app.app_context():
        db.drop_all()
        db.create_all()
        stamp()
        app.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
        db.session.remove()


def product_id(app, slug):
    with app.app_context():
        found = db.session.scalar(select(Product.id).filter_by(slug=slug))
        db.session.remove()
    return found


def variant_id(app, sku):
    with app.app_context():
        found = db.session.scalar(select(Variant.id).filter_by(sku=sku))
        db.session.remove()
    return found


def set_available(app, sku, units):
    """Adjust on hand so exactly `units` of the variant are available; returns its id."""
    vid = variant_id(app, sku)
    with app.app_context():
        now = inventory.levels([vid])[vid].available
        if now != units:
            inventory.adjust(vid, units - now, "correction", actor="tests")
        db.session.remove()
    return vid


def staff_login(page, app, url, role):
    """Log in as the demo account for `role` through the login form."""
    email = f"{role}@demo.shop"
    with app.app_context():
        password = staff_demo.demo_password(email)
    page.goto(url + "/staff/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.staff-form button[type=submit]")
    page.wait_for_url(lambda u: "/staff/login" not in u)


def add_to_cart(page, url, slug, size, width, colour, quantity=1):
    page.goto(f"{url}/products/{slug}?size={size}&width={width}&colour={colour}")
    page.fill("#add-quantity", str(quantity))
    page.click("form.add-to-cart button[type=submit]")
    page.wait_for_url(lambda u: "/cart" in u)


def check_out_and_pay(page):
    """From the cart: check out, fill the address on the demo payment page, Pay."""
    page.click("text=Check out")
    page.wait_for_url(lambda u: "/checkout/demo/" in u)
    for selector, value in ADDRESS.items():
        page.fill(selector, value)
    page.click("form.address-form button[type=submit]")
    page.wait_for_url(lambda u: "/orders/" in u)
