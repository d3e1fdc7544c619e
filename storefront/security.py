"""Secure defaults on every response: CSP, framing, sniffing, referrer, HSTS, no caching of
personal pages; the host names the shop answers for; proxy awareness."""

from urllib.parse import urlsplit

from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wsgi import get_host

# No inline script or style anywhere in the templates, so none is allowed.
# Stripe Checkout is reached by a redirect after a form post, which form-action governs.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self' https://checkout.stripe.com",
])


SECURE_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
SECURE_HTTPS_HEADERS = (
    *SECURE_HEADERS, ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))


def secure_headers(is_secure):
    """The headers every response carries (HSTS only over HTTPS)."""
    return SECURE_HTTPS_HEADERS if is_secure else SECURE_HEADERS


# Pages that show an order (with its address), an account or the back office: no
# browser, proxy or shared computer may keep a copy of them.
PERSONAL_PATHS = ("/orders/", "/checkout/", "/staff", "/account", "/api/")


def is_personal(path):
    """True for a page that shows personal data (an order, an account, the back office)."""
    return path.startswith(PERSONAL_PATHS)



LOCAL_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts(config):
    """The host names the shop answers for: TRUSTED_HOSTS (comma-separated), else
    PUBLIC_URL's host, plus localhost in development (a local PUBLIC_URL, debug or tests)."""
    configured = config.get("TRUSTED_HOSTS")
    if isinstance(configured, str):
        configured = [h.strip() for h in configured.split(",") if h.strip()]
    if configured:
        return list(configured)
    public_host = urlsplit(config.get("PUBLIC_URL") or "").hostname or "localhost"
    hosts = [public_host]
    if public_host in LOCAL_HOSTS or config.get("DEBUG") or config.get("TESTING"):
        hosts += [h for h in LOCAL_HOSTS if h != public_host]
    return hosts


class HostGuard:
    """A WSGI layer that answers 400 to a request for a host the shop does not serve,
    before any page (cached or not) is built for it."""

    def __init__(self, wsgi_app, hosts):
        self.wsgi_app, self.hosts = wsgi_app, hosts

    def __call__(self, environ, start_response):
        try:
            host = get_host(environ)
        except SecurityError:
            host = ""
        if not host or not host_is_trusted(host, self.hosts):
            body = (b"400 Bad Request: this shop does not answer for that host name. "
                    b"Check the address you typed.\n")
            start_response("400 BAD REQUEST", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(body))),
                                               *secure_headers(False)])
            return [body]
        return self.wsgi_app(environ, start_response)


def guard_hosts(app):
    """Refuse forged Host headers; Flask's own check (TRUSTED_HOSTS) agrees with the list."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.wsgi_app = HostGuard(app.wsgi_app, app.config["TRUSTED_HOSTS"])


def trust_proxies(app):
    """Behind a load balancer: trust exactly TRUSTED_PROXY_COUNT X-Forwarded-* hops.

    Applied last, around every other WSGI layer, so they all see the client's scheme
    and host."""
    hops = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_prefix=hops)
