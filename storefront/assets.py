"""Static files on the wire: served by WhiteNoise before Flask, under content-hashed
names that browsers may keep for a year, gzip and brotli copies made once.

`flask assets build` (run by `make run` and at deploy) copies static/ into
STATIC_BUILD_DIR twice per file: under its own name and under a name carrying a
hash of its content (`css/shop.3f9a0c1d2e4b.css`), with a `.gz` and a `.br` next to
each text file, and writes `manifest.json`. While that build matches static/,
`url_for('static', ...)` links the hashed names, which are served with
`Cache-Control: max-age=<ten years>, public, immutable`: a changed file gets a
new name, so no browser keeps an old one. The hashed files of earlier builds
stay, so a page or an e-mail that names one still shows it. Without a build, or once a file in
static/ differs from what was built (an edit without a rebuild), the build is
left aside as a whole and static/ is served under plain names with a one-minute
cache: never a stale file.
"""

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import click
from flask.cli import AppGroup
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from . import security

MANIFEST = "manifest.json"
# name.<12 hex digits>.ext: what `build` writes; only those are cached for good.
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
PLAIN_MAX_AGE = 60
log = logging.getLogger(__name__)


def _files(root):
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(root).as_posix(), path


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _hashed_name(name, digest):
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"


def build(source, target, echo=lambda message: None):
    """Write the hashed and compressed copy of `source` into `target` (replacing it)
    and return the manifest {name: hashed name}."""
    source, target = Path(source), Path(target)
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    manifest = {}
    compressor = Compressor(quiet=True)
    for name, path in _files(source):
        hashed = _hashed_name(name, _digest(path))
        for copy in (name, hashed):
            destination = staging / copy
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            if compressor.should_compress(copy):
                compressor.compress(str(destination))
        manifest[name] = hashed
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    kept = _keep_earlier_versions(target, staging)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    echo(f"Built {len(manifest)} static file(s) into {target}, hashed, with gzip and "
         f"brotli copies; {kept} earlier version(s) kept.")
    return manifest


def _keep_earlier_versions(target, staging):
    """Copy the hashed files of earlier builds into the new one: pages cached by
    browsers and proxies, and e-mails already sent, still name them."""
    kept = 0
    for name, path in _files(target) if target.is_dir() else ():
        plain = name.removesuffix(".gz").removesuffix(".br")
        destination = staging / name
        if HASHED.search(plain) and not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            kept += name == plain
    return kept


def current_manifest(source, target):
    """The build's manifest if it matches `source` file for file, else None."""
    manifest_path = Path(target) / MANIFEST if target else None
    if manifest_path is None or not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    files = dict(_files(source))
    if set(files) != set(manifest) or any(
            _hashed_name(name, _digest(path)) != manifest[name] for name, path in files.items()):
        log.warning("static files changed since `flask assets build`: serving static/ "
                    "under plain names until it runs again")
        return None
    return manifest


def _add_secure_headers(headers, path, url):
    # Static files get the same protection as pages; HSTS comes from the pages.
    for name, value in security.secure_headers(False):
        headers.setdefault(name, value)


def init_app(app):
    """Serve static files through WhiteNoise, and link hashed names while a build matches."""
    source = app.static_folder
    target = app.config.get("STATIC_BUILD_DIR")
    manifest = current_manifest(source, target)
    app.extensions["static_manifest"] = manifest or {}
    prefix = app.static_url_path.rstrip("/") + "/"
    static = WhiteNoise(app.wsgi_app, max_age=PLAIN_MAX_AGE, allow_all_origins=False,
                        add_headers_function=_add_secure_headers,
                        immutable_file_test=lambda path, url: bool(HASHED.search(url)))
    static.add_files(source, prefix=prefix)
    if manifest:
        static.add_files(target, prefix=prefix)  # the built copies win over static/
    app.wsgi_app = static

    if manifest:
        @app.url_defaults
        def _hashed_static(endpoint, values):
            if endpoint == "static" and values.get("filename") in manifest:
                values["filename"] = manifest[values["filename"]]

    app.cli.add_command(assets_cli)


assets_cli = AppGroup("assets", help="Static files for serving.")


@assets_cli.command("build")
def build_command():
    """Copy static/ to STATIC_BUILD_DIR with hashed names and gzip/brotli copies."""
    from flask import current_app

    target = current_app.config.get("STATIC_BUILD_DIR")
    if not target:
        raise click.ClickException("STATIC_BUILD_DIR is empty: there is nowhere to build to.")
    build(current_app.static_folder, target, echo=click.echo)
    click.echo("A shop already running serves it once restarted.")
