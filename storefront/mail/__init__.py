"""The outbox: e-mail queued with the event that causes it, delivered by `flask mail send`."""
