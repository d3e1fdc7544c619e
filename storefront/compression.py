"""Compressed answers: Flask-Compress for what views render, and gzip bodies the page
cache keeps ready, so serving a cached page costs no compression.

A cached page is text with holes filled per visitor (CSRF token, cart link,
messages). `GzipParts` deflates each text part once, when the page is stored,
each with a compressor of its own ended by a sync flush: a byte-aligned piece
that refers to nothing before it. A visitor's body is then the gzip header, the
pieces with the visitor's fills between them as stored (uncompressed) deflate
blocks, a final empty block, and the CRC-32 and length of the whole text: one
valid gzip stream, made by joining bytes and a checksum, with no compressor run.
"""

import struct
import zlib

from flask_compress import Compress
from werkzeug.http import parse_accept_header

# ID1 ID2, deflate, no flags, no time, no extra flags, unknown OS (RFC 1952).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
FINAL_BLOCK = b"\x01\x00\x00\xff\xff"  # an empty stored block with BFINAL set
STORED_MAX = 0xFFFF

compress = Compress()


def _deflated(data):
    """`data` as raw deflate blocks that end on a byte boundary and stand alone."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored(data):
    """`data` as stored (uncompressed) non-final deflate blocks."""
    blocks = []
    for start in range(0, len(data), STORED_MAX):
        chunk = data[start:start + STORED_MAX]
        blocks += [b"\x00", struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF), chunk]
    return b"".join(blocks)


class GzipParts:
    """Text parts (bytes) deflated once; `body(fills)` is the gzip of the parts with
    `fills` between them (one fewer than the parts)."""

    __slots__ = ("texts", "pieces", "whole")

    def __init__(self, texts):
        self.texts = texts
        self.pieces = [_deflated(text) for text in texts]
        self.whole = self._join(()) if len(texts) == 1 else None

    def body(self, fills=()):
        return self.whole if self.whole is not None else self._join(fills)

    def _join(self, fills):
        chunks, crc, size = [GZIP_HEADER], 0, 0
        for i, text in enumerate(self.texts):
            if i:
                fill = fills[i - 1]
                chunks.append(_stored(fill))
                crc, size = zlib.crc32(fill, crc), size + len(fill)
            chunks.append(self.pieces[i])
            crc, size = zlib.crc32(text, crc), size + len(text)
        chunks += [FINAL_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
        return b"".join(chunks)


def accepts_gzip(accept_encoding):
    """Whether an Accept-Encoding header value admits gzip."""
    return parse_accept_header(accept_encoding or "").quality("gzip") > 0


def init_app(app):
    """Compress HTML, JSON, XML and text that views answer with (brotli, else gzip);
    pages from the page cache arrive compressed already and are left as they are."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)
