"""The shopper's cart, kept in the signed session cookie."""
