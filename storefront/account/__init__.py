"""Shopper accounts without passwords: sign-in by e-mail link, orders, addresses, fit."""
