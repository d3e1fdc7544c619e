"""Staff accounts and logins for tests."""

import itertools

from storefront.staff import service

PASSWORD = "correct horse battery staple"
ROLES = ["admin", "warehouse", "marketing"]
_serial = itertools.count(1)


def make_staff(role, email=None, password=PASSWORD, **kwargs):
    email = email or f"{role}{next(_serial)}@staff.test"
    return service.create_staff(email, password, role, **kwargs)


def login(client, email, password=PASSWORD, next_url=None):
    """Log in through the real form (CSRF token included); returns the response."""
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.submit("/staff/login", "/staff/login", data)


def token_for(role):
    user = make_staff(role)
    return service.issue_token(user.email)
