"""The folder photos are kept in (MEDIA_ROOT): files written once under content-hashed
names, read back by name, removed when no photo uses them any more.

The folder is all the shop needs; a CDN or an object store can sit in front of
`/media/` (see the README) because a name never changes meaning.
"""

import os
import re
import tempfile
from pathlib import Path

from flask import current_app

# What processing.py names files: 20 hex digits of the content's hash, the width, the type.
NAME = re.compile(r"[0-9a-f]{20}-[0-9]{1,5}w\.(?:webp|jpg|png)")


def root():
    """MEDIA_ROOT, created on first use."""
    folder = Path(current_app.config["MEDIA_ROOT"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_name(name):
    return bool(NAME.fullmatch(name or ""))


def store(renditions):
    """Write each rendition's file unless it is there already (same name, same bytes).

    Each file appears whole or not at all: written beside its final name, then renamed."""
    folder = root()
    for rendition in renditions:
        target = folder / rendition.name
        if target.exists():
            continue
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(rendition.data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def remove(names):
    """Delete these files; names that are not the shop's or are gone already are skipped."""
    folder = root()
    for name in names:
        if is_name(name):
            (folder / name).unlink(missing_ok=True)
