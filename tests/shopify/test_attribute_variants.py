"""Variants that differ only by an option that is not size, width or colour (material,
heel height): both import, and a shopper can choose and buy either."""

import re

from sqlalchemy import select

from storefront.catalogue.models import Variant
from storefront.checkout.models import Order
from storefront.extensions import db
from tests.checkout.conftest import Pick, check_out

# One clog in one size, width and colour, made in two materials and two heel heights.
CLOGS = (
    "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
    "Option3 Name,Option3 Value,Variant SKU,Variant Price,Variant Inventory Qty\n"
    "orchard-clog,Orchard Clog,Size,9,Material,Leather,Heel height,2 cm,OC-9-LEA-2,80.00,3\n"
    "orchard-clog,,,9,,Cork,,2 cm,OC-9-COR-2,70.00,0\n"
    "orchard-clog,,,9,,Cork,,4 cm,OC-9-COR-4,72.00,2\n"
)


def variant(sku):
    return db.session.scalars(select(Variant).where(Variant.sku == sku)).one()


def import_clogs(runner, tmp_path, *flags):
    path = tmp_path / "clogs.csv"
    path.write_text(CLOGS, "utf-8")
    return runner.invoke(args=["shopify", "import", str(path), *flags])


def test_variants_differing_only_by_attributes_all_import(runner, tmp_path):
    dry = import_clogs(runner, tmp_path, "--dry-run")
    assert "+ variant OC-9-COR-4: size 9, Medium, As pictured, Heel height: 4 cm; " \
        "Material: Cork, 72.00" in dry.output
    result = import_clogs(runner, tmp_path)

    assert result.exit_code == 0, result.output
    leather, cork = variant("OC-9-LEA-2"), variant("OC-9-COR-2")
    assert (leather.size_id, leather.width_id, leather.colour_id) == (
        cork.size_id, cork.width_id, cork.colour_id)
    assert leather.attributes == {"Material": "Leather", "Heel height": "2 cm"}
    assert variant("OC-9-COR-4").label == "Size 9, Medium, As pictured, Heel height: 4 cm; " \
        "Material: Cork"

    again = import_clogs(runner, tmp_path, "--dry-run")
    assert again.exit_code == 0, again.output
    assert "+ variant" not in again.output and "~ variant" not in again.output


def test_a_shopper_chooses_the_material_and_heel_and_buys_that_variant(runner, tmp_path,
                                                                        client):
    assert import_clogs(runner, tmp_path).exit_code == 0
    page = client.get("/products/orchard-clog").get_data(as_text=True)
    assert "<legend>Material</legend>" in page and "<legend>Heel height</legend>" in page
    assert 'name="option.Material" value="Cork"' in page
    assert "Choose a size, width, colour, material and heel height to see availability." \
        in page

    query = {"size": "9", "width": "M", "colour": "as-pictured",
             "option.Material": "Cork", "option.Heel height": "4 cm"}
    chosen = client.get("/products/orchard-clog", query_string=query).get_data(as_text=True)
    assert "SKU OC-9-COR-4" in chosen and "72.00" in chosen
    # Cork in 2 cm is sold out; the picker says so on that heel while cork is chosen.
    assert re.search(r'value="2 cm"\s*>\s*<span>2 cm<span class="option-note"> '
                     r'\(sold out\)', chosen)
    wanted = variant("OC-9-COR-4")
    assert f'name="variant_id" value="{wanted.id}"' in chosen

    client.submit(f"/products/orchard-clog?{'&'.join(f'{k}={v}' for k, v in query.items())}",
                  "/cart/add", {"variant_id": wanted.id, "quantity": 1})
    cart = client.get("/cart").get_data(as_text=True)
    assert "Heel height: 4 cm; Material: Cork" in cart

    # Each row of the options table links to its own variant.
    table = client.get("/products/orchard-clog").get_data(as_text=True)
    assert "option.Material=Leather" in table and "option.Heel+height=2+cm" in table


def test_a_combination_that_is_not_made_says_so(runner, tmp_path, client):
    assert import_clogs(runner, tmp_path).exit_code == 0
    query = {"size": "9", "width": "M", "colour": "as-pictured",
             "option.Material": "Leather", "option.Heel height": "4 cm"}
    page = client.get("/products/orchard-clog", query_string=query).get_data(as_text=True)
    assert "That combination is not made. Choose another size, width, colour, material or " \
        "heel height." in page


def test_an_order_keeps_the_chosen_material_and_heel(runner, tmp_path, client):
    assert import_clogs(runner, tmp_path).exit_code == 0
    wanted = variant("OC-9-COR-4")
    page = ("/products/orchard-clog?size=9&width=M&colour=as-pictured"
            "&option.Material=Cork&option.Heel+height=4+cm")

    response = check_out(client, (Pick(wanted.id, page), 1))

    assert response.status_code == 303, response.get_data(as_text=True)
    order = db.session.scalars(select(Order)).one()
    assert order.lines[0].details == "Heel height: 4 cm; Material: Cork"
    assert order.lines[0].option_label == \
        "Size 9, Medium, As pictured, Heel height: 4 cm; Material: Cork"
    payment_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Heel height: 4 cm; Material: Cork" in payment_page
