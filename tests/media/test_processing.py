"""What becomes of an uploaded photo: metadata gone, upright, in several sizes, and what
is refused (not an image, too large, too many pixels, damaged)."""

import pytest
from PIL import ImageCms

from storefront.media import processing
from storefront.media.processing import ImageRefused, process
from tests.media.images import GPS_IFD, opened, photo, png_claiming

MB = 1_048_576
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 50_000_000}


def test_location_and_camera_details_are_gone_from_every_file():
    original = photo(gps=True)
    assert opened(original).getexif().get_ifd(GPS_IFD)  # the phone did record where
    result = process(original, **LIMITS)
    for rendition in result.renditions:
        stored = opened(rendition.data)
        assert not stored.getexif(), rendition.name
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        assert b"PocketCam" not in rendition.data


def test_a_colour_profile_is_applied_to_the_pixels_and_not_kept():
    # A profile that swaps nothing but still must not travel with the file: its pixels
    # come out as sRGB with no profile attached (browsers assume sRGB).
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = process(photo(800, 600, icc_profile=srgb), **LIMITS)
    for rendition in result.renditions:
        stored = opened(rendition.data)
        assert "icc_profile" not in stored.info
    red = opened(result.renditions[-1].data).convert("RGB").getpixel((10, 10))
    assert red[0] > 180 and red[1] < 60 and red[2] < 60


def test_a_damaged_colour_profile_does_not_stop_the_upload():
    result = process(photo(800, 600, icc_profile=b"not a profile at all"), **LIMITS)
    assert "icc_profile" not in opened(result.renditions[-1].data).info


def test_a_photo_taken_sideways_is_stored_upright():
    # Orientation 6: the camera was turned; viewers rotate the 1800 × 1200 pixels a
    # quarter turn clockwise, so the red (left) half ends up on top.
    result = process(photo(orientation=6), **LIMITS)
    assert (result.width, result.height) == (1200, 1800)
    largest = opened(result.renditions[-1].data).convert("RGB")
    top, bottom = largest.getpixel((600, 100)), largest.getpixel((600, 1700))
    assert top[0] > 150 and top[2] < 100  # red
    assert bottom[2] > 150 and bottom[0] < 100  # blue


def test_webp_and_jpeg_are_made_at_each_width_up_to_the_photos_own():
    result = process(photo(1800, 1200), **LIMITS)
    made = [(r.format, r.width, r.height) for r in result.renditions]
    assert made == [(fmt, w, round(1200 * w / 1800)) for fmt in ("webp", "jpeg")
                    for w in (320, 640, 960, 1280, 1600)]
    for rendition in result.renditions:
        stored = opened(rendition.data)
        assert stored.format == {"webp": "WEBP", "jpeg": "JPEG"}[rendition.format]
        assert stored.size == (rendition.width, rendition.height)
    assert (result.width, result.height) == (1600, 1067)


def test_a_small_photo_is_never_enlarged():
    result = process(photo(500, 400), **LIMITS)
    assert [r.width for r in result.renditions] == [320, 500, 320, 500]


def test_file_names_are_hashes_of_their_content():
    first, again = process(photo(), **LIMITS), process(photo(), **LIMITS)
    assert [r.name for r in first.renditions] == [r.name for r in again.renditions]
    other = process(photo(orientation=3), **LIMITS)
    assert not {r.name for r in first.renditions} & {r.name for r in other.renditions}
    assert first.renditions[0].name.endswith("-320w.webp")


def test_a_png_with_transparency_keeps_it_in_a_png_fallback():
    result = process(photo(800, 600, fmt="PNG", mode="RGBA"), **LIMITS)
    assert result.fallback == "png"
    assert opened(result.renditions[-1].data).mode == "RGBA"
    assert opened(result.renditions[0].data).mode == "RGBA"  # WebP keeps it too


def test_webp_uploads_are_accepted():
    result = process(photo(700, 500, fmt="WEBP"), **LIMITS)
    assert result.source_format == "WebP" and result.fallback == "jpeg"


@pytest.mark.skipif("HEIF" not in processing.ACCEPTED, reason="no HEIC reader installed")
def test_an_iphone_heic_photo_becomes_webp_and_jpeg():
    result = process(photo(900, 600, fmt="HEIF"), **LIMITS)
    assert result.source_format == "HEIC"
    assert {r.format for r in result.renditions} == {"webp", "jpeg"}


def test_a_decompression_bomb_is_refused_before_its_pixels_are_read():
    bomb = png_claiming(100_000, 100_000)  # ten billion pixels in under a kilobyte
    assert len(bomb) < 2000
    with pytest.raises(ImageRefused, match="pixels"):
        process(bomb, **LIMITS)


def test_more_pixels_than_the_limit_are_refused_with_the_numbers():
    with pytest.raises(ImageRefused) as refused:
        process(photo(1000, 1000), max_bytes=10 * MB, max_pixels=999_999)
    assert "1,000 × 1,000 pixels" in refused.value.message
    assert "0.999999 million" in refused.value.message


@pytest.mark.parametrize("data", [
    b"%PDF-1.7 this is a document",
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",  # a real image type, but not one for photos
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",
], ids=["pdf", "gif", "svg"])
def test_files_that_are_not_photos_are_refused_whatever_their_name(data):
    with pytest.raises(ImageRefused, match="not a photo the shop can use"):
        process(data, **LIMITS)


def test_a_file_cut_short_is_refused():
    data = photo()
    with pytest.raises(ImageRefused, match="damaged"):
        process(data[: len(data) // 3], **LIMITS)


def test_a_file_over_the_size_limit_is_refused_with_its_size():
    data = photo()
    with pytest.raises(ImageRefused) as refused:
        process(data, max_bytes=len(data) - 1, max_pixels=50_000_000)
    assert "MB" in refused.value.message


def test_an_empty_upload_is_refused():
    with pytest.raises(ImageRefused, match="empty"):
        process(b"", **LIMITS)
