"""Who the shopper is: the signed-in account on `g.shopper`, kept apart from staff logins.

The session holds "shopper": "<id>:<nonce>"; a new nonce (sign-out) ends every session
of the account. Staff log in through Flask-Login under other keys; neither login reads
or changes the other's.

Packages below this one learn about the shopper only through `g`: `g.shopper_email`
(checkout sends it to the payment page) and `g.shopper_fit` (the catalogue's "Fits me"
and "In your size").
"""

from functools import wraps

from flask import flash, g, redirect, session, url_for

from ..catalogue.service import Fit
from . import service

SESSION_KEY = "shopper"
# The asking browser's nonce; a sign-in link works only where it was asked for.
BROWSER_KEY = "shopper_browser"
# What survives the fresh session at sign-in: what the shopper was doing.
KEPT_AT_SIGN_IN = ("cart", "checkout_order", "source_article_id")


def init_app(app):
    @app.before_request
    def load_shopper():
        # Set afresh each request: requests sharing one app context (the test client
        # inside one) must not inherit an earlier request's shopper.
        g.shopper = g.shopper_email = g.shopper_fit = None
        g.personal_page = False
        if SESSION_KEY not in session:
            return
        shopper = service.load_session_shopper(session.get(SESSION_KEY))
        if shopper is None:  # signed out elsewhere, or the account was deleted
            session.pop(SESSION_KEY, None)
            return
        g.shopper = shopper
        g.shopper_email = shopper.email
        g.personal_page = True  # the page cache serves shared copies to nobody signed in
        if shopper.has_fit:
            g.shopper_fit = fit_of(shopper)

    @app.context_processor
    def shopper_context():
        return {"shopper": g.get("shopper")}

    app.extensions["page_holes"]["account_link"] = ("partials/account_link.html",
                                                    (SESSION_KEY,))


def fit_of(shopper):
    return Fit(shopper.left_size_id, shopper.left_width_id, shopper.right_size_id,
               shopper.right_width_id, shopper.brace != "none")


def browser_nonce(create=False):
    """This browser's nonce for sign-in links (made on the first request for a link)."""
    nonce = session.get(BROWSER_KEY)
    if not isinstance(nonce, str) and create:
        nonce = session[BROWSER_KEY] = service.new_browser_nonce()
    return nonce if isinstance(nonce, str) else None


def start_session(shopper):
    """A fresh session for the signed-in shopper: nothing set before it survives except
    the cart and the checkout in progress."""
    kept = {key: session[key] for key in KEPT_AT_SIGN_IN if key in session}
    session.clear()
    # The CSRF token cached for this request belonged to the old session.
    g.pop("csrf_token", None)
    session.update(kept)
    session[SESSION_KEY] = shopper.session_id()
    g.shopper = shopper


def end_session():
    session.pop(SESSION_KEY, None)
    session.pop(BROWSER_KEY, None)
    g.shopper = None


def shopper_required(view):
    """Let a view run only for a signed-in shopper; others go to the sign-in page."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if g.get("shopper") is None:
            flash("Sign in to see your account: we e-mail you a link, no password needed.",
                  "info")
            return redirect(url_for("account.login"), 303)
        return view(*args, **kwargs)

    return guarded
