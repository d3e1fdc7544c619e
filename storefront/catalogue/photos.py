"""Photos of a product: upload (checked and processed by media/processing.py, kept in
MEDIA_ROOT), alt text, the colour shown, order and removal; and fetching imported photo
addresses into storage.

A photo needs alt text unless it is marked decorative. Files are written before the row
that names them and removed only after the row is gone, so a page never points at a
missing file; a file no photo names any more is deleted.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, or_, select

from ..database import transactional
from ..exceptions import DomainError, InvalidFields
from ..extensions import db
from ..media import storage
from ..media.download import DownloadFailed, download
from ..media.processing import ImageRefused, process
from .editing import UnknownProduct, get_product
from .models import Colour, Product, ProductImage, Variant

MAX_ALT = ProductImage.__table__.c.alt.type.length


class UnknownPhoto(DomainError):
    status = 404
    code = "not_found"

    def __init__(self):
        super().__init__("That photo is not (or no longer) on this product. The page now "
                         "shows the product's photos as they are.")


class InvalidPhoto(InvalidFields):
    """The photo or its details have a problem; `errors` maps field names to messages."""

    code = "invalid_photo"
    errors_key = "fields"


@dataclass(frozen=True)
class PhotoDetails:
    alt: str = ""
    decorative: bool = False
    colour_id: int | None = None  # None: the product in general


def limits():
    """(largest file in bytes, most pixels) from MAX_IMAGE_MB and MAX_IMAGE_PIXELS."""
    config = current_app.config
    return int(config["MAX_IMAGE_MB"] * 1_048_576), int(config["MAX_IMAGE_PIXELS"])


def product_colours(product_id):
    """The colours a product is sold in (its variants on sale), by name."""
    return db.session.scalars(
        select(Colour).where(Colour.id.in_(
            select(Variant.colour_id).where(Variant.product_id == product_id,
                                            Variant.retired_at.is_(None))))
        .order_by(Colour.name)).all()


def _checked(product_id, details):
    """The details cleaned, and the problems with them by field name."""
    alt = " ".join((details.alt or "").split())
    errors = {}
    if details.decorative:
        alt = ""  # screen readers skip it, so there is nothing to read out
    elif not alt:
        errors["alt"] = ("Describe what the photo shows for shoppers who cannot see it, "
                         "e.g. “Black walking shoe from the side, strap open”, or mark it "
                         "as decorative.")
    elif len(alt) > MAX_ALT:
        errors["alt"] = f"Keep the description to {MAX_ALT} characters or fewer."
    if details.colour_id is not None and details.colour_id not in {
            c.id for c in product_colours(product_id)}:
        errors["colour"] = "Choose one of the colours this product is sold in."
    return PhotoDetails(alt, bool(details.decorative), details.colour_id), errors


def _row_values(processed):
    fallback = processed.renditions[-1]
    return {"path": fallback.name, "width": processed.width, "height": processed.height,
            "renditions": [r.as_dict() for r in processed.renditions]}


def add_photo(product_id, data, details):
    """Check, process and store the photo in `data` (bytes) and add it last to the
    product's photos; returns the new ProductImage. Raises UnknownProduct, or
    InvalidPhoto (fields `photo`, `alt`, `colour`) with nothing stored."""
    get_product(product_id)
    details, errors = _checked(product_id, details)
    max_bytes, max_pixels = limits()
    try:
        processed = process(data, max_bytes=max_bytes, max_pixels=max_pixels)
    except ImageRefused as refused:
        errors = {"photo": refused.message} | errors
    if errors:
        raise InvalidPhoto(errors=errors)
    # Files first: a row never names a file that is not there. Should the row not be
    # written, the files are named by their content and the next upload of it reuses them.
    storage.store(processed.renditions)
    return _insert(product_id, _row_values(processed), details)


def _locked_product(product_id):
    # Locked, so two uploads at once do not take the same position.
    product = db.session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise UnknownProduct(product_id)
    return product


@transactional
def _insert(product_id, values, details):
    _locked_product(product_id)
    last = db.session.scalar(select(func.max(ProductImage.position))
                             .where(ProductImage.product_id == product_id))
    image = ProductImage(product_id=product_id, alt=details.alt, decorative=details.decorative,
                         colour_id=details.colour_id,
                         position=0 if last is None else last + 1, **values)
    db.session.add(image)
    db.session.flush()
    return image


def _photos(product_id):
    return db.session.scalars(select(ProductImage)
                              .where(ProductImage.product_id == product_id)
                              .order_by(ProductImage.position, ProductImage.id)).all()


def _photo(photos, photo_id):
    for index, image in enumerate(photos):
        if image.id == photo_id:
            return index, image
    raise UnknownPhoto()


def _renumber(photos):
    """Positions 0, 1, 2 ... in the order of `photos`; each position is unique per
    product, so every photo steps aside to a negative one first."""
    for index, image in enumerate(photos):
        image.position = -1 - index
    db.session.flush()
    for index, image in enumerate(photos):
        image.position = index
    db.session.flush()


@transactional
def update_photo(product_id, photo_id, details):
    """Change a photo's alt text, decorative mark and colour; returns the photo and what
    changed in words. Raises UnknownProduct, UnknownPhoto, or InvalidPhoto."""
    _locked_product(product_id)
    _, image = _photo(_photos(product_id), photo_id)
    details, errors = _checked(product_id, details)
    if errors:
        raise InvalidPhoto(errors=errors)
    changed = []
    if image.decorative != details.decorative:
        changed.append("now decorative" if details.decorative else "no longer decorative")
    if image.alt != details.alt and not details.decorative:
        changed.append("description")
    if image.colour_id != details.colour_id:
        changed.append("colour")
    image.alt, image.decorative, image.colour_id = (details.alt, details.decorative,
                                                    details.colour_id)
    return image, changed


@transactional
def move_photo(product_id, photo_id, to):
    """Move a photo to position `to` (0 is first; beyond the end is last); returns the
    photo and its new position (from 0). Raises UnknownProduct or UnknownPhoto."""
    _locked_product(product_id)
    photos = list(_photos(product_id))
    index, image = _photo(photos, photo_id)
    to = min(max(to, 0), len(photos) - 1)
    if to != index or [p.position for p in photos] != list(range(len(photos))):
        photos.insert(to, photos.pop(index))
        _renumber(photos)
    return image, to


def delete_photo(product_id, photo_id):
    """Take a photo off the product, then delete its files unless another photo shows
    the same picture; returns the alt text (or "") of the photo removed. Raises
    UnknownProduct or UnknownPhoto."""
    alt, unused = _delete(product_id, photo_id)
    storage.remove(unused)  # after the commit: no page names them now
    return alt


@transactional
def _delete(product_id, photo_id):
    _locked_product(product_id)
    photos = list(_photos(product_id))
    index, image = _photo(photos, photo_id)
    names = [r["name"] for r in image.files()]
    alt, path = image.alt, image.path
    db.session.delete(photos.pop(index))
    db.session.flush()
    _renumber(photos)
    if names and db.session.scalar(select(func.count(ProductImage.id))
                                   .where(ProductImage.path == path)):
        names = []  # the same picture is another photo too
    return alt, names


# -- imported photo addresses into storage -------------------------------------------

@dataclass
class FetchReport:
    fetched: int = 0
    skipped: int = 0  # changed or removed by staff while the fetch ran
    failed: list = field(default_factory=list)  # (address, reason)


def imported_photos():
    """(id, address) of every photo still shown from an imported web address."""
    return db.session.execute(
        select(ProductImage.id, ProductImage.path)
        .where(or_(ProductImage.path.like("https://%"), ProductImage.path.like("http://%")))
        .order_by(ProductImage.id)).all()


@transactional
def _attach(photo_id, address, values):
    """Point the photo at its stored files, unless it was changed or removed meanwhile."""
    image = db.session.get(ProductImage, photo_id, with_for_update=True)
    if image is None or image.path != address:
        return False
    for name, value in values.items():
        setattr(image, name, value)
    image.source_url = address
    return True


def fetch_photo(photo_id, address):
    """Download, check, process and store one imported photo; its row then names the
    stored files. Returns False when the photo changed meanwhile; raises DownloadFailed
    or ImageRefused with the row unchanged."""
    max_bytes, max_pixels = limits()
    processed = process(download(address, max_bytes), max_bytes=max_bytes,
                        max_pixels=max_pixels)
    storage.store(processed.renditions)
    return _attach(photo_id, address, _row_values(processed))


def fetch_imported(photos, progress=None):
    """Fetch each (id, address) of `photos` into storage, one transaction per photo, so
    one that fails leaves the others done; `progress(1)` is called after each."""
    report = FetchReport()
    db.session.commit()  # the list was read; no transaction stays open while downloading
    for photo_id, address in photos:
        try:
            if fetch_photo(photo_id, address):
                report.fetched += 1
            else:
                report.skipped += 1
        except (DownloadFailed, ImageRefused) as failure:
            report.failed.append((address, failure.message))
        if progress is not None:
            progress(1)
    return report
