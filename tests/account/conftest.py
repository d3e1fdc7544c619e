"""The checkout's fake Stripe, for the account's checkout tests."""

from tests.checkout.conftest import fake_stripe, fake_stripe_server  # noqa: F401
