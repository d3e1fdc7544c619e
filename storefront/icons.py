"""The shop's icons for browsers, phones' home screens and installed shortcuts: the
favicon at its well-known address and the web app manifest naming the icons."""

from flask import Blueprint, current_app, url_for

bp = Blueprint("icons", __name__)

THEME_COLOUR = "#1f3a64"  # the brand colour of static/css/shop.css
BACKGROUND_COLOUR = "#f6f3ee"
DAY = 24 * 60 * 60


@bp.get("/favicon.ico")
def favicon():
    # Asked for by browsers and feed readers whatever the page's link tags say.
    return current_app.send_static_file("favicon.ico"), 200, {
        "Cache-Control": f"public, max-age={DAY}"}


def _icon(filename, size, kind, purpose="any"):
    return {"src": url_for("static", filename=filename), "sizes": size, "type": kind,
            "purpose": purpose}


@bp.get("/site.webmanifest")
def manifest():
    name = current_app.config["SHOP_NAME"]
    response = current_app.json.response({
        "name": name,
        "short_name": name,
        "description": "Adaptive shoes for people with foot drop, braces and other "
                       "walking difficulties.",
        "start_url": url_for("catalogue.home"),
        "scope": "/",
        "display": "browser",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            _icon("img/icon.svg", "any", "image/svg+xml"),
            _icon("img/icon-192.png", "192x192", "image/png"),
            _icon("img/icon-512.png", "512x512", "image/png"),
            # The shoe sits well inside the safe zone, so launchers may crop it round.
            _icon("img/icon-512.png", "512x512", "image/png", "maskable"),
        ],
    })
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = f"public, max-age={DAY}"
    return response
