"""A product whose variants differ by an option that is not size, width or colour (as
a Shopify import brings them): the option is a picker group a shopper can use on a phone,
by keyboard, with the page still fitting 320 px and passing axe."""

from sqlalchemy import select

from storefront.catalogue.models import Variant
from storefront.extensions import db
from storefront.shopify.csvfile import parse_products
from storefront.shopify.service import import_products
from tests.browser.conftest import serious_violations
from tests.browser.test_reflow import overflow

CLOGS = (
    b"Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
    b"Variant SKU,Variant Price,Variant Inventory Qty\n"
    b"orchard-clog,Orchard Clog,Size,9,Material,Leather,OC-9-LEA,80.00,3\n"
    b"orchard-clog,,,9,,Cork,OC-9-COR,70.00,8\n"
)


def _import_clogs(app):
    with app.app_context():
        import_products(parse_products(CLOGS))
        cork = db.session.scalars(select(Variant).where(Variant.sku == "OC-9-COR")).one().id
        db.session.remove()
    return cork


def test_a_material_group_is_chosen_by_keyboard_and_the_page_reflows(shop, page):
    app, url = shop
    cork = _import_clogs(app)
    page.goto(url + "/products/orchard-clog")
    assert page.locator(".options-attribute legend").inner_text() == "Material"
    assert not overflow(page)
    assert serious_violations(page) == []

    # Size, width and colour have one value each; the keyboard picks them and the material.
    for name in ("size", "width", "colour"):
        page.locator(f"input[name={name}]").first.focus()
        page.keyboard.press("Space")
    page.locator("input[name='option.Material'][value=Leather]").focus()
    page.keyboard.press("ArrowDown")  # to Cork, the next radio of the group
    page.wait_for_selector("#selection form.add-to-cart")
    assert "Material: Cork" in page.locator("#selection strong").inner_text()
    assert page.locator("#selection input[name=variant_id]").get_attribute("value") == str(cork)
    assert "option.Material=Cork" in page.url
    assert not overflow(page)
    assert serious_violations(page) == []
