"""Settings, read from the environment (and from `.env` when present)."""

import os
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
load_dotenv(ROOT / ".env")


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Production-shaped defaults; every value can come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{ROOT / 'instance' / 'storefront.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")
    # Every request to Stripe names this API version, so the objects the shop reads
    # have one shape whatever version the account or its webhook endpoint uses.
    STRIPE_API_VERSION = os.environ.get("STRIPE_API_VERSION", "2025-06-30.basil")
    # Unset: the local address on PORT, the port gunicorn.conf.py binds, so links and the
    # printed demo logins name the port the shop actually serves on.
    PUBLIC_URL = (os.environ.get("PUBLIC_URL")
                  or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}").rstrip("/")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Off only for load tests from one address (benchmarks/flash_sale.py).
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    # Per client address; generous for a shopper, a wall for a script hammering stock holds.
    CART_RATE_LIMIT = os.environ.get("CART_RATE_LIMIT", "30 per minute")
    CHECKOUT_RATE_LIMIT = os.environ.get("CHECKOUT_RATE_LIMIT", "10 per minute")
    MAIL_URL = os.environ.get("MAIL_URL")
    MAIL_FROM = os.environ.get("MAIL_FROM")  # default: "<SHOP_NAME> <shop@PUBLIC_URL's host>"
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 10)
    MAIL_LEASE_SECONDS = _int("MAIL_LEASE_SECONDS", 300)

    # Off when PostgreSQL is reached through a pooler that cannot LISTEN (transaction
    # pooling): workers then read the page cache's content version per request.
    PAGE_CACHE_LISTEN = os.environ.get("PAGE_CACHE_LISTEN", "1") != "0"

    # Host names the shop answers for, comma-separated; empty: PUBLIC_URL's host (plus
    # localhost in development). Other Host headers get a 400.
    TRUSTED_HOSTS = os.environ.get("TRUSTED_HOSTS", "")
    # A staff session without a request for this long ends (the next page asks to log in).
    STAFF_IDLE_MINUTES = _int("STAFF_IDLE_MINUTES", 30)
    TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Cookies travel only over HTTPS when the shop is served over HTTPS.
    SESSION_COOKIE_SECURE = PUBLIC_URL.startswith("https://")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"

    SHOP_NAME = os.environ.get("SHOP_NAME", "Stride Adaptive")
    SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "USD")
    # Sales tax: "rates" from the staff's table at /staff/taxes, "stripe" by Stripe Tax on
    # the payment page (each line sent with STRIPE_TAX_CODE, Stripe's code for its goods).
    TAX_MODE = os.environ.get("TAX_MODE", "rates")
    STRIPE_TAX_CODE = os.environ.get("STRIPE_TAX_CODE", "txcd_99999999")
    # Prices (and shipping rates) as staff enter them include the tax: the tax is the part
    # of each line's price it accounts for, and the total is not raised by it.
    PRICES_INCLUDE_TAX = os.environ.get("PRICES_INCLUDE_TAX", "0").lower() in (
        "1", "true", "yes", "on")
    CART_LINE_CAP = _int("CART_LINE_CAP", 10)
    # Units a variant Shopify did not track opens with on `flask shopify import`: it stays
    # on sale, shoppers see "In stock" and never the number (see README, Moving from Shopify).
    SHOPIFY_UNTRACKED_STOCK = _int("SHOPIFY_UNTRACKED_STOCK", 1000)
    HOLD_MINUTES = _int("HOLD_MINUTES", 30)
    # A bank debit (ACH, SEPA, Bacs) takes days to settle; its order's units stay held
    # this long after the shopper completes the payment page.
    DELAYED_PAYMENT_HOLD_DAYS = _int("DELAYED_PAYMENT_HOLD_DAYS", 7)
    # Returns: how long after shipping a shopper may ask, how long an exchange's
    # replacement stays held, and where parcels go (shown in the return e-mail).
    RETURN_WINDOW_DAYS = _int("RETURN_WINDOW_DAYS", 60)
    EXCHANGE_HOLD_DAYS = _int("EXCHANGE_HOLD_DAYS", 30)
    RETURN_ADDRESS = os.environ.get(
        "RETURN_ADDRESS", "Returns desk\n400 Dock Road, Unit 3\nPortland, OR 97217\nUnited States")
    # Where `flask assets build` writes static files with hashed names and gzip/brotli
    # copies; empty: static/ is served as it is (plain names, a one-minute cache).
    STATIC_BUILD_DIR = os.environ.get("STATIC_BUILD_DIR", str(ROOT / "instance" / "static"))
    PRODUCTS_PER_PAGE = 24
    # Uploaded photos and their sizes; `/media/` serves them (a CDN may sit in front).
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(ROOT / "instance" / "media")
    # The largest photo file staff may upload, in megabytes.
    MAX_IMAGE_MB = _int("MAX_IMAGE_MB", 10)
    # More pixels than this is no product photo but a decompression bomb (50 megapixels).
    MAX_IMAGE_PIXELS = _int("MAX_IMAGE_PIXELS", 50_000_000)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
