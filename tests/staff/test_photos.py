"""Product photos in the back office: who may do what, uploading with alt text or a
decorative mark, refusals at the field, order, removal, and what shoppers then see."""

import io
import random
import re
from html import unescape

import pytest
from PIL import Image

from storefront.catalogue.models import Product, ProductImage
from storefront.extensions import db
from tests.media.images import GPS_IFD, opened, photo, png_claiming
from tests.staff.helpers import login, make_staff

ROLES = ["admin", "marketing", "warehouse", None]
ALLOWED = {"admin": "ok", "marketing": "ok", "warehouse": 403, None: "login"}
# (method, path, form) with {pid} the product and {iid} its first photo.
PHOTO_ROUTES = [
    ("GET", "/staff/products/{pid}/photos", None),
    ("POST", "/staff/products/{pid}/photos", {"alt": "Side view", "photo": "upload"}),
    ("POST", "/staff/products/{pid}/photos/{iid}", {"photo-{iid}-alt": "Changed"}),
    ("POST", "/staff/products/{pid}/photos/{iid}/move", {"to": "1"}),
    ("POST", "/staff/products/{pid}/photos/{iid}/delete", {}),
]


@pytest.fixture(autouse=True)
def media_root(app, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    return tmp_path / "media"


def text(response):
    return response.get_data(as_text=True)


def flashes(page):
    return [unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page)]


def field_error(page, field_id):
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', page, re.S)
    return unescape(match.group(1)) if match else None


def photos_url(product):
    return f"/staff/products/{product.id}/photos"


def upload(client, product, data=None, filename="shoe.jpg", **fields):
    form = {"alt": "Navy walking shoe from the side", **fields,
            "photo": (io.BytesIO(photo() if data is None else data), filename)}
    form = {k: v for k, v in form.items() if v is not None}
    return client.submit(photos_url(product), photos_url(product), form,
                         content_type="multipart/form-data")


def images_of(product):
    db.session.expire_all()
    return db.session.get(Product, product.id).images


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(("method", "path", "data"), PHOTO_ROUTES,
                         ids=[f"{m} {p}" for m, p, _ in PHOTO_ROUTES])
def test_photo_routes_by_role(client, make_product, role, method, path, data):
    product = make_product()
    image_id = product.images[0].id
    path = path.format(pid=product.id, iid=image_id)
    if role:
        assert login(client, make_staff(role).email).status_code == 302
    if method == "GET":
        response = client.get(path)
    else:
        data = {k.format(iid=image_id): v for k, v in data.items()}
        if "photo" in data:
            data["photo"] = (io.BytesIO(photo(400, 300)), "shoe.jpg")
        data["csrf_token"] = client.csrf_token("/staff/login" if role is None else "/staff/")
        response = client.post(path, data=data, content_type="multipart/form-data")
    want = ALLOWED[role]
    before = len(images_of(product))
    if want == "login":
        assert response.status_code == 302
        assert response.location.startswith("/staff/login?next=")
    elif want == 403:
        assert response.status_code == 403
        assert "This page is for" in text(response)
    else:
        assert response.status_code in (200, 303), text(response)[:500]
        if method == "POST":
            assert flashes(text(client.get(photos_url(product))))
        return
    # Refused: the product's photos are as they were.
    assert [(i.id, i.alt) for i in images_of(product)] == [(image_id, product.title)]
    assert before == 1


def test_an_uploaded_photo_is_stored_without_its_location_and_shown_to_shoppers(
        client, login_as, make_product, media_root):
    login_as("marketing")
    product = make_product(title="Harbor Walker")
    response = upload(client, product, photo(2000, 1500, gps=True))
    assert response.status_code == 303
    page = text(client.get(response.location))
    assert flashes(page) == ["Added “Navy walking shoe from the side” as photo 2, "
                             "1600 × 1200 pixels."]
    image = images_of(product)[1]
    assert image.is_stored and (image.width, image.height) == (1600, 1200)
    stored = sorted(p.name for p in media_root.iterdir())
    assert stored == sorted(r["name"] for r in image.renditions) and len(stored) == 10
    for path in media_root.iterdir():
        assert not opened(path.read_bytes()).getexif().get_ifd(GPS_IFD)

    shop = text(client.get(f"/products/{product.slug}"))
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="([^"]+)">', shop)
    assert webp, shop
    assert [w for w in re.findall(r" (\d+)w", webp.group(1))] == [
        "320", "640", "960", "1280", "1600"]
    img = re.search(r'<img src="(/media/[^"]+\.jpg)" srcset="([^"]+)" sizes="[^"]+" '
                    r'alt="Navy walking shoe from the side" width="1600" height="1200"', shop)
    assert img, shop
    # The files the page names are there, cached for a year under names that never change.
    served = client.get(img.group(1))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert opened(served.data).size == (1600, 1200)
    first_webp = webp.group(1).split(" ")[0]
    assert client.get(first_webp).mimetype == "image/webp"


def test_the_first_stored_photo_is_the_card_picture_with_srcset(client, login_as,
                                                                make_product):
    login_as("admin")
    product = make_product(title="Card Shoe")
    upload(client, product, photo(900, 600))
    image = images_of(product)[1]
    client.post(f"/staff/products/{product.id}/photos/{image.id}/move",
                data={"to": "1", "csrf_token": client.csrf_token(photos_url(product))})
    listing = text(client.get("/products?q=Card+Shoe"))
    card = listing.split('<article class="card">', 1)[1].split("</article>", 1)[0]
    assert 'srcset="/media/' in card and 'width="900" height="600"' in card
    assert 'alt=""' in card  # the card's link already names the product


def test_alt_text_is_required_unless_the_photo_is_decorative(client, login_as, make_product,
                                                             media_root):
    login_as("marketing")
    product = make_product()
    response = upload(client, product, alt="   ")
    assert response.status_code == 422
    page = text(response)
    assert "Describe what the photo shows" in field_error(page, "alt")
    assert 'aria-invalid="true"' in page
    assert len(images_of(product)) == 1
    assert not media_root.exists() or not list(media_root.iterdir())

    response = upload(client, product, alt="", decorative="y")
    assert response.status_code == 303
    image = images_of(product)[1]
    assert image.decorative and image.alt == ""
    assert 'alt="" width="1600"' in text(client.get(f"/products/{product.slug}"))


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"%PDF-1.4 quarterly figures", "shoe.jpg", "not a photo the shop can use"),
    (png_claiming(60_000, 60_000), "shoe.png", "far more pixels than any photo has"),
    (png_claiming(8000, 7000), "shoe.png", "more than the 50 million pixels"),
    (b"", "shoe.jpg", "empty"),
], ids=["not-an-image", "bomb", "over-pixel-limit", "empty"])
def test_files_that_are_not_usable_photos_are_refused_at_the_field(
        client, login_as, make_product, media_root, data, filename, message):
    login_as("marketing")
    product = make_product()
    response = upload(client, product, data, filename=filename)
    assert response.status_code == 422
    assert message in field_error(text(response), "photo")
    assert len(images_of(product)) == 1
    assert not media_root.exists() or not list(media_root.iterdir())


def test_a_photo_over_max_image_mb_is_refused_with_its_size(app, client, login_as,
                                                             make_product):
    app.config["MAX_IMAGE_MB"] = 1
    login_as("marketing")
    product = make_product()
    # Noise does not compress: 600 × 600 pixels make a PNG just over 1 MB.
    noise = Image.frombytes("RGB", (600, 600), random.Random(1).randbytes(600 * 600 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert 1_048_576 < len(out.getvalue()) < 1_200_000
    response = upload(client, product, out.getvalue(), filename="big.png")
    assert response.status_code == 422
    assert field_error(text(response), "photo") == (
        "This file is 1.03 MB; photos may be at most 1 MB. Export it smaller and upload it "
        "again.")
    # Far beyond the limit, the request itself is refused before it is read.
    response = upload(client, product, b"\x00" * 3_000_000, filename="huge.jpg")
    assert response.status_code == 413
    assert "too large" in text(response)
    assert len(images_of(product)) == 1


def test_a_photo_may_show_one_of_the_products_colours_but_no_other(client, login_as,
                                                                    make_product):
    login_as("marketing")
    product = make_product(stock=[1, 1], colours=["navy", "sand"])
    other = make_product(colours=["crimson"])
    sand = next(v.colour for v in product.variants if v.colour.slug == "sand")
    crimson = other.variants[0].colour
    response = upload(client, product, colour=str(crimson.id))
    assert response.status_code == 422
    assert field_error(text(response), "colour") == ("Choose one of the colours this "
                                                     "product is sold in.")
    response = upload(client, product, colour=str(sand.id), alt="The sand shoe")
    assert response.status_code == 303
    assert images_of(product)[1].colour_id == sand.id
    # Picking sand on the shop puts its photo first.
    page = text(client.get(f"/products/{product.slug}?colour=sand&size=7&width=M"))
    gallery = page.split('<div class="gallery">', 1)[1].split("</div>", 1)[0]
    assert gallery.index('alt="The sand shoe"') < gallery.index(f'alt="{product.title}"')


def test_alt_text_decorative_mark_and_colour_can_be_changed(client, login_as, make_product):
    login_as("marketing")
    product = make_product()
    image = product.images[0]
    url = f"/staff/products/{product.id}/photos/{image.id}"
    prefix = f"photo-{image.id}-"
    response = client.submit(photos_url(product), url, {f"{prefix}alt": ""})
    assert response.status_code == 422
    assert "Describe what the photo shows" in field_error(text(response), f"{prefix}alt")
    assert images_of(product)[0].alt == product.title
    response = client.submit(photos_url(product), url,
                             {f"{prefix}alt": "  Navy shoe,   heel view "},
                             follow_redirects=True)
    assert flashes(text(response)) == ["Saved photo 1: description."]
    assert images_of(product)[0].alt == "Navy shoe, heel view"


def test_photos_are_reordered_and_deleted(client, login_as, make_product, media_root):
    login_as("marketing")
    product = make_product()
    upload(client, product, photo(400, 300), alt="Second")
    upload(client, product, photo(500, 300), alt="Third")
    first, second, third = images_of(product)
    move = f"/staff/products/{product.id}/photos/{third.id}/move"
    response = client.submit(photos_url(product), move, {"to": "1"}, follow_redirects=True)
    assert flashes(text(response)) == ["Moved “Third” to position 1."]
    assert [i.alt for i in images_of(product)] == ["Third", product.title, "Second"]
    response = client.submit(photos_url(product), move, {"to": "99"})
    assert [i.alt for i in images_of(product)] == [product.title, "Second", "Third"]

    files_before = {p.name for p in media_root.iterdir()}
    delete = f"/staff/products/{product.id}/photos/{second.id}/delete"
    response = client.submit(photos_url(product), delete, {}, follow_redirects=True)
    assert flashes(text(response)) == ["Deleted the photo “Second”."]
    assert [(i.alt, i.position) for i in images_of(product)] == [
        (product.title, 0), ("Third", 1)]
    gone = {r["name"] for r in second.renditions}
    assert {p.name for p in media_root.iterdir()} == files_before - gone
    # The same photo id again (a second tab, a forged form) is a clear refusal.
    response = client.submit(photos_url(product), delete, {})
    assert response.status_code == 404
    assert "That photo is not (or no longer) on this product" in text(response)


def test_a_photo_of_another_product_cannot_be_changed_through_this_one(client, login_as,
                                                                        make_product):
    login_as("marketing")
    product, other = make_product(), make_product()
    theirs = other.images[0]
    for path, form in [(f"{theirs.id}/delete", {}), (f"{theirs.id}/move", {"to": "1"}),
                       (f"{theirs.id}", {f"photo-{theirs.id}-alt": "Hijacked"})]:
        response = client.submit(photos_url(product),
                                 f"/staff/products/{product.id}/photos/{path}", form)
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ProductImage, theirs.id).alt == other.title


def test_media_names_outside_the_stored_pattern_are_not_found(client):
    for name in ["..%2Fstorefront.sqlite3", "abc.jpg", "0123456789abcdef0123-320w.gif"]:
        assert client.get(f"/media/{name}").status_code == 404


def test_imported_and_static_photos_keep_showing(client, make_product):
    product = make_product()
    db.session.add(ProductImage(product_id=product.id, position=1, alt="From the old shop",
                                path="https://cdn.shopify.com/s/files/1/shoe.jpg"))
    db.session.commit()
    page = text(client.get(f"/products/{product.slug}"))
    assert '<img src="https://cdn.shopify.com/s/files/1/shoe.jpg" alt="From the old shop"' in page
    assert '<img src="/static/img/products/sneaker-navy.svg"' in page


def test_photos_of_a_product_that_does_not_exist_are_a_clear_404(client, login_as,
                                                                 make_product, media_root):
    login_as("marketing")
    product = make_product()
    assert "There is no product number 999999" in text(client.get(
        "/staff/products/999999/photos"))
    response = client.post("/staff/products/999999/photos", data={
        "alt": "A shoe", "photo": (io.BytesIO(photo(400, 300)), "shoe.jpg"),
        "csrf_token": client.csrf_token(photos_url(product))},
        content_type="multipart/form-data")
    assert response.status_code == 404
    assert not media_root.exists() or not list(media_root.iterdir())
