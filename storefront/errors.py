"""Error pages and JSON errors; every response carries a request id."""

import logging
import re
import uuid
from contextlib import suppress

from flask import abort, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from .exceptions import DomainError
from .extensions import db
from .inputs import NUL_MESSAGE, has_nul

log = logging.getLogger(__name__)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(incoming):
    """The client's X-Request-ID when it is a plain token, else a new one."""
    return incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def wants_json():
    """JSON clients: the API, `.json` URLs, and requests that prefer JSON."""
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return True
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json" and (
        accept["application/json"] > accept["text/html"])


# Uploads read as text (stock files); images and other binary files may hold NUL bytes.
_TEXT_UPLOAD = re.compile(r"\.(csv|tsv|txt|json)$", re.IGNORECASE)


def request_has_nul():
    """True when a NUL is anywhere in the request's text: path, query string (every value
    of a repeated key), headers, form fields, uploaded text files or a JSON body."""
    if "\x00" in request.path or any("\x00" in value for _, value in request.headers):
        return True
    sources = [request.args] if request.query_string else []
    if request.method not in ("GET", "HEAD"):
        sources.append(request.form)
    for values in sources:
        if any(has_nul(key) or has_nul(items) for key, items in values.lists()):
            return True
    if request.method not in ("GET", "HEAD"):
        for upload in request.files.values():
            if has_nul(upload.filename or "") or has_nul(upload.mimetype):
                return True
            if (upload.mimetype.startswith("text/")
                    or _TEXT_UPLOAD.search(upload.filename or "")):
                content = upload.stream.read()
                upload.stream.seek(0)
                if b"\x00" in content:
                    return True
        if request.is_json:
            # Parsing checks it (storefront.inputs.ShopRequest); malformed JSON is left
            # to the view, which answers it in its own words.
            request.get_json(silent=True)
    return False


def _error(status, title, message, code=None, extra=None, headers=()):
    if wants_json():
        body = {"error": code or title.lower().replace(" ", "_"), "message": message,
                "request_id": g.get("request_id")}
        body.update(extra or {})
        return jsonify(body), status, headers
    # A server error may come from the database: its page asks nothing more of it
    # (the footer's list of shop pages is left out).
    no_queries = {"footer_pages": tuple} if status >= 500 else {}
    return render_template("errors/error.html", status=status, title=title,
                           message=message, **no_queries), status, headers


def init_app(app):
    @app.before_request
    def assign_request_id():
        g.request_id = request_id(request.headers.get("X-Request-ID", ""))

    @app.before_request
    def refuse_nul_characters():
        # No text a person types contains NUL, and PostgreSQL text cannot store it: one
        # look at every way text arrives, before any view or the database sees it.
        if request_has_nul():
            abort(400, NUL_MESSAGE)

    @app.errorhandler(DomainError)
    def domain_error(error):
        extra = {k: v for k, v in error.to_dict().items() if k not in ("error", "message")}
        # A product or article that does not exist is, to a shopper, a missing page.
        title = "Page not found" if error.status == 404 else "Request refused"
        return _error(error.status, title, error.message, error.code, extra)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error(400, "Form expired",
                      "This form was open too long or came from another site. "
                      "Go back, reload the page and try again.", "csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if isinstance(error, InternalServerError):
            return server_error(error)
        messages = {
            404: "We could not find that page. It may have moved, or the address may be mistyped.",
            405: "That action is not possible on this page.",
            400: error.description or "The request could not be understood.",
            413: "What you sent is too large.",
            429: "Too many requests from your connection in a short time. "
                 "Please wait a minute, then try again.",
        }
        # Werkzeug's own headers say what the client may do next (Allow on a 405,
        # Retry-After, WWW-Authenticate); the body is ours.
        headers = [(name, value) for name, value in error.get_headers()
                   if name.lower() != "content-type"]
        message = messages.get(error.code, error.description)
        limit = getattr(error, "limit", None)  # a rate limit with words of its own
        if error.code == 429 and getattr(limit, "error_message", None):
            message = error.description
        if error.code == 404:
            return _error(404, "Page not found", message, "not_found", headers=headers)
        return _error(error.code, error.name, message, headers=headers)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        log.error("database unavailable: %s", type(error.orig).__name__)
        return _error(503, "We'll be right back",
                      "The shop cannot reach its database for a moment. Your cart is safe; "
                      "please try again in a minute.", "database_unavailable")

    @app.errorhandler(Exception)
    def server_error(error):
        # End a transaction the error may have left failed; the page needs no database.
        with suppress(SQLAlchemyError):
            db.session.rollback()
        log.exception("unhandled error, request_id=%s", g.get("request_id"))
        return _error(500, "Something went wrong",
                      "The shop hit an unexpected problem; nothing was charged. "
                      "Please try again. If it keeps happening, quote the request id below.")
