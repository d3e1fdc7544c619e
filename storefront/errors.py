"""Error pages and JSON errors; every response carries a request id."""

import logging
import re
import uuid

from flask import abort, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .exceptions import DomainError

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


def _error(status, title, message, code=None, extra=None):
    if wants_json():
        body = {"error": code or title.lower().replace(" ", "_"), "message": message,
                "request_id": g.get("request_id")}
        body.update(extra or {})
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title,
                           message=message), status


def init_app(app):
    @app.before_request
    def assign_request_id():
        g.request_id = request_id(request.headers.get("X-Request-ID", ""))

    @app.before_request
    def refuse_nul_characters():
        # No text a person types contains NUL, and PostgreSQL text cannot store it.
        sources = [request.args] if request.query_string else []
        if request.method not in ("GET", "HEAD"):
            sources.append(request.form)
        for values in sources:
            if any("\x00" in v for v in values.values()) or any("\x00" in k for k in values):
                abort(400, "The request contains characters that are not allowed.")

    @app.after_request
    def expose_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

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
        if error.code == 404:
            return _error(404, "Page not found", messages[404], "not_found")
        return _error(error.code, error.name, messages.get(error.code, error.description))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        log.error("database unavailable: %s", type(error.orig).__name__)
        return _error(503, "We'll be right back",
                      "The shop cannot reach its database for a moment. Your cart is safe; "
                      "please try again in a minute.", "database_unavailable")

    @app.errorhandler(Exception)
    def server_error(error):
        log.exception("unhandled error, request_id=%s", g.get("request_id"))
        return _error(500, "Something went wrong",
                      "The shop hit an unexpected problem; nothing was charged. "
                      "Please try again. If it keeps happening, quote the request id below.")
