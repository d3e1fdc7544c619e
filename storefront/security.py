"""Secure defaults on every response: CSP, framing, sniffing, referrer, HSTS; proxy awareness."""

from werkzeug.middleware.proxy_fix import ProxyFix

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


def trust_proxies(app):
    """Behind a load balancer: trust exactly TRUSTED_PROXY_COUNT X-Forwarded-* hops.

    Applied last, around every other WSGI layer, so they all see the client's scheme
    and host."""
    hops = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_prefix=hops)
