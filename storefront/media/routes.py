"""`/media/<name>`: stored photos, cached by browsers and CDNs for a year."""

from flask import Blueprint, abort, send_from_directory

from . import storage

bp = Blueprint("media", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/media/<name>")
def file(name):
    if not storage.is_name(name):
        abort(404)
    response = send_from_directory(storage.root(), name, max_age=ONE_YEAR)
    # The name is a hash of the content, so the file at this address never changes.
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response
