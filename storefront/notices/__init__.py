"""Back-in-stock notices: double opt-in sign-ups per variant, one notice when stock returns."""
