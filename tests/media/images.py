"""Photo files for tests, made in memory."""

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def photo(width=1800, height=1200, fmt="JPEG", mode="RGB", orientation=None, gps=False,
          **save):
    """A picture whose left half is red and right half blue, as a camera would save it."""
    image = Image.new(mode, (width, height), (200, 30, 30) if mode == "RGB" else (200, 30, 30, 255))
    image.paste((30, 30, 200) if mode == "RGB" else (30, 30, 200, 128),
                (width // 2, 0, width, height))
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[MAKE] = "PocketCam"
        exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif  # noqa: F401  (registered by the shop's processing module)
    image.save(out, fmt, **({"exif": exif.tobytes()} if len(exif) else {}), **save)
    return out.getvalue()


def png_claiming(width, height):
    """A tiny PNG file whose header claims `width` × `height` pixels (a decompression bomb
    needs only a few kilobytes to claim gigabytes of pixels)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def opened(data):
    return Image.open(io.BytesIO(data))
