"""Demo staff accounts, one per role, for trying the back office locally.

Their passwords are derived from SECRET_KEY, so they are never written in the
source, differ between installations, and `flask staff demo-logins` can print
them again at any time without storing them anywhere.
"""

import base64
import hashlib
import hmac

from flask import current_app
from werkzeug.security import check_password_hash

from . import service

DEMO_STAFF = [
    ("admin@demo.shop", "admin", "Ada Admin"),
    ("warehouse@demo.shop", "warehouse", "Wes Warehouse"),
    ("marketing@demo.shop", "marketing", "Mira Marketing"),
]


def demo_password(email):
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"demo-staff\0" + email.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:16].lower()


def load():
    """Create the demo accounts that are missing; returns how many were created."""
    created = 0
    for email, role, name in DEMO_STAFF:
        _, new = service.ensure_staff(email, demo_password(email), role, name)
        created += new
    return created


def logins():
    """[(email, role, password or None when it was changed)] for each demo account present."""
    rows = []
    for email, _role, _name in DEMO_STAFF:
        user = service.find_staff(email)
        if user is None:
            continue
        password = demo_password(email)
        rows.append((email, user.role, password if check_password_hash(
            user.password_hash, password) else None))
    return rows
