"""The base of every domain error; `errors.py` turns them into pages or JSON."""


class DomainError(Exception):
    """A refusal a user can understand. `status` is the HTTP status it maps to."""

    status = 400
    code = "refused"

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def to_dict(self):
        return {"error": self.code, "message": self.message}
