"""Photos as staff upload them, made safe and fast to show.

An upload is read for what it really is (its content, never its name), refused when it
is not a JPEG, PNG, WebP or HEIC photo, when it is too large, or when it claims more
pixels than a photo has (a decompression bomb). What is kept are new files made from its
pixels only: turned the way the camera meant, without any metadata (no GPS position,
camera serial or thumbnail), at a few widths in WebP and in a fallback format every
browser reads (PNG for a PNG or a picture with transparency, JPEG otherwise). Each file
is named after a hash of its own bytes, so a name never changes meaning and browsers may
keep it forever.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ..exceptions import DomainError

try:  # HEIC (iPhone photos) when the kept reader is installed
    import pillow_heif
except ImportError:  # pragma: no cover - requirements.txt installs it
    pillow_heif = None
else:
    pillow_heif.register_heif_opener()

# Pillow's names of the formats accepted, and how staff know them.
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
if pillow_heif is not None:
    ACCEPTED["HEIF"] = "HEIC"
ACCEPTED_TEXT = ", ".join(ACCEPTED.values())
# The widths made (never wider than the photo itself): phone, tablet, desktop, retina.
WIDTHS = (320, 640, 960, 1280, 1600)
WEBP_QUALITY = 80
JPEG_QUALITY = 85
SRGB = ImageCms.createProfile("sRGB")
EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
MIME_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}


class ImageRefused(DomainError):
    """The upload is not a photo the shop can use; nothing was stored."""

    status = 422
    code = "invalid_image"


@dataclass(frozen=True)
class Rendition:
    """One file made from a photo."""

    name: str
    format: str  # "webp", "jpeg" or "png"
    width: int
    height: int
    data: bytes

    def as_dict(self):
        return {"name": self.name, "format": self.format, "width": self.width,
                "height": self.height}


@dataclass(frozen=True)
class ProcessedPhoto:
    width: int  # of the largest rendition
    height: int
    source_format: str  # as staff know it: "JPEG", "HEIC" ...
    fallback: str  # "jpeg" or "png"
    renditions: tuple  # of Rendition, WebP first then the fallback, narrowest first


def _open(data, max_pixels):
    """The image in `data`, header read only; raises ImageRefused."""
    with warnings.catch_warnings():
        # Pillow warns above its own pixel limit and raises above twice that; both are
        # bombs here, and the shop's own (lower) limit is checked right after.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ImageRefused(
                f"This file is not a photo the shop can use: upload a {ACCEPTED_TEXT} "
                "image.") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _bomb(width, height, max_pixels)
    return image


def _bomb(width=None, height=None, max_pixels=None):
    if width is None:
        return ImageRefused("This image claims far more pixels than any photo has, so it "
                            "was refused. Export it again at a normal size.")
    return ImageRefused(
        f"This image is {width:,} × {height:,} pixels, more than the "
        f"{max_pixels / 1_000_000:g} million pixels a photo may have here. Export it at "
        "a smaller size and upload it again.")


def _pixels(image):
    """Only the pixels, turned upright, in RGB or RGBA, with no metadata at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.seek(0)  # the first frame of an animated file
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _bomb() from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused("This image file is damaged or cut short; export it again "
                               "and upload the new file.") from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        upright.mode == "P" and "transparency" in upright.info)
    mode = "RGBA" if has_alpha else "RGB"
    clean = _in_srgb(upright.convert(mode), upright.info.get("icc_profile"), mode)
    # Nothing of the file's metadata travels along: files are saved from the pixels and
    # the encoder settings alone.
    clean.info.clear()
    return clean, has_alpha


def _in_srgb(image, icc_profile, mode):
    """The pixels converted from the photo's colour profile (a phone's Display P3) to
    sRGB, which is what a browser assumes for a file without one."""
    if not icc_profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # an unreadable profile: the pixels as they are


def _encode(image, fmt):
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    elif fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True,
                                  progressive=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def widths_for(width):
    """The widths made for a photo `width` pixels wide: the standard ones below it, and
    its own width (or the largest standard one) last."""
    return tuple(w for w in WIDTHS if w < min(width, WIDTHS[-1])) + (min(width, WIDTHS[-1]),)


def process(data, *, max_bytes, max_pixels):
    """The renditions of the photo in `data` (bytes); raises ImageRefused when it is
    empty, larger than `max_bytes`, not a JPEG/PNG/WebP/HEIC image, over `max_pixels`
    pixels, or damaged."""
    if not data:
        raise ImageRefused("Choose a photo to upload: the file was empty.")
    if len(data) > max_bytes:
        raise ImageRefused(
            f"This file is {len(data) / 1_048_576:.2f} MB; photos may be at most "
            f"{max_bytes / 1_048_576:g} MB. Export it smaller and upload it again.")
    source = _open(data, max_pixels)
    source_format = ACCEPTED[source.format]
    image, has_alpha = _pixels(source)
    fallback = "png" if has_alpha or source.format == "PNG" else "jpeg"
    renditions = []
    for fmt in ("webp", fallback):
        for width in widths_for(image.width):
            height = max(1, round(image.height * width / image.width))
            sized = image if width == image.width else image.resize(
                (width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            encoded = _encode(sized, fmt)
            digest = hashlib.sha256(encoded).hexdigest()[:20]
            renditions.append(Rendition(f"{digest}-{width}w.{EXTENSIONS[fmt]}", fmt, width,
                                        height, encoded))
    largest = renditions[-1]
    return ProcessedPhoto(largest.width, largest.height, source_format, fallback,
                          tuple(renditions))
