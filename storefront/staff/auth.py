"""Who may see which staff page: the session user, `role_required`, safe `next` links.

Use on any back-office view:

    @bp.get("/staff/articles")
    @role_required("marketing")
    def articles(): ...

Admins pass every check. Without a session the browser goes to the login page
(and comes back afterwards); with the wrong role it gets a 403 page.
"""

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user

from ..errors import wants_json
from ..extensions import login_manager
from . import service
from .models import ROLES

# Links in the staff navigation: (label, endpoint, roles). Admins see all of them.
# Another package adds its pages with `add_nav_link`; links whose endpoint is not
# registered (a package not installed) are skipped.
NAV_LINKS = [
    ("Inventory", "staff.inventory", ("warehouse",)),
    ("Receive delivery", "staff.receive", ("warehouse",)),
    ("Import / export", "staff.inventory_import", ("warehouse",)),
]


def add_nav_link(label, endpoint, *roles):
    """Show a link to `endpoint` in the staff navigation for the given roles (and admins)."""
    if all(link[1] != endpoint for link in NAV_LINKS):
        NAV_LINKS.append((label, endpoint, roles))


def init_app(app):
    login_manager.session_protection = "strong"
    login_manager.user_loader(service.load_session_user)
    login_manager.unauthorized_handler(_unauthorized)

    @app.before_request
    def load_user_from_this_request():
        # Flask-Login caches the user on `g`; when requests share one app context
        # (the test client inside an app context does) an earlier request's user
        # must not leak into this one.
        g.pop("_login_user", None)

    @app.before_request
    def end_idle_staff_sessions():
        end_idle_session()

    @app.context_processor
    def staff_navigation():
        return {"staff_nav_links": _nav_links}


SEEN_KEY = "staff_seen"


def end_idle_session(now=None):
    """Log staff out when STAFF_IDLE_MINUTES passed since their last request; else note
    this request as their latest. Visitors without a staff login cost nothing here."""
    if "_user_id" not in session:
        return
    now = int(now if now is not None else time.time())
    minutes = current_app.config.get("STAFF_IDLE_MINUTES", 30)
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int) and now - seen > minutes * 60:
        logout_user()
        session.clear()
        flash(f"You were logged out after {minutes} minutes without activity. "
              "Log in again to continue.", "warning")
        return
    session[SEEN_KEY] = now


def _nav_links():
    if not current_user.is_authenticated:
        return []
    from flask import current_app

    return [
        (label, url_for(endpoint)) for label, endpoint, roles in NAV_LINKS
        if endpoint in current_app.view_functions and current_user.has_role(*roles)
    ]


def _unauthorized():
    if wants_json():
        response = jsonify(error="login_required", message="Log in as staff first.")
        return response, 401
    return redirect(url_for("staff.login", next=_here()))


def _here():
    """The current path and query, as a relative link for `next`."""
    query = request.query_string.decode("latin-1")
    return request.path + ("?" + query if query else "")


ANY_STAFF = tuple(ROLES)


def role_required(*roles):
    """Let a view run only for a logged-in staff user with one of `roles` (admins always).

    `role_required("admin")` is for admins only; `role_required(*ANY_STAFF)` for any staff.
    """
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"role_required needs known roles, got {roles!r}")

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                needed = " or ".join(ROLES[r] for r in roles)
                abort(403, f"This page is for {needed} staff. You are logged in as "
                           f"{current_user.email} ({current_user.role_label}).")
            return view(*args, **kwargs)

        guarded.staff_roles = roles
        return guarded

    return decorator


def safe_next(target, default=None):
    """`target` if it is a path on this site, else `default` (never another host)."""
    default = default or url_for("staff.home")
    if not target or len(target) > 2000:
        return default
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
