"""What every answer of the shop carries, whichever path sent it.

Two paths answer requests: Flask (every view), and the ready pages that the page
cache sends before Flask to visitors without cookies (`pagecache.ReadyPages`).
Both finish their answer with `finish`: the request id, the security headers
and the access log line. `init_app` makes it the shop's one `after_request`
hook; the hooks extensions add are listed in `READY_PATH_SKIPS` with why a
ready page needs nothing from them, and tests/test_pagecache.py fails when a
hook is added that is in neither place.
"""

from time import perf_counter

from flask import current_app, g, request

from . import logs, security

# after_request hooks of extensions (by qualified name) that a ready page can skip.
READY_PATH_SKIPS = {
    # Renews the "remember me" cookie of a logged-in staff member: a visitor
    # without cookies is not logged in.
    "LoginManager._update_remember_cookie": "no login without cookies",
    # Adds rate-limit headers for the limits that applied: none apply to cached pages.
    "Limiter.__inject_headers": "cached pages have no limits",
    # Compresses what views answer with: a ready page keeps its gzip body and says
    # Vary: Accept-Encoding itself.
    "Compress.after_request": "ready pages are stored compressed",
}


def finish(headers, *, is_secure, request_id, method, path, status, started, log=True):
    """Add the request id and the security headers to `headers` (a list of pairs,
    or a response's Headers; a header the view set itself is kept, except that a
    personal page is always `no-store`), and write the
    access log line of the request that started at `started` (perf_counter)."""
    present = {name.lower() for name, _ in headers}
    extra = [(name, value) for name, value in security.secure_headers(is_secure)
             if name.lower() not in present]
    if "x-request-id" not in present:
        extra.append(("X-Request-ID", request_id))
    headers.extend(extra)
    if security.is_personal(path):
        # Only Flask answers these (no ready page shows an order, an account or staff).
        headers["Cache-Control"] = "no-store"
    if log:
        logs.log_access(method, path, status, round((perf_counter() - started) * 1000, 1),
                        request_id)


def _finish_flask_response(response):
    finish(response.headers, is_secure=request.is_secure,
           request_id=g.get("request_id", ""), method=request.method, path=request.path,
           status=response.status_code, started=g.get("started", perf_counter()),
           log=not current_app.testing)
    return response


def init_app(app):
    app.after_request(_finish_flask_response)
