"""Return tests share the checkout's fake Stripe."""

from tests.checkout.conftest import fake_stripe, fake_stripe_server  # noqa: F401
